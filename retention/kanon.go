package retention

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Row is one statistics row: attribute name → value, as Generalise makes.
// A missing attribute and an empty value are the same thing.
type Row map[string]string

// Any is the fully generalised value: the attribute says nothing.
const Any = "*"

// Step is one generalisation KAnonymise applied to every row: Attribute was
// raised to Level (1 is the first rung above the original values) of its
// ladder, named Label ("5-year band", "decade", "first part", "*").
type Step struct {
	Attribute string
	Level     int
	Label     string
}

// Report says what KAnonymise did.
type Report struct {
	// K is the k asked for; below 2 nothing was done.
	K int
	// Input and Output count rows; Input == Output + Suppressed.
	Input, Output int
	// Steps are the generalisations in the order applied.
	Steps []Step
	// Suppressed is how many rows were dropped because their group stayed
	// smaller than K.
	Suppressed int
	// Groups is how many distinct attribute tuples the output has, and
	// MinGroup the size of the smallest (0 when the output is empty).
	Groups, MinGroup int
}

// String renders the report for the command line.
func (r Report) String() string {
	var b strings.Builder
	if r.K < 2 {
		fmt.Fprintf(&b, "k-anonymity not applied (k=%d): %d rows out unchanged", r.K, r.Output)
	} else {
		fmt.Fprintf(&b, "k-anonymity k=%d: %d rows in, %d out, %d suppressed", r.K, r.Input, r.Output, r.Suppressed)
	}
	fmt.Fprintf(&b, "; %d groups, smallest %d\n", r.Groups, r.MinGroup)
	b.WriteString("generalised: ")
	if len(r.Steps) == 0 {
		b.WriteString("nothing")
	}
	for i, s := range r.Steps {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s → %s", s.Attribute, s.Label)
	}
	b.WriteByte('\n')
	return b.String()
}

// kind is how an attribute is generalised, recognised by its name and values.
type kind int

const (
	kindOther   kind = iota // anything else: straight to "*"
	kindYear                // ".birth_year", ".year": 5-year band, decade, "*"
	kindSex                 // ".sex": "*", and only after every other attribute
	kindAddress             // a value holds a comma: first part, "*"
)

// ladders name the rungs above the original value (level 0) of each kind.
// The last rung of every ladder is Any.
var ladders = map[kind][]string{
	kindOther:   {Any},
	kindYear:    {"5-year band", "decade", Any},
	kindSex:     {Any},
	kindAddress: {"first part", Any},
}

// generalise returns v raised to level on the ladder of k. An absent value
// stays absent below the top rung; at the top everything is Any.
func generalise(k kind, v string, level int) string {
	top := len(ladders[k])
	switch {
	case level == 0:
		return v
	case level >= top:
		return Any
	case v == "":
		return ""
	}
	switch k {
	case kindYear:
		y, ok := year(v)
		if !ok {
			return Any
		}
		if level == 1 {
			lo := y - y%5
			return strconv.Itoa(lo) + "-" + strconv.Itoa(lo+4)
		}
		return strconv.Itoa(y-y%10) + "s"
	case kindAddress:
		first, _, _ := strings.Cut(v, ",")
		if first = strings.TrimSpace(first); first == "" {
			return Any
		}
		return first
	}
	return Any
}

