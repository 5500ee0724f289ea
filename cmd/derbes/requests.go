package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// RequestsCmd groups the responsible person's request commands.
type RequestsCmd struct {
	Due RequestsDueCmd `cmd:"" help:"The morning list: overdue requests first, then those due today, then the other open ones."`
}

// RequestsDueCmd prints the open requests by urgency.
type RequestsDueCmd struct {
	Role   string `help:"The policy role you act in (it needs the requests action)." required:""`
	Policy string `help:"Policy file; by default the active policy." type:"existingfile"`
	// At lets the responsible person look ahead: what will be overdue by
	// Friday evening?
	At time.Time `help:"Show the list as of this time (RFC 3339, e.g. 2026-03-27T18:00:00+05:00); default now."`
}

// Run prints the list; the exit status is 3 when something is overdue, so
// that a cron job can alert.
func (c *RequestsDueCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	if err := activeFor(ctx, in, c.Policy); err != nil {
		return err
	}
	list, err := in.vault.ListRequests(ctx, vault.Actor{ID: "cli", Role: c.Role}, store.RequestFilter{})
	if err != nil {
		return err
	}
	now := time.Now().In(calendar.Location())
	if !c.At.IsZero() {
		now = c.At.In(calendar.Location())
	}
	today := now.Format(time.DateOnly)
	var overdue, due, open []*vault.Request
	for _, r := range list {
		switch {
		case r.State == "answered":
		case r.Due == nil || now.After(*r.Due):
			overdue = append(overdue, r)
		case r.Due.In(calendar.Location()).Format(time.DateOnly) == today:
			due = append(due, r)
		default:
			open = append(open, r)
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	section := func(title string, rs []*vault.Request) {
		fmt.Fprintf(tw, "%s (%d)\n", title, len(rs))
		for _, r := range rs {
			d := "deadline not counted"
			if r.Due != nil {
				d = "due " + r.Due.In(calendar.Location()).Format("Mon 02.01.2006 15:04")
			}
			who := r.Assignee
			if who == "" {
				who = "unassigned"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\treceived %s via %s\n", r.ID, r.Kind, r.State, d, who, r.ReceivedAt.In(calendar.Location()).Format("02.01.2006"), r.Channel)
		}
	}
	fmt.Fprintf(tw, "Subjects' requests on %s (Astana time)\n", now.Format("02.01.2006 15:04"))
	section("OVERDUE", overdue)
	section("DUE TODAY", due)
	section("OPEN", open)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(overdue) > 0 {
		return &exitError{3, ""}
	}
	return nil
}
