package calendar

import (
	"time"
	_ "time/tzdata" // Asia/Almaty exists even on machines without a zone database
)

// almaty is Asia/Almaty. time.LoadLocation prefers the system zone database
// to the embedded one; a system database older than 2024a still has Almaty at
// UTC+6, so such a zone is replaced by a fixed UTC+5, which is right for every
// date since 1 March 2024 and so for every year the calendar can hold.
var almaty = loadAlmaty()

func loadAlmaty() *time.Location {
	loc, err := time.LoadLocation("Asia/Almaty")
	if err == nil {
		_, off := time.Date(2025, time.January, 1, 12, 0, 0, 0, time.UTC).In(loc).Zone()
		if off == 5*60*60 {
			return loc
		}
	}
	return time.FixedZone("+05", 5*60*60)
}

// Location returns the time zone in which the calendar takes dates:
// Asia/Almaty, UTC+5.
func Location() *time.Location { return almaty }

// civil returns t's date in Almaty as midnight UTC, the form the package does
// date arithmetic in.
func civil(t time.Time) time.Time {
	y, m, d := t.In(almaty).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// midnight returns the civil date d as midnight in Almaty.
func midnight(d time.Time) time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, almaty)
}

func isWeekend(d time.Time) bool {
	wd := d.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}
