package calendar_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/derbes/derbes/calendar"
)

// FuzzLoadYear checks that the year-file parser never panics, that it only
// fails with FileErrors, and that a file it accepts encodes, parses back
// unchanged, loads and renders.
func FuzzLoadYear(f *testing.F) {
	// Small seeds: the fuzzer minimises each new input before going on, and
	// minimising a whole year file takes longer than a short fuzzing run.
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`year: 2025
official: true
source: "order"
kurban_ait: 2025-06-06
holidays:
  - {date: 2025-03-22, reason: "Nauryz (Saturday)"}
days_off:
  - {date: 2025-01-03, reason: "Transfer"}
worked:
  - {date: 2025-01-05, reason: "Transfer"}
`))
	f.Add([]byte("year: 2027\nofficial: false\nsource: s\nkurban_ait: unknown\n"))
	f.Add([]byte("year: 2027\nofficial: false\nsource: s\nkurban_ait: unknown\nworked: &a [*a]\n"))
	f.Add([]byte("{year: 2026, official: false, source: x, kurban_ait: 2026-02-29}"))

	f.Fuzz(func(t *testing.T, data []byte) {
		y, err := calendar.ParseYear("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, calendar.ErrInvalidFile) {
				t.Fatalf("error is not a FileError: %v", err)
			}
			return
		}
		out, err := y.Encode()
		if err != nil {
			t.Fatalf("an accepted year does not encode: %v", err)
		}
		back, err := calendar.ParseYear("encoded.yaml", out)
		if err != nil {
			t.Fatalf("an encoded year is refused: %v\n%s", err, out)
		}
		if !equalYears(y, back) {
			t.Fatalf("year changed through Encode:\n%s", out)
		}
		cal, err := calendar.Default().With(y)
		if err != nil {
			t.Fatalf("an accepted year does not load: %v", err)
		}
		if _, err := cal.Render(y.Year, "kk"); err != nil && !calendar.IsWarning(err) {
			t.Fatalf("an accepted year does not render: %v", err)
		}
	})
}
