package retention_test

import (
	"bytes"
	"encoding/csv"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/derbes/derbes/retention"
)

// groups counts the rows of each distinct attribute tuple.
func groups(rows []retention.Row) map[string]int {
	out := map[string]int{}
	for _, r := range rows {
		var b strings.Builder
		for _, a := range slices.Sorted(maps.Keys(r)) {
			b.WriteString(strconv.Quote(a) + "=" + strconv.Quote(r[a]) + ";")
		}
		out[b.String()]++
	}
	return out
}

// sameRows reports whether a and b hold the same rows, in any order.
func sameRows(a, b []retention.Row) bool {
	return maps.Equal(groups(a), groups(b))
}

func row(year, sex, address string) retention.Row {
	r := retention.Row{}
	if year != "" {
		r["iin.birth_year"] = year
	}
	if sex != "" {
		r["iin.sex"] = sex
	}
	if address != "" {
		r["address"] = address
	}
	return r
}

func repeat(n int, r retention.Row) []retention.Row {
	out := make([]retention.Row, n)
	for i := range out {
		out[i] = maps.Clone(r)
	}
	return out
}

func TestKAnonymiseLeavesAFiveAnonymousTableUntouched(t *testing.T) {
	t.Parallel()
	var in []retention.Row
	in = append(in, repeat(5, row("1990", "m", "Астана, Сарыарқа ауданы"))...)
	in = append(in, repeat(7, row("1985", "f", "Алматы, Медеу ауданы"))...)
	in = append(in, repeat(6, row("1990", "f", "Астана, Сарыарқа ауданы"))...)
	out, rep := retention.KAnonymise(in, 5)
	if !sameRows(in, out) {
		t.Errorf("rows changed:\n%v\nwant\n%v", out, in)
	}
	if len(rep.Steps) != 0 || rep.Suppressed != 0 || rep.Groups != 3 || rep.MinGroup != 5 || rep.Input != 18 || rep.Output != 18 {
		t.Errorf("report = %+v", rep)
	}
}

