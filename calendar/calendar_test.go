package calendar_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/calendar"
)

// day returns noon of a date in Almaty.
func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 12, 0, 0, 0, calendar.Location())
}

// endOf returns the last instant of a date in Almaty: a deadline.
func endOf(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 999999999, calendar.Location())
}

func TestLocation(t *testing.T) {
	t.Parallel()
	t.Run("Almaty is five hours ahead of UTC since 1 March 2024", func(t *testing.T) {
		t.Parallel()
		for _, d := range []time.Time{
			time.Date(2024, time.March, 1, 12, 0, 0, 0, time.UTC),
			time.Date(2026, time.July, 1, 12, 0, 0, 0, time.UTC),
		} {
			if _, off := d.In(calendar.Location()).Zone(); off != 5*60*60 {
				t.Errorf("offset on %s is %ds, want %ds", d.Format(time.DateOnly), off, 5*60*60)
			}
		}
	})
}

func TestAddWorkingDays(t *testing.T) {
	t.Parallel()
	cal := calendar.Default()
	for _, tc := range []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{"one working day after Friday 20 March 2026 is Thursday 26 March 2026, after the Nauryz days off",
			day(2026, time.March, 20), 1, endOf(2026, time.March, 26)},
		{"a request made on Saturday 21 March 2026, a day off, is also due on Thursday 26 March 2026",
			day(2026, time.March, 21), 1, endOf(2026, time.March, 26)},
		{"a request made on Sunday 8 March 2026, a holiday, is due on Tuesday 10 March 2026 since 9 March is its day off",
			day(2026, time.March, 8), 1, endOf(2026, time.March, 10)},
		{"fifteen working days from Saturday 20 December 2025 end on Wednesday 14 January 2026, skipping 1-2 and 7 January",
			day(2025, time.December, 20), 15, endOf(2026, time.January, 14)},
		{"one working day after Thursday 2 January 2025 is Sunday 5 January 2025, a worked Sunday",
			day(2025, time.January, 2), 1, endOf(2025, time.January, 5)},
		{"three working days after 31 December 2024 need no 2024 calendar and end on 8 January 2025",
			day(2024, time.December, 31), 3, endOf(2025, time.January, 8)},
		{"counting starts on the next day even for an event a minute after midnight",
			time.Date(2026, time.April, 14, 0, 1, 0, 0, calendar.Location()), 1, endOf(2026, time.April, 15)},
		{"an instant late in the evening UTC that is already the next day in Almaty counts from the Almaty date",
			time.Date(2026, time.March, 19, 20, 0, 0, 0, time.UTC), 1, endOf(2026, time.March, 26)},
		{"an instant given in another zone counts from its Almaty date",
			time.Date(2026, time.March, 19, 23, 0, 0, 0, time.FixedZone("UTC+3", 3*60*60)), 1, endOf(2026, time.March, 26)},
		{"ten working days after Tuesday 28 April 2026 skip 1, 7 and 11 May",
			day(2026, time.April, 28), 10, endOf(2026, time.May, 15)},
		{"three working days after Monday 28 December 2026 end on the last day of the year",
			day(2026, time.December, 28), 3, endOf(2026, time.December, 31)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := cal.AddWorkingDays(tc.from, tc.n)
			if err != nil {
				t.Fatalf("AddWorkingDays(%s, %d): %v", tc.from, tc.n, err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
			}
		})
	}

	t.Run("the deadline is the last nanosecond of the working day in Almaty", func(t *testing.T) {
		t.Parallel()
		got, err := cal.AddWorkingDays(day(2026, time.March, 20), 1)
		if err != nil {
			t.Fatal(err)
		}
		next := got.Add(time.Nanosecond).In(calendar.Location())
		if next.Hour() != 0 || next.Minute() != 0 || next.Second() != 0 || next.Nanosecond() != 0 || next.Day() != 27 {
			t.Errorf("one nanosecond after the deadline is %s, want midnight of 27 March in Almaty", next)
		}
		if got.Location() != calendar.Location() {
			t.Errorf("deadline is in %s, want %s", got.Location(), calendar.Location())
		}
	})

	t.Run("a deadline that reaches 2027 without a file fails with ErrYearMissing naming 2027", func(t *testing.T) {
		t.Parallel()
		got, err := cal.AddWorkingDays(day(2026, time.December, 30), 5)
		if !errors.Is(err, calendar.ErrYearMissing) {
			t.Fatalf("error = %v, want ErrYearMissing", err)
		}
		if !strings.Contains(err.Error(), "2027") {
			t.Errorf("error %q does not name 2027", err)
		}
		if calendar.IsWarning(err) || !got.IsZero() {
			t.Errorf("a missing year gave a deadline %s with %v", got, err)
		}
	})

	t.Run("a deadline within 2024 fails with ErrYearMissing, never counting weekends only", func(t *testing.T) {
		t.Parallel()
		if _, err := cal.AddWorkingDays(day(2024, time.June, 3), 1); !errors.Is(err, calendar.ErrYearMissing) {
			t.Fatalf("error = %v, want ErrYearMissing", err)
		}
	})

	t.Run("zero, negative and huge counts of working days are refused", func(t *testing.T) {
		t.Parallel()
		for _, n := range []int{0, -1, calendar.MaxWorkingDays + 1} {
			if _, err := cal.AddWorkingDays(day(2026, time.March, 20), n); err == nil {
				t.Errorf("AddWorkingDays(n=%d) gave no error", n)
			}
		}
	})
}

