package main_test

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// validIIN returns the n-th valid IIN of people born on 12 March 1995.
func validIINs(n int) []string {
	var out []string
	for serial := 1; len(out) < n; serial++ {
		s := fmt.Sprintf("9503124%04d", serial)
		sum := 0
		for i := range 11 {
			sum += int(s[i]-'0') * (i + 1)
		}
		r := sum % 11
		if r == 10 {
			sum = 0
			for i := range 11 {
				sum += int(s[i]-'0') * ((i+2)%11 + 1)
			}
			if r = sum % 11; r == 10 {
				continue
			}
		}
		out = append(out, fmt.Sprintf("%s%d", s, r))
	}
	return out
}

// applicantsCSV writes n applicants in Windows-1251 with ';', as Excel
// saves "CSV (разделители - запятые)" on a Russian or Kazakh Windows.
// Every tenth row, from the fourth, has a wrong IIN check digit; the last
// row repeats the first one's IIN.
func applicantsCSV(t *testing.T, path string, n int) (rows [][]string, bad int) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = ';'
	w.UseCRLF = true
	w.Write([]string{"ЖСН", "ФИО", "Телефон", "Мекенжай", "Текст обращения"})
	for i, iin := range validIINs(n) {
		if i%10 == 3 {
			iin = iin[:11] + fmt.Sprint((int(iin[11]-'0')+1)%10)
			bad++
		}
		if i == n-1 {
			iin = rows[0][0]
		}
		row := []string{iin, fmt.Sprintf("Мадина Серікова %d", i), fmt.Sprintf("8 701 555 %02d %02d", i/100%100, i%100), fmt.Sprintf("Астана, Кенесары %d", i+1), "Лифт істемейді"}
		rows = append(rows, row)
		w.Write(row)
	}
	w.Flush()
	enc, err := charmap.Windows1251.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, enc, 0o600); err != nil {
		t.Fatal(err)
	}
	return rows, bad
}

type importEnv struct {
	dir, data string
	vars      []string
	args      []string
}

func newImportEnv(t *testing.T) *importEnv {
	t.Helper()
	dir := t.TempDir()
	e := &importEnv{dir: dir, data: filepath.Join(dir, "data")}
	e.vars = []string{"DERBES_DATA_DIR=" + e.data, "DERBES_KEYRING_FILE=" + filepath.Join(dir, "keyring.json")}
	if code, _, errs := run(t, dir, e.vars, "keys", "init"); code != 0 {
		t.Fatalf("keys init: %s", errs)
	}
	policyFile, _ := filepath.Abs("../../examples/ikomek/policy.yaml")
	e.args = []string{"--policy", policyFile, "--role", "integration",
		"--column", "ЖСН=iin", "--column", "ФИО=full_name", "--column", "Телефон=phone", "--column", "Мекенжай=address", "--column", "Текст обращения=appeal_text",
		"--category", "applicant", "--purpose", "appeals", "--channel", "written",
		"--consent-form", "other", "--consent-reference", "paper consents, archive box 12", "--consent-third-party"}
	return e
}

func (e *importEnv) importing(t *testing.T, file string, extra ...string) (int, string) {
	t.Helper()
	code, _, errs := run(t, e.dir, e.vars, append(append([]string{"import", file}, e.args...), extra...)...)
	return code, errs
}

