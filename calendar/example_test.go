package calendar_test

import (
	"fmt"
	"time"

	"github.com/derbes/derbes/calendar"
)

// A subject proves on Friday 20 March 2026 that their data is inaccurate:
// the operator has one working day (Art. 25 p.2 sp.8 of Law 94-V). 23-25
// March are Nauryz days off, so the deadline is the end of Thursday 26 March.
func ExampleCalendar_AddWorkingDays() {
	cal := calendar.Default()
	proof := time.Date(2026, time.March, 20, 15, 30, 0, 0, calendar.Location())
	due, err := cal.AddWorkingDays(proof, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(due.Format("Monday 2 January 2006 15:04:05 -07:00"))
	// Output: Thursday 26 March 2026 23:59:59 +05:00
}

// A year without a file fails; a lenient calendar generates it from the rules
// and says that the result is provisional.
func ExampleCalendar_Lenient() {
	withdrawn := time.Date(2026, time.December, 21, 10, 0, 0, 0, calendar.Location())

	_, err := calendar.Default().AddWorkingDays(withdrawn, 15)
	fmt.Println(err != nil, calendar.IsWarning(err))

	due, err := calendar.Default().Lenient().AddWorkingDays(withdrawn, 15)
	fmt.Println(due.Format(time.DateOnly), calendar.IsWarning(err))
	fmt.Println(err)
	// Output:
	// true false
	// 2027-01-14 true
	// calendar: result is provisional: 2027 not confirmed by the yearly transfer order of days off (date of Kurban Ait unknown)
}
