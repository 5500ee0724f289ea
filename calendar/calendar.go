package calendar

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

//go:embed data/*.yaml
var embedded embed.FS

// Calendar answers which days are working days. Build one with [Default];
// Load, WithYear, With and Lenient return a changed copy. The zero Calendar
// holds no year.
type Calendar struct {
	years   map[int]*year
	lenient bool
}

// year is one year ready for lookups.
type year struct {
	file  *YearFile
	kinds []Kind         // by day of the year, from 0
	why   map[int]string // reasons by day of the year, from 0
}

func newYear(f *YearFile) *year {
	start := time.Date(f.Year, time.January, 1, 0, 0, 0, 0, time.UTC)
	days := time.Date(f.Year+1, time.January, 1, 0, 0, 0, 0, time.UTC).Sub(start) / (24 * time.Hour)
	y := &year{file: f, kinds: make([]Kind, days), why: map[int]string{}}
	for i := range y.kinds {
		if isWeekend(start.AddDate(0, 0, i)) {
			y.kinds[i] = Weekend
		}
	}
	set := func(d time.Time, k Kind, reason string) {
		i := civil(d).YearDay() - 1
		y.kinds[i] = k
		if y.why[i] != "" {
			reason = y.why[i] + "; " + reason
		}
		y.why[i] = reason
	}
	if !f.KurbanAit.IsZero() {
		set(f.KurbanAit, Holiday, "Kurban Ait (first day; day off that does not move)")
	}
	for _, l := range [][]Day{f.Holidays, f.DaysOff, f.Worked} {
		for _, d := range l {
			set(d.Date, d.Kind, d.Reason)
		}
	}
	return y
}

func (y *year) kind(d time.Time) Kind { return y.kinds[d.YearDay()-1] }

// unconfirmed reports whether results that use y must carry a warning.
func (y *year) unconfirmed() bool { return !y.file.Official || y.file.KurbanAit.IsZero() }

var embeddedYears = sync.OnceValues(func() (map[int]*year, error) {
	c, err := (&Calendar{}).loadFS(embedded, "data", "calendar/data")
	if err != nil {
		return nil, err
	}
	return c.years, nil
})

// Default returns the calendar of the years embedded from calendar/data.
// It panics if the embedded data is invalid, which the package tests rule out.
func Default() *Calendar {
	years, err := embeddedYears()
	if err != nil {
		panic(err)
	}
	return &Calendar{years: maps.Clone(years)}
}

// Years returns the years the calendar holds, ascending. A Lenient calendar
// can also generate others.
func (c *Calendar) Years() []int { return slices.Sorted(maps.Keys(c.years)) }

// Lenient returns a copy of c that generates a missing year with [Generate]
// (Kurban Ait unknown) instead of failing with [ErrYearMissing]. Every result
// that used a generated year comes with an [*UnconfirmedError].
func (c *Calendar) Lenient() *Calendar {
	return &Calendar{years: c.years, lenient: true}
}

// With returns a copy of c in which the given years replace those c holds.
func (c *Calendar) With(files ...*YearFile) (*Calendar, error) {
	years := maps.Clone(c.years)
	if years == nil {
		years = map[int]*year{}
	}
	seen := map[int]bool{}
	for _, f := range files {
		n := f.normalized()
		if errs := n.check(fmt.Sprintf("year %d", f.Year), nil); len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		if seen[n.Year] {
			return nil, fmt.Errorf("calendar: year %d given twice", n.Year)
		}
		seen[n.Year] = true
		years[n.Year] = newYear(n)
	}
	return &Calendar{years: years, lenient: c.lenient}, nil
}

// WithYear returns a copy of c in which the year file at path replaces the
// year it holds.
func (c *Calendar) WithYear(path string) (*Calendar, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("calendar: read year file: %w", err)
	}
	defer f.Close()
	data, err := readAll(f, path)
	if err != nil {
		return nil, err
	}
	y, err := ParseYear(path, data)
	if err != nil {
		return nil, err
	}
	return c.With(y)
}

// Load returns a copy of c in which every year file in dir (*.yaml and *.yml,
// not in subdirectories) replaces the year it holds. Two files for the same
// year are an error.
func (c *Calendar) Load(dir string) (*Calendar, error) {
	return c.loadFS(os.DirFS(dir), ".", dir)
}

// loadFS loads the year files in directory dir of fsys; shown is the
// directory's name in errors.
func (c *Calendar) loadFS(fsys fs.FS, dir, shown string) (*Calendar, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("calendar: read year files: %w", err)
	}
	var files []*YearFile
	from := map[int]string{}
	var errs []error
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		name := filepath.Join(shown, e.Name())
		data, err := readFile(fsys, path.Join(dir, e.Name()), name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f, err := ParseYear(name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, ok := from[f.Year]; ok {
			errs = append(errs, &FileError{File: name, Msg: fmt.Sprintf("year %d is also in %s", f.Year, other)})
			continue
		}
		from[f.Year] = name
		files = append(files, f)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c.With(files...)
}

// readFile reads a year file, refusing one larger than maxFileSize.
func readFile(fsys fs.FS, name, shown string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("calendar: read year file %s: %w", shown, err)
	}
	defer f.Close()
	return readAll(f, shown)
}

