package calendar_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/calendar"
)

// The official calendar of a year is the rule of the holidays law
// (Generate, given the date of Kurban Ait) plus the transfers of the yearly
// order of the Minister of Labour. These tests show it for 2025 and 2026: the
// generated year, with the order's transfers added as days_off and worked
// entries, gives every day of the year the same kind as the official file,
// and without them differs on exactly the transferred days.

// kindsOf returns the kind of every day of the year y in cal.
func kindsOf(t *testing.T, cal *calendar.Calendar, y int) []calendar.Kind {
	t.Helper()
	info, err := cal.Year(y)
	if err != nil && !calendar.IsWarning(err) {
		t.Fatal(err)
	}
	return info.Kinds
}

// differences returns the dates on which a and b differ, as YYYY-MM-DD.
func differences(y int, a, b []calendar.Kind) []string {
	var out []string
	for i := range a {
		if a[i] != b[i] {
			out = append(out, time.Date(y, time.January, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
		}
	}
	return out
}

func TestGenerate(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name      string
		year      int
		kurbanAit time.Time
		transfers []string // the transfer order: dates that differ from the rule
		daysOff   []calendar.Day
		worked    []calendar.Day
	}{
		{
			name:      "the rules plus the order moving 5 January to 3 January give the official 2025 calendar",
			year:      2025,
			kurbanAit: day(2025, time.June, 6),
			transfers: []string{"2025-01-03", "2025-01-05"},
			daysOff:   []calendar.Day{{Date: day(2025, time.January, 3), Reason: "Transfer order"}},
			worked:    []calendar.Day{{Date: day(2025, time.January, 5), Reason: "Transfer order"}},
		},
		{
			name:      "the rules alone give the official 2026 calendar: no transfer order",
			year:      2026,
			kurbanAit: day(2026, time.May, 27),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			official := kindsOf(t, calendar.Default(), tc.year)

			gen, err := calendar.Generate(tc.year, tc.kurbanAit)
			if err != nil {
				t.Fatal(err)
			}
			rule, err := calendar.Default().With(gen)
			if err != nil {
				t.Fatal(err)
			}
			if got := differences(tc.year, kindsOf(t, rule, tc.year), official); !slices.Equal(got, tc.transfers) {
				t.Errorf("the rule differs from the official calendar on %v, want only the transfers %v", got, tc.transfers)
			}

			gen.DaysOff = append(gen.DaysOff, tc.daysOff...)
			gen.Worked = append(gen.Worked, tc.worked...)
			gen.Official = true
			corrected, err := calendar.Default().With(gen)
			if err != nil {
				t.Fatal(err)
			}
			if got := differences(tc.year, kindsOf(t, corrected, tc.year), official); len(got) != 0 {
				t.Errorf("the rule plus the transfers differs from the official calendar on %v", got)
			}
		})
	}

	t.Run("a holiday on a weekend moves its day off past the weekend and the other holidays", func(t *testing.T) {
		t.Parallel()
		// 2027: 2 Jan Saturday; Nauryz 21 March Sunday before 22-23 March;
		// 1 May Saturday; 9 May Sunday.
		gen, err := calendar.Generate(2027, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range gen.DaysOff {
			got = append(got, d.Date.Format(time.DateOnly))
		}
		want := []string{"2027-01-04", "2027-03-24", "2027-05-03", "2027-05-10"}
		if !slices.Equal(got, want) {
			t.Errorf("moved days off of 2027 = %v, want %v", got, want)
		}
	})

	t.Run("a generated year without Kurban Ait is marked unknown and not official", func(t *testing.T) {
		t.Parallel()
		gen, err := calendar.Generate(2031, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if gen.Official || !gen.KurbanAit.IsZero() {
			t.Errorf("generated year: official %v, Kurban Ait %s", gen.Official, gen.KurbanAit)
		}
		data, err := gen.Encode()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"official: false", "kurban_ait: unknown", "NOT OFFICIAL"} {
			if !strings.Contains(string(data), want) {
				t.Errorf("encoded year lacks %q:\n%s", want, data)
			}
		}
	})

	t.Run("a generated year encodes to a file that parses back unchanged", func(t *testing.T) {
		t.Parallel()
		for _, y := range []int{2027, 2032, 2100} {
			gen, err := calendar.Generate(y, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			data, err := gen.Encode()
			if err != nil {
				t.Fatal(err)
			}
			back, err := calendar.ParseYear("generated.yaml", data)
			if err != nil {
				t.Fatalf("%d: %v\n%s", y, err, data)
			}
			if !equalYears(gen, back) {
				t.Errorf("%d does not round-trip:\n%s", y, data)
			}
		}
	})

	t.Run("Kurban Ait on a holiday adds no day and is accepted", func(t *testing.T) {
		t.Parallel()
		gen, err := calendar.Generate(2032, day(2032, time.March, 22))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := calendar.Default().With(gen); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("years before the rules and Kurban Ait in another year are refused", func(t *testing.T) {
		t.Parallel()
		if _, err := calendar.Generate(2024, time.Time{}); err == nil || errors.Is(err, calendar.ErrInvalidFile) {
			t.Errorf("Generate(2024): error = %v, want a refusal", err)
		}
		if _, err := calendar.Generate(2027, day(2026, time.May, 27)); err == nil {
			t.Error("Generate(2027) with Kurban Ait in 2026 gave no error")
		}
	})
}

// equalYears compares two year files field by field.
func equalYears(a, b *calendar.YearFile) bool {
	days := func(x, y []calendar.Day) bool {
		return slices.EqualFunc(x, y, func(p, q calendar.Day) bool {
			return p.Date.Equal(q.Date) && p.Kind == q.Kind && p.Reason == q.Reason
		})
	}
	return a.Year == b.Year && a.Official == b.Official && a.Source == b.Source &&
		a.KurbanAit.Equal(b.KurbanAit) && days(a.Holidays, b.Holidays) &&
		days(a.DaysOff, b.DaysOff) && days(a.Worked, b.Worked)
}
