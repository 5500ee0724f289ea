package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Kind is what a day is in the calendar.
type Kind uint8

const (
	Working       Kind = iota // a Monday to Friday that is worked
	Weekend                   // a Saturday or Sunday that is not worked
	Holiday                   // a public holiday, or a day off that does not move (7 Jan, Kurban Ait)
	DayOff                    // a weekday not worked: a holiday moved off a weekend, or a transfer
	WorkedWeekend             // a Saturday or Sunday made a working day by a transfer
)

// IsWorking reports whether a day of this kind is a working day.
func (k Kind) IsWorking() bool { return k == Working || k == WorkedWeekend }

func (k Kind) String() string {
	switch k {
	case Working:
		return "working day"
	case Weekend:
		return "weekend"
	case Holiday:
		return "holiday"
	case DayOff:
		return "day off"
	case WorkedWeekend:
		return "worked weekend"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Day is one dated entry of the calendar.
type Day struct {
	Date   time.Time // midnight in Asia/Almaty
	Kind   Kind
	Reason string
}

// YearFile is one year of the calendar as a year file holds it: the days
// that differ from a plain Monday-to-Friday week. Lists are sorted by date.
type YearFile struct {
	Year     int
	Official bool   // confirmed by the yearly transfer order
	Source   string // the order or publication the file transcribes
	// KurbanAit is the first day of Kurban Ait, a day off that does not move
	// (midnight in Almaty), or the zero Time when the date is not known.
	KurbanAit time.Time
	Holidays  []Day // public holidays and days off that do not move, on any weekday
	DaysOff   []Day // Monday to Friday dates that are not worked
	Worked    []Day // Saturdays and Sundays that are worked
}

// Limits of a year file.
const (
	minYear     = 2000
	maxYear     = 9999
	maxFileSize = 1 << 20
	maxErrors   = 20
	maxText     = 500 // runes in a reason or source
	dateLayout  = "2006-01-02"
	unknownText = "unknown"
)

// ParseYear reads a year file. name is used in error messages only. Every
// problem found is reported as a [*FileError] with its line; several are
// joined with [errors.Join].
func ParseYear(name string, data []byte) (*YearFile, error) {
	if len(data) > maxFileSize {
		return nil, &FileError{File: name, Msg: fmt.Sprintf("file is larger than %d bytes", maxFileSize)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FileError{File: name, Msg: "file is empty"}
		}
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &FileError{File: name, Line: extra.Line, Msg: "a year file holds one YAML document"}
	case !errors.Is(err, io.EOF):
		return nil, yamlError(name, err)
	}
	p := parser{name: name}
	y, lines := p.document(&doc)
	if len(p.errs) == 0 {
		p.errs = y.check(name, lines)
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	y.sort()
	return y, nil
}

var yamlLine = regexp.MustCompile(`^line (\d+): `)

// parserProblems are the YAML parser's (not scanner's) errors: yaml/v3
// reports their line counted from 0, the others from 1.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// yamlError turns a YAML syntax error into a FileError with its line: the
// line yaml/v3 names, which for an unclosed bracket is the line it opens on.
func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
		if slices.Contains(parserProblems, msg) {
			line++
		}
	}
	return &FileError{File: name, Line: line, Msg: "not valid YAML: " + msg}
}

// lineInfo holds the line of each list entry, in the lists' order, and of
// kurban_ait. A YearFile built in Go has none: its errors carry line 0.
type lineInfo struct {
	source, kurban            int
	holidays, daysOff, worked []int
}

func (l *lineInfo) at(lines []int, i int) int {
	if l == nil || i >= len(lines) {
		return 0
	}
	return lines[i]
}

type parser struct {
	name string
	errs []error
}

func (p *parser) errorf(line int, format string, args ...any) {
	if len(p.errs) < maxErrors {
		p.errs = append(p.errs, &FileError{File: p.name, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
}

var topKeys = []string{"year", "official", "source", "kurban_ait", "holidays", "days_off", "worked"}

func (p *parser) document(doc *yaml.Node) (*YearFile, *lineInfo) {
	y, lines := &YearFile{}, &lineInfo{}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.errorf(doc.Line, "file holds no YAML document")
		return y, lines
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root.Line, "a year file is a mapping with the keys %s", strings.Join(topKeys, ", "))
		return y, lines
	}
	fields := p.mapping(root, topKeys)
	for _, k := range topKeys[:4] {
		if fields[k] == nil {
			p.errorf(root.Line, "%s is missing", k)
		}
	}
	if n := fields["year"]; n != nil {
		y.Year = p.year(n)
	}
	if n := fields["official"]; n != nil {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			p.errorf(n.Line, "official must be true or false")
		} else {
			y.Official, _ = strconv.ParseBool(n.Value)
		}
	}
	if n := fields["source"]; n != nil {
		y.Source = p.text(n, "source")
		lines.source = n.Line
	}
	if n := fields["kurban_ait"]; n != nil {
		lines.kurban = n.Line
		if n.Kind == yaml.ScalarNode && n.Value == unknownText && n.ShortTag() == "!!str" {
			y.KurbanAit = time.Time{}
		} else {
			y.KurbanAit = p.date(n, "kurban_ait", `a date like 2026-05-27, or "unknown"`)
		}
	}
	y.Holidays, lines.holidays = p.days(fields["holidays"], "holidays", Holiday)
	y.DaysOff, lines.daysOff = p.days(fields["days_off"], "days_off", DayOff)
	y.Worked, lines.worked = p.days(fields["worked"], "worked", WorkedWeekend)
	return y, lines
}

// mapping returns the values of a mapping node by key, reporting keys that are
// not in allowed, repeated, or not plain strings.
func (p *parser) mapping(n *yaml.Node, allowed []string) map[string]*yaml.Node {
	fields := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			p.errorf(k.Line, "a key must be one of %s", strings.Join(allowed, ", "))
		case !slices.Contains(allowed, k.Value):
			p.errorf(k.Line, "unknown key %q (allowed: %s)", k.Value, strings.Join(allowed, ", "))
		case fields[k.Value] != nil:
			p.errorf(k.Line, "key %s is repeated (first on line %d)", k.Value, fields[k.Value].Line)
		default:
			fields[k.Value] = v
		}
	}
	return fields
}