// lawDaysOff lists, for each official year, the days off of LAW.md
// ("Working days") and the weekend days it says are worked.
var lawDaysOff = map[int]struct{ off, worked []string }{
	2025: {
		off: []string{"01-01", "01-02", "01-03", "01-04", "01-07", "03-10", "03-21", "03-24", "03-25",
			"05-01", "05-07", "05-09", "06-06", "07-07", "09-01", "10-27", "12-16"},
		worked: []string{"01-05"},
	},
	2026: {
		off: []string{"01-01", "01-02", "01-07", "03-09", "03-23", "03-24", "03-25",
			"05-01", "05-07", "05-11", "05-27", "07-06", "08-31", "10-26", "12-16"},
	},
}

func TestIsWorkingDay(t *testing.T) {
	t.Parallel()
	cal := calendar.Default()
	for _, tc := range []struct {
		name string
		date time.Time
		want bool
	}{
		{"3 January 2025 was a day off by the transfer order", day(2025, time.January, 3), false},
		{"Sunday 5 January 2025 was a working day", day(2025, time.January, 5), true},
		{"Saturday 4 January 2025 was a day off", day(2025, time.January, 4), false},
		{"Wednesday 31 December 2025 was a working day", day(2025, time.December, 31), true},
		{"Kurban Ait, Wednesday 27 May 2026, is a day off", day(2026, time.May, 27), false},
		{"the Almaty date of an instant decides, not its UTC date",
			time.Date(2026, time.January, 7, 19, 0, 0, 0, time.UTC), true}, // 8 Jan 00:00 Almaty
		{"midnight UTC is already five in the morning in Almaty, the same date",
			time.Date(2026, time.January, 7, 0, 0, 0, 0, time.UTC), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := cal.IsWorkingDay(tc.date)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.date, got, tc.want)
			}
		})
	}

	for _, y := range []int{2025, 2026} {
		t.Run("every day of "+itoa(y)+" is as LAW.md lists it", func(t *testing.T) {
			t.Parallel()
			law := lawDaysOff[y]
			off, worked := set(y, law.off), set(y, law.worked)
			for d := day(y, time.January, 1); d.Year() == y; d = d.AddDate(0, 0, 1) {
				key := d.Format(time.DateOnly)
				weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
				want := worked[key] || (!weekend && !off[key])
				got, err := cal.IsWorkingDay(d)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("IsWorkingDay(%s, a %s) = %v, want %v", key, d.Weekday(), got, want)
				}
			}
		})
	}

	t.Run("a date in 2027 without a file fails with ErrYearMissing", func(t *testing.T) {
		t.Parallel()
		_, err := cal.IsWorkingDay(day(2027, time.January, 4))
		if !errors.Is(err, calendar.ErrYearMissing) || !strings.Contains(err.Error(), "2027") {
			t.Fatalf("error = %v, want ErrYearMissing naming 2027", err)
		}
	})
}

func set(y int, days []string) map[string]bool {
	m := map[string]bool{}
	for _, d := range days {
		m[itoa(y)+"-"+d] = true
	}
	return m
}

