package main

import (
	"fmt"

	"github.com/derbes/derbes/calendar"
)

// CalendarCmd groups calendar commands.
type CalendarCmd struct {
	Show CalendarShowCmd `cmd:"" help:"Show a year of the working-day calendar."`
}

// CalendarShowCmd prints a year.
type CalendarShowCmd struct {
	Year int    `arg:"" help:"Year, e.g. 2026."`
	Lang string `help:"Language: kk, ru or en." default:"kk" enum:"kk,ru,en"`
}

// Run prints the year's month grid.
func (c *CalendarShowCmd) Run(g *Globals) error {
	cal, err := g.calendar()
	if err != nil {
		return err
	}
	out, err := cal.Render(c.Year, c.Lang)
	if err != nil {
		return err
	}
	fmt.Print(out)
	return nil
}

// calendar returns the embedded calendar with the operator's corrected or
// added years from --calendar-dir.
func (g *Globals) calendar() (*calendar.Calendar, error) {
	cal := calendar.Default()
	if g.CalendarDir == "" {
		return cal, nil
	}
	return cal.Load(g.CalendarDir)
}