func (p *parser) year(n *yaml.Node) int {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		if y, err := strconv.Atoi(n.Value); err == nil && y >= minYear && y <= maxYear {
			return y
		}
	}
	p.errorf(n.Line, "year must be a number from %d to %d, like 2026", minYear, maxYear)
	return 0
}

// text reads a scalar as text; check then refuses empty or multi-line texts.
func (p *parser) text(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.errorf(n.Line, "%s must be a text", what)
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func (p *parser) date(n *yaml.Node, what, want string) time.Time {
	if n.Kind == yaml.ScalarNode {
		if tag := n.ShortTag(); tag == "!!str" || tag == "!!timestamp" {
			if d, err := time.Parse(dateLayout, n.Value); err == nil {
				return midnight(d)
			}
		}
	}
	v := ""
	if n.Kind == yaml.ScalarNode {
		v = fmt.Sprintf(" (%.40q)", n.Value)
	}
	p.errorf(n.Line, "%s must be %s%s", what, want, v)
	return time.Time{}
}

var entryKeys = []string{"date", "reason"}

func (p *parser) days(n *yaml.Node, list string, kind Kind) ([]Day, []int) {
	if n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, "%s must be a list of {date: YYYY-MM-DD, reason: text}", list)
		return nil, nil
	}
	days := make([]Day, 0, len(n.Content))
	lines := make([]int, 0, len(n.Content))
	for _, e := range n.Content {
		if e.Kind != yaml.MappingNode {
			p.errorf(e.Line, "an entry of %s must be {date: YYYY-MM-DD, reason: text}", list)
			continue
		}
		f := p.mapping(e, entryKeys)
		d := Day{Kind: kind}
		if f["date"] == nil {
			p.errorf(e.Line, "an entry of %s has no date", list)
		} else {
			d.Date = p.date(f["date"], "date", "a date like 2026-03-09")
		}
		if f["reason"] == nil {
			p.errorf(e.Line, "an entry of %s has no reason", list)
		} else {
			d.Reason = p.text(f["reason"], "reason")
		}
		days = append(days, d)
		lines = append(lines, e.Line)
	}
	if len(days) == 0 {
		return nil, nil
	}
	return days, lines
}