func itoa(y int) string { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006") }

func TestYear(t *testing.T) {
	t.Parallel()
	cal := calendar.Default()
	for _, tc := range []struct {
		name   string
		year   int
		months [12]int
		total  int
	}{
		// 261 weekdays less the 15 weekdays off of LAW.md; 1968 hours at 40 a week.
		{"2026 has 246 working days in a five-day week", 2026,
			[12]int{19, 20, 18, 22, 17, 22, 22, 20, 22, 21, 21, 22}, 246},
		// 261 weekdays less 16 weekdays off, plus Sunday 5 January.
		{"2025 had 246 working days in a five-day week", 2025,
			[12]int{20, 20, 17, 22, 19, 20, 22, 21, 21, 22, 20, 22}, 246},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			info, err := cal.Year(tc.year)
			if err != nil {
				t.Fatal(err)
			}
			if info.Total != tc.total || info.WorkingDays != tc.months {
				t.Errorf("Year(%d): %d working days by month %v, want %d by month %v",
					tc.year, info.Total, info.WorkingDays, tc.total, tc.months)
			}
			if !info.Official {
				t.Errorf("Year(%d) is not official", tc.year)
			}
		})
	}

	t.Run("every day off of 2026 has a reason and Kurban Ait is on 27 May", func(t *testing.T) {
		t.Parallel()
		info, err := cal.Year(2026)
		if err != nil {
			t.Fatal(err)
		}
		if len(info.DaysOff) != 21 { // 15 weekdays off and 6 holidays on weekends
			t.Errorf("%d days off listed, want 21", len(info.DaysOff))
		}
		for _, d := range info.DaysOff {
			if d.Reason == "" || (d.Kind != calendar.Holiday && d.Kind != calendar.DayOff) {
				t.Errorf("day off %s: kind %s, reason %q", d.Date.Format(time.DateOnly), d.Kind, d.Reason)
			}
		}
		if !info.KurbanAit.Equal(time.Date(2026, time.May, 27, 0, 0, 0, 0, calendar.Location())) {
			t.Errorf("Kurban Ait = %s", info.KurbanAit)
		}
		if len(info.Worked) != 0 {
			t.Errorf("worked weekends in 2026: %v", info.Worked)
		}
	})

	t.Run("the only worked weekend of 2025 is Sunday 5 January", func(t *testing.T) {
		t.Parallel()
		info, err := cal.Year(2025)
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Worked) != 1 || info.Worked[0].Date.Format(time.DateOnly) != "2025-01-05" ||
			info.Worked[0].Kind != calendar.WorkedWeekend {
			t.Errorf("worked weekends: %v", info.Worked)
		}
	})

	t.Run("a missing year fails with ErrYearMissing", func(t *testing.T) {
		t.Parallel()
		if _, err := cal.Year(2030); !errors.Is(err, calendar.ErrYearMissing) {
			t.Fatalf("error = %v, want ErrYearMissing", err)
		}
	})
}

func TestLenient(t *testing.T) {
	t.Parallel()

	t.Run("a missing year is generated and the deadline comes with a warning naming the year", func(t *testing.T) {
		t.Parallel()
		got, err := calendar.Default().Lenient().AddWorkingDays(day(2026, time.December, 30), 5)
		if !calendar.IsWarning(err) || !errors.Is(err, calendar.ErrUnconfirmed) || errors.Is(err, calendar.ErrYearMissing) {
			t.Fatalf("error = %v, want only a warning", err)
		}
		var u *calendar.UnconfirmedError
		if !errors.As(err, &u) || len(u.Years) != 1 || u.Years[0] != 2027 || !u.KurbanAitUnknown {
			t.Errorf("warning = %#v, want 2027 with Kurban Ait unknown", u)
		}
		// 31 Dec; 1 Jan holiday, 2 Jan (Saturday) moved to Monday 4 Jan; 5, 6; 7 Jan; 8, 11.
		if want := endOf(2027, time.January, 11); !got.Equal(want) {
			t.Errorf("deadline = %s, want %s", got, want)
		}
	})

	t.Run("official years give the same results and no warning", func(t *testing.T) {
		t.Parallel()
		got, err := calendar.Default().Lenient().AddWorkingDays(day(2026, time.March, 20), 1)
		if err != nil || !got.Equal(endOf(2026, time.March, 26)) {
			t.Fatalf("AddWorkingDays = %s, %v", got, err)
		}
	})

	t.Run("a year loaded with official: false warns even on a strict calendar", func(t *testing.T) {
		t.Parallel()
		gen, err := calendar.Generate(2027, day(2027, time.May, 17)) // an assumed date of Kurban Ait
		if err != nil {
			t.Fatal(err)
		}
		cal, err := calendar.Default().With(gen)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := cal.IsWorkingDay(day(2027, time.May, 17))
		if ok || !calendar.IsWarning(err) {
			t.Fatalf("IsWorkingDay(Kurban Ait 2027) = %v, %v; want false with a warning", ok, err)
		}
		var u *calendar.UnconfirmedError
		if errors.As(err, &u) && u.KurbanAitUnknown {
			t.Errorf("warning says Kurban Ait is unknown, but it was given: %v", err)
		}
	})

	t.Run("a year before the rules stays missing even when lenient", func(t *testing.T) {
		t.Parallel()
		_, err := calendar.Default().Lenient().IsWorkingDay(day(2024, time.May, 8))
		if !errors.Is(err, calendar.ErrYearMissing) || calendar.IsWarning(err) {
			t.Fatalf("error = %v, want ErrYearMissing", err)
		}
	})

	t.Run("no error is not a warning", func(t *testing.T) {
		t.Parallel()
		if calendar.IsWarning(nil) || calendar.IsWarning(calendar.ErrYearMissing) {
			t.Error("IsWarning is true for nil or ErrYearMissing")
		}
	})
}