func TestKAnonymiseBandsUniqueBirthYearsUntilEveryGroupHasK(t *testing.T) {
	t.Parallel()
	var in []retention.Row
	for y := 1990; y < 2000; y++ {
		in = append(in, row(strconv.Itoa(y), "m", ""))
	}
	out, rep := retention.KAnonymise(in, 5)
	want := append(repeat(5, row("1990-1994", "m", "")), repeat(5, row("1995-1999", "m", ""))...)
	if !sameRows(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
	wantSteps := []retention.Step{{Attribute: "iin.birth_year", Level: 1, Label: "5-year band"}}
	if !slices.Equal(rep.Steps, wantSteps) || rep.Suppressed != 0 || rep.Groups != 2 || rep.MinGroup != 5 {
		t.Errorf("report = %+v", rep)
	}
}

func TestKAnonymiseGoesOnToDecadesWhenBandsAreNotEnough(t *testing.T) {
	t.Parallel()
	var in []retention.Row
	for y := 1980; y < 2000; y++ {
		in = append(in, repeat(2, retention.Row{"visit.year": strconv.Itoa(y)})...)
	}
	out, rep := retention.KAnonymise(in, 12)
	want := append(repeat(20, retention.Row{"visit.year": "1980s"}), repeat(20, retention.Row{"visit.year": "1990s"})...)
	if !sameRows(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
	wantSteps := []retention.Step{
		{Attribute: "visit.year", Level: 1, Label: "5-year band"},
		{Attribute: "visit.year", Level: 2, Label: "decade"},
	}
	if !slices.Equal(rep.Steps, wantSteps) || rep.Suppressed != 0 {
		t.Errorf("report = %+v", rep)
	}
}

func TestKAnonymiseCutsAddressesToTheirFirstPart(t *testing.T) {
	t.Parallel()
	var in []retention.Row
	for _, d := range []string{"Сарыарқа ауданы", "Есіл ауданы", "Алматы ауданы", "Байқоңыр ауданы"} {
		in = append(in, repeat(2, row("", "", "Астана, "+d))...)
	}
	in = append(in, repeat(8, row("", "", "Алматы, Медеу ауданы"))...)
	out, rep := retention.KAnonymise(in, 5)
	want := append(repeat(8, row("", "", "Астана")), repeat(8, row("", "", "Алматы"))...)
	if !sameRows(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
	if want := []retention.Step{{Attribute: "address", Level: 1, Label: "first part"}}; !slices.Equal(rep.Steps, want) {
		t.Errorf("steps = %v, want %v", rep.Steps, want)
	}
}

func TestKAnonymiseSuppressesALoneOutlierAndReportsIt(t *testing.T) {
	t.Parallel()
	in := repeat(20, row("1990", "m", "Астана, Сарыарқа ауданы"))
	in = append(in, row("1951", "f", "Шымкент, Абай ауданы"))
	out, rep := retention.KAnonymise(in, 5)
	if want := repeat(20, row("1990", "m", "Астана, Сарыарқа ауданы")); !sameRows(out, want) {
		t.Errorf("rows = %v, want the 20 common ones unchanged", out)
	}
	if rep.Suppressed != 1 || len(rep.Steps) != 0 || rep.Input != 21 || rep.Output != 20 || rep.Groups != 1 || rep.MinGroup != 20 {
		t.Errorf("report = %+v", rep)
	}
	if s := rep.String(); !strings.Contains(s, "1 suppressed") {
		t.Errorf("report string %q does not mention the suppressed row", s)
	}
}

func TestKAnonymiseGeneralisesSexOnlyAfterEverythingElse(t *testing.T) {
	t.Parallel()
	// "iin.sex" sorts before "region" and both have two values: without
	// the rule the tie would go to sex.
	var in []retention.Row
	for _, sex := range []string{"m", "f"} {
		for _, region := range []string{"north", "south"} {
			in = append(in, repeat(3, retention.Row{"iin.sex": sex, "region": region})...)
		}
	}
	out, rep := retention.KAnonymise(in, 6)
	want := append(repeat(6, retention.Row{"iin.sex": "m", "region": "*"}), repeat(6, retention.Row{"iin.sex": "f", "region": "*"})...)
	if !sameRows(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
	if want := []retention.Step{{Attribute: "region", Level: 1, Label: "*"}}; !slices.Equal(rep.Steps, want) {
		t.Errorf("steps = %v, want %v", rep.Steps, want)
	}
}

func TestKAnonymiseSuppressesRatherThanStarEverything(t *testing.T) {
	t.Parallel()
	var in []retention.Row
	for i := range 10 {
		in = append(in, retention.Row{"children": strconv.Itoa(i)})
	}
	out, rep := retention.KAnonymise(in, 3)
	if len(out) != 0 || rep.Suppressed != 10 || len(rep.Steps) != 0 || rep.Groups != 0 || rep.MinGroup != 0 {
		t.Errorf("rows = %v, report = %+v; want everything suppressed, nothing generalised", out, rep)
	}
}

func TestKAnonymiseTreatsAMissingAttributeAsAValue(t *testing.T) {
	t.Parallel()
	in := append(repeat(3, row("1990", "m", "")), repeat(3, row("1990", "", ""))...)
	out, rep := retention.KAnonymise(in, 3)
	if !sameRows(in, out) || rep.Groups != 2 {
		t.Errorf("rows = %v, report = %+v", out, rep)
	}
}

func TestKAnonymiseBelowTwoDoesNothing(t *testing.T) {
	t.Parallel()
	in := []retention.Row{row("1990", "m", "Астана"), row("1951", "f", "Шымкент, Абай ауданы")}
	for _, k := range []int{1, 0, -3} {
		out, rep := retention.KAnonymise(in, k)
		if !sameRows(in, out) {
			t.Errorf("k=%d: rows = %v, want %v", k, out, in)
		}
		if rep.K != k || len(rep.Steps) != 0 || rep.Suppressed != 0 || rep.Output != 2 {
			t.Errorf("k=%d: report = %+v", k, rep)
		}
		if !strings.Contains(rep.String(), "k="+strconv.Itoa(k)) {
			t.Errorf("k=%d: report string %q does not give k", k, rep.String())
		}
	}
}

func TestKAnonymiseLeavesItsInputAlone(t *testing.T) {
	t.Parallel()
	var in []retention.Row
	for y := 1990; y < 2000; y++ {
		in = append(in, row(strconv.Itoa(y), "m", ""))
	}
	before := make([]retention.Row, len(in))
	for i, r := range in {
		before[i] = maps.Clone(r)
	}
	retention.KAnonymise(in, 5)
	for i := range in {
		if !maps.Equal(in[i], before[i]) {
			t.Fatalf("row %d changed from %v to %v", i, before[i], in[i])
		}
	}
}

func TestKAnonymiseOutputDoesNotDependOnInputOrder(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	in := randomRows(r, 100)
	want, wantRep := retention.KAnonymise(in, 4)
	for range 5 {
		shuffled := slices.Clone(in)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got, rep := retention.KAnonymise(shuffled, 4)
		if !slices.EqualFunc(got, want, maps.Equal) {
			t.Fatal("output order depends on input order")
		}
		if rep.String() != wantRep.String() {
			t.Fatalf("report %q, want %q", rep, wantRep)
		}
	}
}

func randomRows(r *rand.Rand, n int) []retention.Row {
	districts := []string{"Астана, Сарыарқа ауданы", "Астана, Есіл ауданы", "Алматы, Медеу ауданы", "Алматы, Бостандық ауданы", "Шымкент, Абай ауданы", "Қарағанды"}
	rows := make([]retention.Row, n)
	for i := range rows {
		row := retention.Row{
			"iin.birth_year": strconv.Itoa(1940 + r.IntN(70)),
			"iin.sex":        []string{"m", "f"}[r.IntN(2)],
			"address":        districts[r.IntN(len(districts))],
		}
		if r.IntN(3) > 0 {
			row["children"] = strconv.Itoa(r.IntN(5))
		}
		if r.IntN(2) == 0 {
			row["visit.year"] = strconv.Itoa(2015 + r.IntN(10))
		}
		rows[i] = row
	}
	return rows
}

func TestKAnonymiseLeavesEveryGroupWithAtLeastKRows(t *testing.T) {
	t.Parallel()
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 94))
		in := randomRows(r, 200)
		for k := 2; k <= 6; k++ {
			out, rep := retention.KAnonymise(in, k)
			g := groups(out)
			for tuple, n := range g {
				if n < k {
					t.Errorf("seed %d, k=%d: group %s has %d rows", seed, k, tuple, n)
				}
			}
			if len(out)+rep.Suppressed != len(in) || rep.Output != len(out) || rep.Input != len(in) {
				t.Errorf("seed %d, k=%d: %d out + %d suppressed != %d in (report %+v)", seed, k, len(out), rep.Suppressed, len(in), rep)
			}
			if rep.Groups != len(g) || (len(out) > 0 && rep.MinGroup < k) {
				t.Errorf("seed %d, k=%d: report %+v, %d groups", seed, k, rep, len(g))
			}
			if rep.Suppressed > k && len(rep.Steps) == 0 {
				t.Errorf("seed %d, k=%d: suppressed %d rows without generalising", seed, k, rep.Suppressed)
			}
		}
	}
}

func TestWriteCSVRoundTripsThroughEncodingCSV(t *testing.T) {
	t.Parallel()
	rows := []retention.Row{
		{"address": "Астана, Сарыарқа ауданы", "iin.birth_year": "1990-1994", "note": `say "hi"`},
		{"address": "line\nbreak", "iin.sex": "f"},
		{"iin.birth_year": "*", "note": " leading space"},
	}
	var buf bytes.Buffer
	if err := retention.WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"address", "iin.birth_year", "iin.sex", "note"}
	if len(recs) != len(rows)+1 || !slices.Equal(recs[0], header) {
		t.Fatalf("records = %q", recs)
	}
	for i, rec := range recs[1:] {
		got := retention.Row{}
		for j, v := range rec {
			if v != "" {
				got[header[j]] = v
			}
		}
		if !maps.Equal(got, rows[i]) {
			t.Errorf("row %d = %v, want %v", i, got, rows[i])
		}
	}
}

func TestWriteCSVWritesNothingWithoutAttributes(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := retention.WriteCSV(&buf, []retention.Row{{}, {}}); err != nil || buf.Len() != 0 {
		t.Errorf("WriteCSV = %q, %v; want nothing", buf.String(), err)
	}
}

func TestReportStringSaysWhatWasDone(t *testing.T) {
	t.Parallel()
	rep := retention.Report{
		K: 5, Input: 200, Output: 195, Suppressed: 5, Groups: 12, MinGroup: 5,
		Steps: []retention.Step{{Attribute: "iin.birth_year", Level: 1, Label: "5-year band"}, {Attribute: "address", Level: 1, Label: "first part"}},
	}
	want := "k-anonymity k=5: 200 rows in, 195 out, 5 suppressed; 12 groups, smallest 5\n" +
		"generalised: iin.birth_year → 5-year band, address → first part\n"
	if got := rep.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
