package calendar_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/calendar"
)

// TestParseYearRefuses runs the vectors in testdata/invalid: each file starts
// with "# expect-line: N" (the line the first error names, 0 for none) and
// "# expect: text" (a part of its message). The file name is the sentence.
func TestParseYearRefuses(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	for _, file := range files {
		name := strings.ReplaceAll(strings.TrimSuffix(filepath.Base(file), ".yaml"), "_", " ")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			wantLine, wantText := expectations(t, string(data))
			_, err = calendar.ParseYear(file, data)
			var fe *calendar.FileError
			if !errors.As(err, &fe) || !errors.Is(err, calendar.ErrInvalidFile) {
				t.Fatalf("error = %v, want a FileError", err)
			}
			if fe.Line != wantLine || !strings.Contains(fe.Msg, wantText) || fe.File != file {
				t.Errorf("first error = %q (line %d), want line %d with %q", fe, fe.Line, wantLine, wantText)
			}
			if wantLine > 0 && !strings.Contains(err.Error(), file+":"+strconv.Itoa(wantLine)+":") {
				t.Errorf("error %q does not name %s:%d", err, file, wantLine)
			}
		})
	}
}

func expectations(t *testing.T, data string) (line int, text string) {
	t.Helper()
	for _, l := range strings.Split(data, "\n") {
		if v, ok := strings.CutPrefix(l, "# expect-line: "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			line = n
		}
		if v, ok := strings.CutPrefix(l, "# expect: "); ok {
			text = v
		}
	}
	if text == "" {
		t.Fatal("vector has no # expect: line")
	}
	return line, text
}

func TestParseYear(t *testing.T) {
	t.Parallel()

	t.Run("the embedded year files are valid and encode back to themselves", func(t *testing.T) {
		t.Parallel()
		files, err := filepath.Glob(filepath.Join("data", "*.yaml"))
		if err != nil || len(files) < 2 {
			t.Fatalf("data files: %v %v", files, err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			y, err := calendar.ParseYear(file, data)
			if err != nil {
				t.Fatal(err)
			}
			if !y.Official || filepath.Base(file) != strconv.Itoa(y.Year)+".yaml" {
				t.Errorf("%s holds year %d, official %v", file, y.Year, y.Official)
			}
			out, err := y.Encode()
			if err != nil {
				t.Fatal(err)
			}
			back, err := calendar.ParseYear("encoded", out)
			if err != nil || !equalYears(y, back) {
				t.Errorf("%s does not round-trip: %v\n%s", file, err, out)
			}
		}
	})

	t.Run("quoted and unquoted dates and an absent list are accepted", func(t *testing.T) {
		t.Parallel()
		y, err := calendar.ParseYear("t.yaml", []byte(`year: 2027
official: false
source: test
kurban_ait: "2027-05-17"
holidays:
  - date: "2027-01-01"
    reason: New Year
  - {date: 2027-01-07, reason: Christmas}
`))
		if err != nil {
			t.Fatal(err)
		}
		if len(y.Holidays) != 2 || y.DaysOff != nil || y.Worked != nil ||
			!y.KurbanAit.Equal(time.Date(2027, time.May, 17, 0, 0, 0, 0, calendar.Location())) {
			t.Errorf("parsed %+v", y)
		}
	})

	t.Run("every problem of a file is reported, each with its line", func(t *testing.T) {
		t.Parallel()
		_, err := calendar.ParseYear("t.yaml", []byte(`year: 2026
official: true
source: test
kurban_ait: 2026-05-27
days_off:
  - {date: 2026-03-07, reason: Saturday}
worked:
  - {date: 2026-03-09, reason: Monday}
`))
		if err == nil || !strings.Contains(err.Error(), "t.yaml:6:") || !strings.Contains(err.Error(), "t.yaml:8:") {
			t.Fatalf("error = %v, want lines 6 and 8", err)
		}
	})

	t.Run("an empty file and a file too large are refused", func(t *testing.T) {
		t.Parallel()
		for _, data := range [][]byte{nil, []byte("# only a comment\n"), make([]byte, 1<<20+1)} {
			if _, err := calendar.ParseYear("t.yaml", data); !errors.Is(err, calendar.ErrInvalidFile) {
				t.Errorf("ParseYear(%d bytes): error = %v", len(data), err)
			}
		}
	})
}