// year parses a four-digit year; anything else (an already generalised
// value, garbage) is not one and generalises to Any.
func year(v string) (int, bool) {
	if len(v) != 4 {
		return 0, false
	}
	for i := range 4 {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	y, err := strconv.Atoi(v)
	return y, err == nil
}

// kindOf recognises an attribute by its name suffix, or as address-like when
// any of its values holds a comma.
func kindOf(name string, column []string) kind {
	switch {
	case strings.HasSuffix(name, SuffixBirthYear), strings.HasSuffix(name, SuffixYear):
		return kindYear
	case strings.HasSuffix(name, SuffixSex):
		return kindSex
	case slices.ContainsFunc(column, func(v string) bool { return strings.Contains(v, ",") }):
		return kindAddress
	}
	return kindOther
}

// table holds rows as value tuples over the sorted union of attribute names;
// "" is an absent value.
type table struct {
	attrs []string
	rows  [][]string
}

func newTable(rows []Row) table {
	seen := map[string]bool{}
	var attrs []string
	for _, r := range rows {
		for a := range r {
			if !seen[a] {
				seen[a] = true
				attrs = append(attrs, a)
			}
		}
	}
	slices.Sort(attrs)
	t := table{attrs: attrs, rows: make([][]string, len(rows))}
	for i, r := range rows {
		t.rows[i] = make([]string, len(attrs))
		for j, a := range attrs {
			t.rows[i][j] = r[a]
		}
	}
	return t
}

func (t table) column(j int) []string {
	c := make([]string, len(t.rows))
	for i, r := range t.rows {
		c[i] = r[j]
	}
	return c
}

// key encodes a tuple unambiguously (length-prefixed values).
func key(tuple []string) string {
	var b strings.Builder
	for _, v := range tuple {
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	return b.String()
}

// groupSizes returns the size of each row's group.
func groupSizes(rows [][]string) []int {
	keys := make([]string, len(rows))
	count := map[string]int{}
	for i, r := range rows {
		keys[i] = key(r)
		count[keys[i]]++
	}
	sizes := make([]int, len(rows))
	for i, k := range keys {
		sizes[i] = count[k]
	}
	return sizes
}

func distinct(column []string) int {
	seen := map[string]bool{}
	for _, v := range column {
		seen[v] = true
	}
	return len(seen)
}

// KAnonymise makes a table of statistics rows k-anonymous: every combination
// of attribute values in the output is shared by at least k rows, so a row
// cannot be tied to one person by someone who knows that person's birth
// year, sex and district (Law 94-V Art. 1 sp.7, Art. 17). Every attribute is
// treated as a quasi-identifier: Generalise has already removed the direct
// identifiers.
//
// Rows are grouped by their full attribute tuple. While some group is
// smaller than k, one attribute is generalised one rung up its ladder, in
// every row (full-domain global recoding), and the rows are grouped again.
// The ladders, by attribute name:
//
//   - ".birth_year", ".year": year → 5-year band ("1990-1994") → decade
//     ("1990s") → "*";
//   - ".sex": → "*";
//   - any other attribute one of whose values holds a comma (an address):
//     → first comma part (the settlement) → "*";
//   - any other attribute: → "*".
//
// Which attribute: the one with the most distinct values at that moment
// (ties by name), because it splits the rows into the most groups and its
// generalisation merges the most of them; an attribute with a single value
// is never generalised, since that merges nothing. ".sex" attributes come
// only after every other attribute is exhausted: with two values they are
// cheap for the data and precious for statistics. This is a greedy
// heuristic in the spirit of Mondrian, closest to Sweeney's Datafly; it
// does not search for the least generalisation.
//
// It stops as soon as one of these holds:
//
//   - every group has at least k rows;
//   - the rows in groups smaller than k are no more than k (Datafly's
//     suppression allowance: a handful of outliers is dropped rather than
//     generalising everyone else's data because of them);
//   - the next step would leave every attribute at "*", which would make
//     the table say nothing.
//
// Then the rows of groups still smaller than k are suppressed (dropped).
// The Report says which steps were taken and how many rows were suppressed.
//
// The output is new rows (the input is not modified), sorted by their
// attributes in name order: the order of an export must not follow the
// order in which records were collected, which could link rows to people.
// A table that already satisfies k comes back with its values unchanged.
// k < 2 does nothing but sort, and reports k.
func KAnonymise(rows []Row, k int) ([]Row, Report) {
	t := newTable(rows)
	rep := Report{K: k, Input: len(rows)}
	if k >= 2 {
		rep.Steps, rep.Suppressed = t.anonymise(k)
	}
	out := t.sorted()
	rep.Output = len(out)
	rep.Groups, rep.MinGroup = groupStats(t.rows)
	return out, rep
}

// anonymise generalises and suppresses t's rows in place.
func (t *table) anonymise(k int) (steps []Step, suppressed int) {
	orig := make([][]string, len(t.attrs)) // columns of original values
	kinds := make([]kind, len(t.attrs))
	levels := make([]int, len(t.attrs))
	for j, a := range t.attrs {
		orig[j] = t.column(j)
		kinds[j] = kindOf(a, orig[j])
	}
	for {
		sizes := groupSizes(t.rows)
		small := 0
		for _, s := range sizes {
			if s < k {
				small++
			}
		}
		if small <= k {
			break
		}
		j := t.pick(kinds, levels)
		if j < 0 {
			break
		}
		levels[j]++
		if t.exhausted(kinds, levels) {
			levels[j]--
			break
		}
		for i, r := range t.rows {
			r[j] = generalise(kinds[j], orig[j][i], levels[j])
		}
		steps = append(steps, Step{Attribute: t.attrs[j], Level: levels[j], Label: ladders[kinds[j]][levels[j]-1]})
	}
	sizes := groupSizes(t.rows)
	kept := t.rows[:0]
	for i, r := range t.rows {
		if sizes[i] >= k {
			kept = append(kept, r)
		}
	}
	suppressed = len(t.rows) - len(kept)
	t.rows = kept
	return steps, suppressed
}

// pick chooses the attribute to generalise next, or -1 when none can be.
func (t *table) pick(kinds []kind, levels []int) int {
	best, bestSex, bestN := -1, false, 0
	for j := range t.attrs {
		if levels[j] >= len(ladders[kinds[j]]) {
			continue
		}
		n := distinct(t.column(j))
		if n < 2 {
			continue
		}
		sex := kinds[j] == kindSex
		// Non-sex before sex, then more distinct values; attrs are sorted,
		// so the first found wins ties by name.
		if best < 0 || (bestSex && !sex) || (sex == bestSex && n > bestN) {
			best, bestSex, bestN = j, sex, n
		}
	}
	return best
}

// exhausted reports whether every attribute is at the top of its ladder.
func (t *table) exhausted(kinds []kind, levels []int) bool {
	for j := range t.attrs {
		if levels[j] < len(ladders[kinds[j]]) {
			return false
		}
	}
	return true
}

// sorted returns t's rows as Rows, in tuple order.
func (t table) sorted() []Row {
	slices.SortFunc(t.rows, func(a, b []string) int {
		for j := range a {
			if c := cmp.Compare(a[j], b[j]); c != 0 {
				return c
			}
		}
		return 0
	})
	out := make([]Row, len(t.rows))
	for i, r := range t.rows {
		row := make(Row, len(r))
		for j, v := range r {
			if v != "" {
				row[t.attrs[j]] = v
			}
		}
		out[i] = row
	}
	return out
}

// groupStats counts the distinct tuples and the smallest group.
func groupStats(rows [][]string) (groups, minimum int) {
	count := map[string]int{}
	for _, r := range rows {
		count[key(r)]++
	}
	for _, n := range count {
		if minimum == 0 || n < minimum {
			minimum = n
		}
	}
	return len(count), minimum
}

// WriteCSV writes rows as CSV (RFC 4180 quoting, by encoding/csv): a header
// of the attribute names of all rows, sorted, then one line per row with an
// empty cell where a row lacks an attribute. Nothing is written when there
// are no attributes.
//
// Values are written as they are: a recipient opening the file in a
// spreadsheet should import it as text, since a value beginning with "=",
// "+", "-" or "@" may otherwise be taken for a formula.
func WriteCSV(w io.Writer, rows []Row) error {
	t := newTable(rows)
	if len(t.attrs) == 0 {
		return nil
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(t.attrs); err != nil {
		return err
	}
	for _, r := range t.rows {
		if err := cw.Write(r); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
