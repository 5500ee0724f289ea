package policy

import (
	"errors"
	"strconv"
	"time"
)

// Period is a retention period in calendar years, months and days.
type Period struct {
	Years, Months, Days int
}

var errPeriod = errors.New(`period must look like "5y", "6m", "2w", "30d" or "1y6m" (units in this order)`)

// ParsePeriod parses a period such as "5y", "1y6m" or "30d". Weeks are
// counted as seven days.
func ParsePeriod(s string) (Period, error) {
	var p Period
	if s == "" {
		return p, errPeriod
	}
	order := "ymwd"
	last := -1
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 4 {
			return Period{}, errPeriod
		}
		n, _ := strconv.Atoi(s[:i])
		u := indexByte(order, s[i])
		if u <= last {
			return Period{}, errPeriod
		}
		last = u
		switch s[i] {
		case 'y':
			p.Years = n
		case 'm':
			p.Months = n
		case 'w':
			p.Days += 7 * n
		case 'd':
			p.Days += n
		}
		s = s[i+1:]
	}
	if p == (Period{}) {
		return Period{}, errors.New("period must not be zero")
	}
	return p, nil
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// After returns t plus the period.
func (p Period) After(t time.Time) time.Time {
	return t.AddDate(p.Years, p.Months, p.Days)
}