func (e *importEnv) subjects(t *testing.T) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.data, "derbes.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM subjects").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportCommand(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t)
	file := filepath.Join(e.dir, "өтініштер.csv")
	rows, bad := applicantsCSV(t, file, 100)
	good := 100 - bad - 1 // the last row is a duplicate

	// A dry run checks every row and stores nothing.
	code, errs := e.importing(t, file, "--dry-run")
	if code != 1 || !strings.Contains(errs, fmt.Sprintf("dry run of %s (windows-1251): 100 rows: %d valid, 1 duplicates, %d failed", file, good, bad)) ||
		!strings.Contains(errs, "line 5: failed invalid-iin (iin)") || !strings.Contains(errs, "line 101: duplicate subject-exists (iin)") {
		t.Fatalf("dry run: exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(e.data, "derbes.db")); err == nil {
		t.Fatal("a dry run with a policy file opened the store")
	}
	if _, err := os.Stat(file + ".derbes-import.json"); err == nil {
		t.Fatal("a dry run left a state file")
	}

	// Interrupted after 40 rows (as Ctrl-C would), then run again.
	code, errs = e.importing(t, file, "--stop-after", "40", "--chunk", "16", "--workers", "4")
	if code != 3 || !strings.Contains(errs, "40 of 100 rows done") || !strings.Contains(errs, "run the same command again") {
		t.Fatalf("interrupted import: exit %d\n%s", code, errs)
	}
	if n := e.subjects(t); n != 40-4 {
		t.Fatalf("%d subjects after 40 rows", n)
	}
	code, errs = e.importing(t, file)
	if code != 1 || !strings.Contains(errs, fmt.Sprintf("100 of 100 rows done: %d created, 0 merged, 1 duplicates, %d failed", good, bad)) || !strings.Contains(errs, "resumed: 40 rows") {
		t.Fatalf("resumed import: exit %d\n%s", code, errs)
	}
	if n := e.subjects(t); n != good {
		t.Fatalf("%d subjects, want %d", n, good)
	}
	report, err := os.ReadFile(file + ".derbes-import-report.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(bytes.NewReader(report)).ReadAll()
	if len(recs) != 1+bad+1 || strings.Join(recs[1][:4], ",") != "5,failed,invalid-iin,iin" || strings.Join(recs[len(recs)-1][:4], ",") != "101,duplicate,subject-exists,iin" {
		t.Fatalf("report:\n%s", report)
	}
	for _, row := range rows {
		for _, v := range row {
			if bytes.Contains(report, []byte(v)) {
				t.Fatalf("the report holds %q", v)
			}
		}
	}
	// Again: nothing to do.
	code, errs = e.importing(t, file)
	if code != 1 || !strings.Contains(errs, "finished earlier") || e.subjects(t) != good {
		t.Fatalf("a third run: exit %d\n%s", code, errs)
	}

	// The journal holds the import's start, its rows and its end, and verifies.
	code, out, errs := run(t, e.dir, e.vars, "journal", "verify")
	if code != 0 || !strings.Contains(out, "journal OK") {
		t.Fatalf("journal verify: %s %s", out, errs)
	}
	if code, _, errs := run(t, e.dir, e.vars, "journal", "export", "-o", "journal.jsonl"); code != 0 {
		t.Fatalf("journal export: %s", errs)
	}
	j, _ := os.ReadFile(filepath.Join(e.dir, "journal.jsonl"))
	if bytes.Count(j, []byte(`"action":"import.start"`)) != 2 || bytes.Count(j, []byte(`"action":"import.end"`)) != 2 ||
		bytes.Count(j, []byte(`"action":"subject.create"`)) != good {
		t.Fatalf("journal:\n%s", j)
	}
	for _, row := range rows {
		if bytes.Contains(j, []byte(row[0])) {
			t.Fatal("the journal holds an IIN")
		}
	}

	// With --merge, a second file's rows with IINs already in are added to
	// those subjects.
	second := filepath.Join(e.dir, "second.csv")
	applicantsCSV(t, second, 12)
	code, errs = e.importing(t, second, "--merge")
	if code != 1 || !strings.Contains(errs, "12 of 12 rows done: 0 created, 11 merged, 0 duplicates, 1 failed") || e.subjects(t) != good {
		t.Fatalf("merge: exit %d\n%s", code, errs)
	}

	// A mapping the policy does not allow is refused before anything runs.
	code, errs = e.importing(t, file, "--column", "Мекенжай=health", "--report", filepath.Join(e.dir, "r.csv"))
	if code != 2 || !strings.Contains(errs, `field "health" is not in the policy`) {
		t.Fatalf("a bad mapping: exit %d\n%s", code, errs)
	}
}

// An import killed with SIGKILL leaves no duplicates: running it again
// finds the rows stored after its last saved state in the journal.
func TestImportKilledResumesWithoutDuplicates(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("imports a few thousand rows")
	}
	e := newImportEnv(t)
	file := filepath.Join(e.dir, "big.csv")
	const n = 3000
	_, bad := applicantsCSV(t, file, n)
	good := n - bad - 1
	state := file + ".derbes-import.json"

	cmd := exec.Command(bin, append(append([]string{"import", file}, e.args...), "--chunk", "200")...)
	cmd.Dir, cmd.Env = e.dir, append(os.Environ(), e.vars...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	killed := false
	deadline := time.After(60 * time.Second)
poll:
	for {
		select {
		case <-exited:
			break poll
		case <-deadline:
			cmd.Process.Kill()
			t.Fatal("the import did not get going in a minute")
		case <-time.After(5 * time.Millisecond):
		}
		var st struct{ Committed, Reserved int }
		if b, err := os.ReadFile(state); err == nil && json.Unmarshal(b, &st) == nil && st.Committed >= 300 {
			cmd.Process.Signal(syscall.SIGKILL)
			killed = st.Committed < n
			break
		}
	}
	<-exited
	if !killed {
		t.Log("the import finished before it could be killed; resuming is still checked")
	} else {
		var st struct{ Counts struct{ Created int } }
		b, _ := os.ReadFile(state)
		json.Unmarshal(b, &st)
		// Usually more: the rows stored since the state was last saved.
		t.Logf("killed: %d subjects stored, %d counted in the state", e.subjects(t), st.Counts.Created)
	}
	code, errs := e.importing(t, file)
	if code != 1 || !strings.Contains(errs, fmt.Sprintf("%d of %d rows done", n, n)) {
		t.Fatalf("resumed: exit %d\n%s", code, errs)
	}
	if got := e.subjects(t); got != good {
		t.Fatalf("%d subjects, want %d", got, good)
	}
	var st struct {
		Counts struct{ Created, Failed, Duplicates int }
	}
	b, _ := os.ReadFile(state)
	json.Unmarshal(b, &st)
	if st.Counts.Created != good || st.Counts.Failed != bad || st.Counts.Duplicates != 1 {
		t.Fatalf("counts %+v", st.Counts)
	}
}

func TestImportXLSXWithAMappingFile(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t)
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"ЖСН", "Аты-жөні", "Телефон", "Өтініш мәтіні"})
	iins := validIINs(3)
	f.SetSheetRow("Sheet1", "A2", &[]any{iins[0], "Әлия Қасымқызы", "+7 701 555 00 01", "Жарық жоқ"})
	f.SetSheetRow("Sheet1", "A3", &[]any{iins[1], "Ержан Бекұлы", "", "Су жоқ"})
	f.SetSheetRow("Sheet1", "A4", &[]any{iins[2][:11] + fmt.Sprint((int(iins[2][11]-'0')+1)%10), "Дана Серікқызы", "", "Лифт"})
	file := filepath.Join(e.dir, "appeals.xlsx")
	if err := f.SaveAs(file); err != nil {
		t.Fatal(err)
	}
	mapping := filepath.Join(e.dir, "map.yaml")
	os.WriteFile(mapping, []byte(`columns:
  ЖСН: iin
  Аты-жөні: full_name
  Телефон: phone
  Өтініш мәтіні: appeal_text
category: applicant
purpose: appeals
channel: written
consent:
  form: other
  reference: "paper consents, archive box 12"
`), 0o600)
	policyFile, _ := filepath.Abs("../../examples/ikomek/policy.yaml")
	code, _, errs := run(t, e.dir, e.vars, "import", file, "--map", mapping, "--policy", policyFile, "--role", "integration", "--report", "report.csv")
	if code != 1 || !strings.Contains(errs, "3 of 3 rows done: 2 created") || !strings.Contains(errs, "line 4: failed invalid-iin (iin)") {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	report, _ := os.ReadFile(filepath.Join(e.dir, "report.csv"))
	if !strings.HasPrefix(string(report), "line,outcome,code,field,subject,message\n4,failed,invalid-iin,iin,") {
		t.Fatalf("report:\n%s", report)
	}
}