// check validates a year, in Go or parsed from a file, and returns one
// FileError for each problem. lines may be nil.
func (y *YearFile) check(name string, lines *lineInfo) []error {
	p := parser{name: name}
	if y.Year < minYear || y.Year > maxYear {
		p.errorf(0, "year must be a number from %d to %d", minYear, maxYear)
		return p.errs
	}
	kurban, kurbanLine, sourceLine := time.Time{}, 0, 0
	if lines != nil {
		kurbanLine, sourceLine = lines.kurban, lines.source
	}
	if msg := badText(y.Source); msg != "" {
		p.errorf(sourceLine, "source %s: name the order or publication the year transcribes", msg)
	}
	if y.KurbanAit.IsZero() {
		if y.Official {
			p.errorf(kurbanLine, "an official year must give the date of Kurban Ait (kurban_ait: YYYY-MM-DD)")
		}
	} else {
		kurban = civil(y.KurbanAit)
		if kurban.Year() != y.Year {
			p.errorf(kurbanLine, "kurban_ait %s is not in %d", kurban.Format(dateLayout), y.Year)
		}
	}
	seen := map[time.Time]int{} // date -> line of its first entry (-1 if unknown)
	for _, l := range []struct {
		name  string
		days  []Day
		lines func(*lineInfo) []int
	}{
		{"holidays", y.Holidays, func(l *lineInfo) []int { return l.holidays }},
		{"days_off", y.DaysOff, func(l *lineInfo) []int { return l.daysOff }},
		{"worked", y.Worked, func(l *lineInfo) []int { return l.worked }},
	} {
		for i, d := range l.days {
			line := 0
			if lines != nil {
				line = lines.at(l.lines(lines), i)
			}
			if d.Date.IsZero() {
				p.errorf(line, "an entry of %s has no date", l.name)
				continue
			}
			c := civil(d.Date)
			ds := c.Format(dateLayout)
			if msg := badText(d.Reason); msg != "" {
				p.errorf(line, "reason for %s %s", ds, msg)
			}
			if c.Year() != y.Year {
				p.errorf(line, "date %s is not in %d", ds, y.Year)
				continue
			}
			if first, ok := seen[c]; ok {
				p.errorf(line, "date %s is listed twice%s", ds, onLine(first))
				continue
			}
			seen[c] = line
			switch {
			case l.name == "days_off" && isWeekend(c):
				p.errorf(line, "day off %s is a %s, a day off already: list it under holidays if it is one",
					ds, c.Weekday())
			case l.name == "worked" && !isWeekend(c):
				p.errorf(line, "worked day %s is a %s, a working day already: worked lists Saturdays and Sundays",
					ds, c.Weekday())
			case l.name != "holidays" && c.Equal(kurban):
				p.errorf(line, "date %s is the first day of Kurban Ait (kurban_ait), a day off that does not move", ds)
			}
		}
	}
	return p.errs
}

func onLine(line int) string {
	if line > 0 {
		return fmt.Sprintf(" (first on line %d)", line)
	}
	return ""
}

// badText says what is wrong with a reason or source, or returns "".
func badText(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "is empty"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(s) > maxText:
		return fmt.Sprintf("is longer than %d characters", maxText)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "holds a control character (a line break or tab)"
	}
	return ""
}

// sort orders the lists by date.
func (y *YearFile) sort() {
	for _, l := range [][]Day{y.Holidays, y.DaysOff, y.Worked} {
		slices.SortStableFunc(l, func(a, b Day) int { return a.Date.Compare(b.Date) })
	}
}

// normalized returns a copy of y with every date at midnight in Almaty,
// every kind set by its list, texts trimmed and lists sorted.
func (y *YearFile) normalized() *YearFile {
	n := *y
	n.Source = strings.TrimSpace(y.Source)
	if !y.KurbanAit.IsZero() {
		n.KurbanAit = midnight(civil(y.KurbanAit))
	}
	copyDays := func(ds []Day, k Kind) []Day {
		out := make([]Day, len(ds))
		for i, d := range ds {
			out[i] = Day{Kind: k, Reason: strings.TrimSpace(d.Reason)}
			if !d.Date.IsZero() {
				out[i].Date = midnight(civil(d.Date))
			}
		}
		return out
	}
	n.Holidays = copyDays(y.Holidays, Holiday)
	n.DaysOff = copyDays(y.DaysOff, DayOff)
	n.Worked = copyDays(y.Worked, WorkedWeekend)
	n.sort()
	return &n
}

// Encode writes y as a year file that [ParseYear] reads back unchanged. It
// fails when y is not a valid year.
func (y *YearFile) Encode() ([]byte, error) {
	n := y.normalized()
	if errs := n.check(fmt.Sprintf("%d.yaml", y.Year), nil); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	scalar := func(tag, v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }
	date := func(t time.Time) *yaml.Node { return scalar("!!timestamp", t.Format(dateLayout)) }
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) { root.Content = append(root.Content, scalar("!!str", k), v) }
	add("year", scalar("!!int", strconv.Itoa(n.Year)))
	add("official", scalar("!!bool", strconv.FormatBool(n.Official)))
	add("source", scalar("!!str", n.Source))
	if n.KurbanAit.IsZero() {
		add("kurban_ait", scalar("!!str", unknownText))
	} else {
		add("kurban_ait", date(n.KurbanAit))
	}
	for _, l := range []struct {
		key  string
		days []Day
	}{{"holidays", n.Holidays}, {"days_off", n.DaysOff}, {"worked", n.Worked}} {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		if len(l.days) == 0 {
			seq.Style = yaml.FlowStyle
		}
		for _, d := range l.days {
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle,
				Content: []*yaml.Node{scalar("!!str", "date"), date(d.Date), scalar("!!str", "reason"), scalar("!!str", d.Reason)}})
		}
		add(l.key, seq)
	}
	head := fmt.Sprintf("Kazakhstan's working-day calendar for a five-day week, %d.\n"+
		"Saturdays and Sundays are days off unless listed under worked.", n.Year)
	if !n.Official {
		head += "\nNOT OFFICIAL: check every date against the yearly order on transfers of days off,\n" +
			"give kurban_ait, then set official: true."
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, HeadComment: head, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("calendar: encode %d: %w", n.Year, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("calendar: encode %d: %w", n.Year, err)
	}
	return buf.Bytes(), nil
}