// readAll reads at most maxFileSize+1 bytes: ParseYear refuses larger files.
func readAll(r io.Reader, shown string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("calendar: read year file %s: %w", shown, err)
	}
	return data, nil
}

// lookup returns year y: the one c holds, or a generated one if c is lenient.
func (c *Calendar) lookup(y int) (*year, error) {
	if yr, ok := c.years[y]; ok {
		return yr, nil
	}
	if !c.lenient {
		return nil, fmt.Errorf("%w: no calendar for %d: load the year file transcribing that year's order on transfers of days off", ErrYearMissing, y)
	}
	f, err := Generate(y, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("%w: no calendar for %d, and %w", ErrYearMissing, y, err)
	}
	return newYear(f), nil
}

// warnings collects the unconfirmed years a computation used.
type warnings struct{ err *UnconfirmedError }

func (w *warnings) add(y *year) {
	if !y.unconfirmed() {
		return
	}
	if w.err == nil {
		w.err = &UnconfirmedError{}
	}
	if !slices.Contains(w.err.Years, y.file.Year) {
		w.err.Years = append(w.err.Years, y.file.Year)
		slices.Sort(w.err.Years)
	}
	if y.file.KurbanAit.IsZero() {
		w.err.KurbanAitUnknown = true
	}
}

func (w *warnings) result() error {
	if w.err == nil {
		return nil
	}
	return w.err
}

// IsWorkingDay reports whether date's date in Asia/Almaty is a working day.
// The error is [ErrYearMissing] (wrapped) or a warning ([IsWarning]).
func (c *Calendar) IsWorkingDay(date time.Time) (bool, error) {
	d := civil(date)
	y, err := c.lookup(d.Year())
	if err != nil {
		return false, err
	}
	var w warnings
	w.add(y)
	return y.kind(d).IsWorking(), w.result()
}

// MaxWorkingDays is the largest n AddWorkingDays accepts (about 40 years).
const MaxWorkingDays = 10000

// AddWorkingDays returns the deadline of an action due n working days
// (1 <= n <= MaxWorkingDays) after an event at instant t: counting starts on
// the day after t's date in Asia/Almaty, working day or not, and the deadline
// is the end of the n-th working day, 23:59:59.999999999 in Asia/Almaty. An
// event on a day off thus counts from the next working day, like one on the
// day before it.
//
// The error is [ErrYearMissing] (wrapped, naming the year) when a year the
// count reaches is missing, or a warning ([IsWarning]) returned with a valid
// deadline when a year it reaches is not official.
func (c *Calendar) AddWorkingDays(t time.Time, n int) (time.Time, error) {
	if n < 1 || n > MaxWorkingDays {
		return time.Time{}, fmt.Errorf("calendar: working days to add must be from 1 to %d, not %d", MaxWorkingDays, n)
	}
	var (
		w   warnings
		y   *year
		d   = civil(t)
		err error
	)
	for count := 0; count < n; {
		d = d.AddDate(0, 0, 1)
		if y == nil || y.file.Year != d.Year() {
			if y, err = c.lookup(d.Year()); err != nil {
				return time.Time{}, err
			}
			w.add(y)
		}
		if y.kind(d).IsWorking() {
			count++
		}
	}
	end := time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 999999999, almaty)
	return end, w.result()
}

// YearInfo is a year for display.
type YearInfo struct {
	Year      int
	Official  bool
	Source    string
	KurbanAit time.Time // midnight in Almaty; zero when unknown
	// DaysOff lists, by date, every holiday (also one on a weekend, for
	// display) and every weekday day off, with its reason.
	DaysOff []Day
	// Worked lists the Saturdays and Sundays that are working days.
	Worked      []Day
	WorkingDays [12]int // working days in each month, January first
	Total       int     // working days in the year
	Kinds       []Kind  // the kind of every day, by day of the year from 0
}

// Year returns year y for display. The error is [ErrYearMissing] (wrapped) or
// a warning ([IsWarning]) returned with a valid YearInfo.
func (c *Calendar) Year(y int) (YearInfo, error) {
	yr, err := c.lookup(y)
	if err != nil {
		return YearInfo{}, err
	}
	var w warnings
	w.add(yr)
	f := yr.file
	info := YearInfo{Year: y, Official: f.Official, Source: f.Source, KurbanAit: f.KurbanAit,
		Kinds: slices.Clone(yr.kinds)}
	start := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC)
	for i, k := range yr.kinds {
		d := start.AddDate(0, 0, i)
		switch k {
		case Working, WorkedWeekend:
			info.WorkingDays[d.Month()-1]++
			info.Total++
		}
		day := Day{Date: midnight(d), Kind: k, Reason: yr.why[i]}
		switch k {
		case Holiday, DayOff:
			info.DaysOff = append(info.DaysOff, day)
		case WorkedWeekend:
			info.Worked = append(info.Worked, day)
		}
	}
	return info, w.result()
}
