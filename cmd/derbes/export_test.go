package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/derbes/derbes/store/storetest"
)

func TestExportCommands(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			e := newImportEnv(t)
			if d == "postgres" {
				env := storetest.Config(t, d)
				e.vars = append(e.vars, "DERBES_DB="+env.Config.URL, "DERBES_SCHEMA="+env.Config.Schema)
			}
			file := filepath.Join(e.dir, "applicants.csv")
			rows, bad := applicantsCSV(t, file, 12)
			good := len(rows) - bad - 1
			if code, errs := e.importing(t, file); code != 1 || !strings.Contains(errs, "12 of 12 rows done") {
				t.Fatalf("import: exit %d\n%s", code, errs)
			}

			out := filepath.Join(e.dir, "appeals.jsonl")
			code, _, errs := run(t, e.dir, e.vars, "export", "purpose", "--purpose", "appeals", "--role", "integration", "--out", out)
			if code == 0 || !strings.Contains(errs, `role "integration" may not admin`) {
				t.Fatalf("a role without admin: exit %d %s", code, errs)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("a refused export left a file")
			}
			code, _, errs = run(t, e.dir, e.vars, "export", "purpose", "--purpose", "appeals", "--role", "responsible", "--out", out)
			if code != 0 {
				t.Fatalf("export purpose: exit %d %s", code, errs)
			}
			st, err := os.Stat(out)
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("the export file: %v %v", st, err)
			}
			b, _ := os.ReadFile(out)
			var first struct {
				Subject struct {
					ID          string            `json:"id"`
					Identifiers map[string]string `json:"identifiers"`
				} `json:"subject"`
				Records []struct {
					Fields map[string]string `json:"fields"`
				} `json:"records"`
			}
			lines := 0
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				if lines == 0 {
					if err := json.Unmarshal(sc.Bytes(), &first); err != nil {
						t.Fatal(err)
					}
				}
				lines++
			}
			if lines != good || first.Subject.Identifiers["iin"] == "" || len(first.Records) != 1 || first.Records[0].Fields["appeal_text"] != "Лифт істемейді" {
				t.Fatalf("%d lines, want %d; first: %+v", lines, good, first)
			}
			code, _, errs = run(t, e.dir, e.vars, "export", "purpose", "--purpose", "appeals", "--role", "responsible", "--out", out)
			if code == 0 || !strings.Contains(errs, "never overwrites") {
				t.Fatalf("a second export to the same file: exit %d %s", code, errs)
			}

			code, got, errs := run(t, e.dir, e.vars, "export", "subject", first.Subject.ID, "--purpose", "appeals", "--role", "integration")
			if code != 0 || !strings.Contains(got, first.Subject.Identifiers["iin"]) || !strings.Contains(got, `"exported_at"`) {
				t.Fatalf("export subject: exit %d %s %s", code, got, errs)
			}

			code, verified, errs := run(t, e.dir, e.vars, "journal", "verify")
			if code != 0 || !strings.Contains(verified, "journal OK") {
				t.Fatalf("journal verify: %s %s", verified, errs)
			}
			if code, _, errs := run(t, e.dir, e.vars, "journal", "export", "-o", "journal.jsonl"); code != 0 {
				t.Fatalf("journal export: %s", errs)
			}
			j, _ := os.ReadFile(filepath.Join(e.dir, "journal.jsonl"))
			if bytes.Count(j, []byte(`"action":"purpose.export"`)) != 1 || bytes.Count(j, []byte(`"action":"subject.export"`)) != 1 {
				t.Fatalf("the exports are not in the journal:\n%s", j)
			}
			if bytes.Contains(j, []byte(first.Subject.Identifiers["iin"])) {
				t.Fatal("the journal holds an IIN")
			}
		})
	}
}