// corrected2026 is the official 2026 file with an imagined transfer order:
// Thursday 26 March a day off, Saturday 28 March worked.
func corrected2026(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("data", "2026.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "days_off:\n",
		"days_off:\n  - {date: 2026-03-26, reason: \"Transfer order: day off moved from Saturday 28 Mar\"}\n", 1)
	s = strings.Replace(s, "worked: []\n",
		"worked:\n  - {date: 2026-03-28, reason: \"Transfer order: working day in place of Thursday 26 Mar\"}\n", 1)
	if s == string(data) {
		t.Fatal("could not correct data/2026.yaml")
	}
	return []byte(s)
}

func TestLoad(t *testing.T) {
	t.Parallel()

	t.Run("a corrected year loaded from a file changes the result", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "2026.yaml")
		if err := os.WriteFile(path, corrected2026(t), 0o600); err != nil {
			t.Fatal(err)
		}
		def := calendar.Default()
		cal, err := def.WithYear(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cal.AddWorkingDays(day(2026, time.March, 20), 1)
		if err != nil || !got.Equal(endOf(2026, time.March, 27)) {
			t.Errorf("with the corrected year: %s, %v; want Friday 27 March", got, err)
		}
		got, err = def.AddWorkingDays(day(2026, time.March, 20), 1)
		if err != nil || !got.Equal(endOf(2026, time.March, 26)) {
			t.Errorf("the default calendar changed: %s, %v", got, err)
		}
	})

	t.Run("a directory adds a later year and overrides an embedded one", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		gen, err := calendar.Generate(2027, day(2027, time.May, 17))
		if err != nil {
			t.Fatal(err)
		}
		gen.Official, gen.Source = true, "test order"
		data, err := gen.Encode()
		if err != nil {
			t.Fatal(err)
		}
		for name, content := range map[string][]byte{
			"2026.yaml":  corrected2026(t),
			"2027.yml":   data,
			"README.txt": []byte("not a year file"),
		} {
			if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cal, err := calendar.Default().Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := cal.Years(); len(got) != 3 || got[2] != 2027 {
			t.Errorf("Years() = %v, want 2025 to 2027", got)
		}
		got, err := cal.AddWorkingDays(day(2026, time.December, 30), 5)
		if err != nil || !got.Equal(endOf(2027, time.January, 11)) {
			t.Errorf("deadline into 2027 = %s, %v", got, err)
		}
		if ok, _ := cal.IsWorkingDay(day(2026, time.March, 28)); !ok {
			t.Error("the corrected 2026 did not replace the embedded one")
		}
	})

	t.Run("two files for the same year in a directory are refused naming both", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		for _, name := range []string{"2026.yaml", "2026-corrected.yaml"} {
			if err := os.WriteFile(filepath.Join(dir, name), corrected2026(t), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		_, err := calendar.Default().Load(dir)
		if !errors.Is(err, calendar.ErrInvalidFile) || !strings.Contains(err.Error(), "2026.yaml") ||
			!strings.Contains(err.Error(), "2026-corrected.yaml") {
			t.Fatalf("error = %v", err)
		}
	})

	t.Run("an invalid file in a directory is refused naming the file and the line", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		bad := strings.Replace(string(corrected2026(t)), "2026-03-26", "2025-03-26", 1)
		if err := os.WriteFile(filepath.Join(dir, "2026.yaml"), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := calendar.Default().Load(dir)
		var fe *calendar.FileError
		if !errors.As(err, &fe) || fe.Line == 0 || !strings.HasSuffix(fe.File, "2026.yaml") {
			t.Fatalf("error = %v, want a FileError with the file and line", err)
		}
		line := strings.Split(bad, "\n")[fe.Line-1]
		if !strings.Contains(line, "2025-03-26") {
			t.Errorf("error names line %d, %q, not the wrong date", fe.Line, line)
		}
	})

	t.Run("a year file that does not exist is refused", func(t *testing.T) {
		t.Parallel()
		_, err := calendar.Default().WithYear(filepath.Join(t.TempDir(), "2027.yaml"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("error = %v, want ErrNotExist", err)
		}
		if _, err := calendar.Default().Load(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Load: error = %v, want ErrNotExist", err)
		}
	})

	t.Run("a year built in Go is validated by With", func(t *testing.T) {
		t.Parallel()
		y := &calendar.YearFile{Year: 2027, Source: "test",
			Worked: []calendar.Day{{Date: day(2027, time.March, 3), Reason: "a Wednesday"}}}
		if _, err := calendar.Default().With(y); !errors.Is(err, calendar.ErrInvalidFile) {
			t.Fatalf("error = %v, want ErrInvalidFile", err)
		}
	})
}
