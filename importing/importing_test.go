package importing_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/derbes/derbes/examples"
	"github.com/derbes/derbes/importing"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
)

// IIN returns a valid IIN for a birth date (YYMMDD), century-and-sex digit
// and serial, or "" when that serial gets no check digit.
func IIN(date string, century int, serial int) string {
	s := fmt.Sprintf("%s%d%04d", date, century, serial)
	var d [11]int
	for i := range 11 {
		d[i] = int(s[i] - '0')
	}
	sum := 0
	for i := range 11 {
		sum += d[i] * (i + 1)
	}
	r := sum % 11
	if r == 10 {
		sum = 0
		for i := range 11 {
			sum += d[i] * ((i+2)%11 + 1)
		}
		if r = sum % 11; r == 10 {
			return ""
		}
	}
	return fmt.Sprintf("%s%d", s, r)
}

// iins returns n distinct valid IINs.
func iins(n int, date string, century int) []string {
	var out []string
	for serial := 1; len(out) < n; serial++ {
		if s := IIN(date, century, serial); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// badCheckDigit returns iin with a wrong last digit.
func badCheckDigit(iin string) string {
	last := (int(iin[11]-'0') + 1) % 10
	return iin[:11] + fmt.Sprint(last)
}

type env struct {
	*storetest.Env
	v *vault.Vault
	p *policy.Policy
}

func open(t *testing.T, dialect string) *env {
	t.Helper()
	e := storetest.Open(t, dialect)
	ctx := context.Background()
	v, err := vault.Open(ctx, e.Store, e.Ring)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := examples.Files.ReadFile("ikomek/policy.yaml")
	p, err := policy.Parse("ikomek", src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Activate(ctx, vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	return &env{Env: e, v: v, p: p}
}

func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.Raw.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// appeals is the mapping of the test files: Kazakh and Russian headers
// (in letters Windows-1251 has) to the iKomek policy's fields.
func appeals() importing.Mapping {
	return importing.Mapping{
		Columns:  map[string]string{"ЖСН": "iin", "ФИО": "full_name", "Телефон": "phone", "Мекенжай": "address", "Текст обращения": "appeal_text", "Ескерту": "-"},
		Category: "applicant", Purpose: "appeals", Channel: "written",
		Consent: importing.ConsentTerms{Form: "other", Reference: "paper consents, archive box 12", ThirdParty: true},
	}
}

var header = []string{"ЖСН", "ФИО", "Телефон", "Мекенжай", "Текст обращения", "Ескерту"}

// table writes rows as CSV text with ';', as Excel does in these locales.
func csvText(rows [][]string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = ';'
	w.UseCRLF = true
	w.Write(header)
	w.WriteAll(rows)
	return b.String()
}

func cp1251(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("the test text is not in Windows-1251: %v", err)
	}
	return b
}

// people makes n rows of valid applicants.
func people(n int) [][]string {
	var rows [][]string
	for i, iin := range iins(n, "950312", 4) {
		rows = append(rows, []string{iin, fmt.Sprintf("Мадина Серікова %d", i), fmt.Sprintf("8 (701) 555-%02d-%02d", i/100, i%100),
			fmt.Sprintf("Астана, Кенесары %d", i+1), "Лифт істемейді", "ескерту"})
	}
	return rows
}

type run struct {
	dir    string
	file   string
	state  string
	report string
}

func newRun(t *testing.T, name string, data []byte) *run {
	dir := t.TempDir()
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return &run{dir: dir, file: f, state: importing.StatePath(f), report: filepath.Join(dir, "report.csv")}
}

func (r *run) do(t *testing.T, e *env, m importing.Mapping, b importing.Batch, o importing.Options) (*importing.Summary, error) {
	t.Helper()
	tab, err := importing.ReadFile(r.file, importing.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := importing.NewPlan(e.p, tab.Header, m, b)
	if err != nil {
		t.Fatal(err)
	}
	o.ReportPath = r.report
	if !o.DryRun {
		o.StatePath = r.state
		o.Journal = importing.StoreJournal{Store: e.Store}
	}
	return importing.Run(context.Background(), e.v, e.p, tab, pl, o)
}

func (r *run) reportLines(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(r.report)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:]
}

// noValues fails if the report holds any of the rows' values.
func (r *run) noValues(t *testing.T, rows [][]string) {
	t.Helper()
	b, _ := os.ReadFile(r.report)
	s, _ := os.ReadFile(r.state)
	for _, row := range rows {
		for _, v := range row {
			if len(v) < 5 {
				continue
			}
			if bytes.Contains(b, []byte(v)) {
				t.Fatalf("the report holds a value: %q\n%s", v, b)
			}
			if bytes.Contains(s, []byte(v)) {
				t.Fatalf("the state file holds a value: %q\n%s", v, s)
			}
		}
	}
}

var integration = importing.Batch{Role: "integration"}

func TestWindows1251ImportsWithABadIINReported(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			e := open(t, d)
			rows := people(30)
			rows[6][0] = badCheckDigit(rows[6][0]) // line 8: the header is line 1
			rows[11][2] = "12345"                  // line 13: a bad phone
			r := newRun(t, "appeals.csv", cp1251(t, csvText(rows)))
			sum, err := r.do(t, e, appeals(), integration, importing.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Complete || sum.Created != 28 || sum.Failed != 2 || sum.OK() {
				t.Fatalf("summary %+v", sum)
			}
			if n := e.count(t, "subjects"); n != 28 {
				t.Fatalf("%d subjects stored, want 28", n)
			}
			got := r.reportLines(t)
			want := [][]string{
				{"8", "failed", "invalid-iin", "iin"},
				{"13", "failed", "invalid-phone", "phone"},
			}
			if len(got) != len(want) {
				t.Fatalf("report:\n%v", got)
			}
			for i := range want {
				if !slicesHasPrefix(got[i], want[i]) {
					t.Fatalf("report line %d: %v, want %v", i, got[i], want[i])
				}
			}
			if !strings.Contains(got[0][5], "check digit") {
				t.Fatalf("the reason of a bad IIN: %q", got[0][5])
			}
			r.noValues(t, rows)

			// What went in reads back as it was, in UTF-8.
			ctx := context.Background()
			a := vault.Actor{ID: "test", Role: "integration"}
			ids, err := e.v.Lookup(ctx, a, "appeals", "iin", rows[0][0])
			if err != nil || len(ids) != 1 {
				t.Fatalf("lookup: %v %v", ids, err)
			}
			recs, err := e.v.ListRecords(ctx, a, ids[0], "appeals")
			if err != nil || len(recs) != 1 {
				t.Fatalf("records: %v %v", recs, err)
			}
			if f := recs[0].Fields; f["full_name"] != "Мадина Серікова 0" || f["appeal_text"] != "Лифт істемейді" || f["address"] != "Астана, Кенесары 1" || recs[0].Channel != "written" || recs[0].Consent == "" {
				t.Fatalf("record %+v", recs[0])
			}
			sub, err := e.v.GetSubject(ctx, a, ids[0], "appeals")
			if err != nil || sub.Identifiers["phone"] != "+77015550000" {
				t.Fatalf("subject %+v %v", sub, err)
			}
			if ids, _ := e.v.Lookup(ctx, a, "appeals", "iin", rows[6][0][:11]+"0"); len(ids) > 0 {
				t.Fatal("a row with a bad IIN was stored")
			}

			// The journal frames the rows with the import's start and end.
			var st importing.State
			b, _ := os.ReadFile(r.state)
			json.Unmarshal(b, &st)
			if !st.Complete || st.Committed != 30 || st.Import != sum.Import {
				t.Fatalf("state %s", b)
			}
			entries := journalOf(t, e, "import:"+sum.Import)
			if entries[0].Action != importing.ActionStart || entries[len(entries)-1].Action != importing.ActionEnd ||
				!strings.Contains(entries[len(entries)-1].Detail, `"created":28`) {
				t.Fatalf("journal: first %+v last %+v", entries[0], entries[len(entries)-1])
			}
			creates := 0
			for _, en := range entries {
				if en.Action == journal.SubjectCreate {
					creates++
				}
			}
			if creates != 28 {
				t.Fatalf("%d subject.create entries by the import", creates)
			}
			if res, err := e.v.VerifyJournal(ctx); err != nil || !res.OK() {
				t.Fatalf("journal verify: %+v %v", res, err)
			}

			// Running the same command again does nothing.
			again, err := r.do(t, e, appeals(), integration, importing.Options{})
			if err != nil || !again.AlreadyComplete || e.count(t, "subjects") != 28 {
				t.Fatalf("a second run: %+v %v", again, err)
			}
		})
	}
}

func slicesHasPrefix(s, prefix []string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := range prefix {
		if s[i] != prefix[i] {
			return false
		}
	}
	return true
}

func journalOf(t *testing.T, e *env, actor string) []*journal.Entry {
	t.Helper()
	var out []*journal.Entry
	var after int64
	for {
		page, err := importing.StoreJournal{Store: e.Store}.Range(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range page {
			if en.Actor == actor {
				out = append(out, en)
			}
		}
		if len(page) < 1000 {
			return out
		}
		after = page[len(page)-1].Seq
	}
}

func TestDuplicatesAreReportedOrMerged(t *testing.T) {
	t.Parallel()
	e := open(t, "sqlite")
	rows := people(5)
	// Line 5 repeats line 2's IIN; line 6 is a subject already in the vault.
	rows[3][0] = rows[0][0]
	rows[3][3] = "Астана, Сарыарка 3"
	existing := iins(1, "880101", 3)[0]
	rows[4][0] = existing
	ctx := context.Background()
	a := vault.Actor{ID: "test", Role: "integration"}
	if _, err := e.v.CreateSubject(ctx, a, vault.NewSubject{Category: "applicant", Purpose: "appeals", Identifiers: map[string]string{"iin": existing}}); err != nil {
		t.Fatal(err)
	}
	data := []byte(csvText(rows))

	r := newRun(t, "dups.csv", data)
	sum, err := r.do(t, e, appeals(), integration, importing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 3 || sum.Duplicates != 2 || sum.OK() {
		t.Fatalf("summary %+v", sum)
	}
	got := r.reportLines(t)
	if len(got) != 2 || !slicesHasPrefix(got[0], []string{"5", "duplicate", "subject-exists", "iin"}) || !strings.Contains(got[0][5], "line 2") ||
		!slicesHasPrefix(got[1], []string{"6", "duplicate", "subject-exists", "iin"}) {
		t.Fatalf("report %v", got)
	}
	r.noValues(t, rows)
	if n := e.count(t, "subjects"); n != 4 {
		t.Fatalf("%d subjects", n)
	}

	// With --merge, the same rows (a new import of them) are added to the
	// subjects that have their IINs.
	m := newRun(t, "dups.csv", data)
	sum, err = m.do(t, e, appeals(), importing.Batch{Role: "integration", Merge: true}, importing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Lines 2-4 are now in the vault too: every row merges.
	if sum.Merged != 5 || sum.Created != 0 || !sum.OK() {
		t.Fatalf("merge summary %+v", sum)
	}
	got = m.reportLines(t)
	if len(got) != 5 || got[4][1] != "merged" || got[4][4] == "" {
		t.Fatalf("merge report %v", got)
	}
	if n := e.count(t, "subjects"); n != 4 {
		t.Fatalf("%d subjects after merging", n)
	}
	ids, _ := e.v.Lookup(ctx, a, "appeals", "iin", rows[0][0])
	recs, err := e.v.ListRecords(ctx, a, ids[0], "appeals")
	if err != nil || len(recs) != 3 { // line 2 by the first import; lines 2 and 5 merged by the second
		t.Fatalf("records of the subject of lines 2 and 5: %d %v", len(recs), err)
	}
	for _, rec := range recs {
		if rec.Consent == "" {
			t.Fatalf("a merged record without its consent: %+v", rec)
		}
	}
	ids, _ = e.v.Lookup(ctx, a, "appeals", "iin", existing)
	recs, _ = e.v.ListRecords(ctx, a, ids[0], "appeals")
	if len(recs) != 1 || recs[0].Fields["phone"] == "" {
		t.Fatalf("the existing subject's merged record: %+v", recs)
	}
}

func TestDryRunStoresNothing(t *testing.T) {
	t.Parallel()
	e := open(t, "sqlite")
	rows := people(10)
	rows[2][0] = badCheckDigit(rows[2][0])
	rows[5][0] = rows[1][0]
	r := newRun(t, "dry.csv", []byte(csvText(rows)))
	before := e.count(t, "journal")
	sum, err := r.do(t, e, appeals(), integration, importing.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.DryRun || sum.Valid != 8 || sum.Failed != 1 || sum.Duplicates != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if e.count(t, "subjects") != 0 || e.count(t, "journal") != before {
		t.Fatal("a dry run stored something")
	}
	if _, err := os.Stat(r.state); !os.IsNotExist(err) {
		t.Fatal("a dry run wrote a state file")
	}
	got := r.reportLines(t)
	if len(got) != 2 || !slicesHasPrefix(got[0], []string{"4", "failed", "invalid-iin", "iin"}) || !slicesHasPrefix(got[1], []string{"7", "duplicate", "subject-exists", "iin"}) {
		t.Fatalf("report %v", got)
	}
	r.noValues(t, rows)
	// The real import finds what the dry run found.
	sum, err = r.do(t, e, appeals(), integration, importing.Options{})
	if err != nil || sum.Created != 8 || sum.Failed != 1 || sum.Duplicates != 1 {
		t.Fatalf("the import after the dry run: %+v %v", sum, err)
	}
}

// rowsForResume mixes rows with an IIN, rows with only a phone (which the
// vault cannot tell apart from a new subject) and bad rows.
func rowsForResume(n int) [][]string {
	rows := people(n)
	for i := range rows {
		switch i % 10 {
		case 3, 7:
			rows[i][0] = "" // found by phone only
		case 5:
			rows[i][0] = badCheckDigit(rows[i][0])
		}
	}
	return rows
}

func TestAnInterruptedImportResumesWithoutDuplicates(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			e := open(t, d)
			rows := rowsForResume(200)
			r := newRun(t, "resume.csv", cp1251(t, csvText(rows)))
			sum, err := r.do(t, e, appeals(), integration, importing.Options{StopAfter: 70, Chunk: 32, Workers: 8})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Complete || sum.Done != 70 {
				t.Fatalf("the first run: %+v", sum)
			}
			sum, err = r.do(t, e, appeals(), integration, importing.Options{Chunk: 32, Workers: 8})
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Complete || sum.ResumedFrom != 70 || sum.Created != 180 || sum.Failed != 20 {
				t.Fatalf("the resumed run: %+v", sum)
			}
			if n := e.count(t, "subjects"); n != 180 {
				t.Fatalf("%d subjects, want 180", n)
			}
			got := r.reportLines(t)
			if len(got) != 20 || got[0][0] != "7" || got[19][0] != "197" {
				t.Fatalf("report of %d lines: %v", len(got), got)
			}
		})
	}
}

// A run that dies without saving its state (a crash, SIGKILL) leaves rows
// stored that the state does not count. The next run finds them in the
// journal and by their identifiers, and imports only the others.
func TestRowsStoredByACrashedRunAreNotImportedTwice(t *testing.T) {
	t.Parallel()
	e := open(t, "sqlite")
	rows := rowsForResume(120)
	// Two rows with the same phone and no IIN: a family; each is its own
	// subject.
	rows[13][2], rows[17][2] = rows[3][2], rows[3][2]
	r := newRun(t, "crash.csv", []byte(csvText(rows)))
	sum, err := r.do(t, e, appeals(), integration, importing.Options{StopAfter: 50, Chunk: 64, Workers: 8})
	if err != nil || sum.Done != 50 {
		t.Fatalf("the first run: %+v %v", sum, err)
	}
	// Make the state what a crash right after the rows were stored would
	// have left: nothing counted, 64 rows reserved.
	var st importing.State
	b, _ := os.ReadFile(r.state)
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Reserved != 50 { // a clean stop leaves no row uncertain
		t.Fatalf("reserved %d", st.Reserved)
	}
	st.Committed, st.Reserved, st.Done, st.Counts, st.ReportBytes = 0, 64, nil, importing.Counts{}, 0
	b, _ = json.Marshal(st)
	os.WriteFile(r.state, b, 0o600)

	sum, err = r.do(t, e, appeals(), integration, importing.Options{Chunk: 64, Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Complete || sum.Created != 108 || sum.Failed != 12 {
		t.Fatalf("the run after the crash: %+v", sum)
	}
	if n := e.count(t, "subjects"); n != 108 {
		t.Fatalf("%d subjects, want 108", n)
	}
}

func TestUTF8WithBOM(t *testing.T) {
	t.Parallel()
	e := open(t, "sqlite")
	rows := people(3)
	rows[0][1] = "Әлия Қасымқызы Нұрланова" // letters Windows-1251 lacks
	r := newRun(t, "bom.csv", append([]byte{0xEF, 0xBB, 0xBF}, csvText(rows)...))
	sum, err := r.do(t, e, appeals(), integration, importing.Options{})
	if err != nil || sum.Created != 3 {
		t.Fatalf("%+v %v", sum, err)
	}
	tab, _ := importing.ReadFile(r.file, importing.ReadOptions{})
	if tab.Encoding != importing.UTF8BOM || tab.Header[0] != "ЖСН" {
		t.Fatalf("encoding %s, header %q", tab.Encoding, tab.Header[0])
	}
	ctx := context.Background()
	a := vault.Actor{ID: "test", Role: "integration"}
	ids, _ := e.v.Lookup(ctx, a, "appeals", "iin", rows[0][0])
	recs, _ := e.v.ListRecords(ctx, a, ids[0], "appeals")
	if recs[0].Fields["full_name"] != "Әлия Қасымқызы Нұрланова" {
		t.Fatalf("name %q", recs[0].Fields["full_name"])
	}
}

func TestXLSXImports(t *testing.T) {
	t.Parallel()
	e := open(t, "sqlite")
	f := excelize.NewFile()
	sheet := "Өтініштер"
	f.SetSheetName("Sheet1", sheet)
	f.NewSheet("Басқа")
	people := iins(3, "050607", 5) // born in 2005: the IIN starts with 0
	f.SetSheetRow(sheet, "A1", &[]any{"ЖСН", "Аты-жөні", "Телефон", "Өтініш мәтіні"})
	// An IIN typed as a number loses its leading zero; one kept as text does not.
	n, _ := strconv.ParseInt(people[0], 10, 64)
	f.SetSheetRow(sheet, "A2", &[]any{n, "Әлия Қасымқызы", 77015550001, "Жарық жоқ"})
	f.SetSheetRow(sheet, "A3", &[]any{people[1], "Ержан Бекұлы", "+7 701 555 00 02", "Су жоқ"})
	// Row 4 is left empty.
	f.SetSheetRow(sheet, "A5", &[]any{people[2], "Дана Серікқызы", "", "Лифт"})
	dir := t.TempDir()
	path := filepath.Join(dir, "appeals.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	tab, err := importing.ReadFile(path, importing.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Encoding != importing.XLSX || len(tab.Rows) != 4 || tab.Rows[3].Line != 5 || tab.Rows[0].Cells[0] != people[0][1:] {
		t.Fatalf("table %+v", tab)
	}
	m := importing.Mapping{Columns: map[string]string{"ЖСН": "iin", "Аты-жөні": "full_name", "Телефон": "phone", "Өтініш мәтіні": "appeal_text"},
		Category: "applicant", Purpose: "appeals", Channel: "written", Consent: importing.ConsentTerms{Form: "other", Reference: "box 12"}}
	pl, err := importing.NewPlan(e.p, tab.Header, m, importing.Batch{Role: "integration", PadIIN: true})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := importing.Run(context.Background(), e.v, e.p, tab, pl, importing.Options{ReportPath: filepath.Join(dir, "report.csv"),
		StatePath: importing.StatePath(path), Journal: importing.StoreJournal{Store: e.Store}})
	if err != nil || sum.Created != 3 || sum.Empty != 1 || !sum.OK() {
		t.Fatalf("%+v %v", sum, err)
	}
	ctx := context.Background()
	a := vault.Actor{ID: "test", Role: "integration"}
	for _, iin := range people {
		if ids, _ := e.v.Lookup(ctx, a, "appeals", "iin", iin); len(ids) != 1 {
			t.Fatalf("IIN %s not found", iin)
		}
	}
	// Another sheet by name.
	if _, err := importing.ReadFile(path, importing.ReadOptions{Sheet: "Жоқ"}); err == nil || !strings.Contains(err.Error(), "Басқа") {
		t.Fatalf("an unknown sheet: %v", err)
	}
	if tab, err := importing.ReadFile(path, importing.ReadOptions{Sheet: "Басқа"}); err == nil {
		t.Fatalf("an empty sheet read as %+v", tab)
	}
}

func TestXLSXDatesAndLongNumbers(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"ЖСН", "Туған күні", "Қабылданды", "Сома"})
	f.SetSheetRow("Sheet1", "A2", &[]any{950312405675, time.Date(1995, 3, 12, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 5, 14, 30, 0, 0, time.UTC), 1234.5})
	custom := "dd.mm.yyyy"
	style, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
	f.SetCellStyle("Sheet1", "B2", "B2", style)
	sci, _ := f.NewStyle(&excelize.Style{NumFmt: 11}) // 0.00E+00
	f.SetCellValue("Sheet1", "A3", 950312405675)
	f.SetCellStyle("Sheet1", "A3", "A3", sci)
	var b bytes.Buffer
	f.Write(&b)
	tab, err := importing.ReadXLSX(b.Bytes(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"950312405675", "1995-03-12", "2024-03-05 14:30:00", "1234.5"}
	for i, w := range want {
		if tab.Rows[0].Cells[i] != w {
			t.Fatalf("cell %d: %q, want %q", i, tab.Rows[0].Cells[i], w)
		}
	}
	if tab.Rows[1].Cells[0] != "950312405675" {
		t.Fatalf("a number in scientific notation: %q", tab.Rows[1].Cells[0])
	}
}

func TestEncodings(t *testing.T) {
	t.Parallel()
	text := "ЖСН;ФИО\r\n950312405675;Мадина Серікова\r\n"
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"utf-8", []byte(text), importing.UTF8},
		{"bom", append([]byte{0xEF, 0xBB, 0xBF}, text...), importing.UTF8BOM},
		{"1251", cp1251(t, text), importing.Windows1251},
	} {
		tab, err := importing.ReadCSV(c.data, importing.ReadOptions{})
		if err != nil || tab.Encoding != c.want || tab.Header[0] != "ЖСН" || tab.Rows[0].Cells[1] != "Мадина Серікова" || tab.Rows[0].Line != 2 {
			t.Fatalf("%s: %+v %v", c.name, tab, err)
		}
	}
	// Forcing UTF-8 on a Windows-1251 file says where it breaks.
	if _, err := importing.ReadCSV(cp1251(t, text), importing.ReadOptions{Encoding: "utf-8"}); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("forced utf-8: %v", err)
	}
	if _, err := importing.ReadCSV([]byte{0xFF, 0xFE, 'a', 0}, importing.ReadOptions{}); err == nil || !strings.Contains(err.Error(), "UTF-16") {
		t.Fatalf("utf-16: %v", err)
	}
	// A quoted value over two lines: the next row keeps its own line.
	tab, err := importing.ReadCSV([]byte("a,b\n1,\"x\ny\"\n2,z\n"), importing.ReadOptions{})
	if err != nil || tab.Rows[1].Line != 4 || tab.Rows[0].Cells[1] != "x\ny" {
		t.Fatalf("multi-line: %+v %v", tab, err)
	}
	// A malformed file is refused whole, with the line.
	if _, err := importing.ReadCSV([]byte("a,b\n1,2\n3,\"4\n"), importing.ReadOptions{}); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("malformed: %v", err)
	}
}

func TestPlanRefusesWhatThePolicyDoesNot(t *testing.T) {
	t.Parallel()
	src, _ := examples.Files.ReadFile("ikomek/policy.yaml")
	p, _ := policy.Parse("ikomek", src)
	m := appeals()
	m.Columns["Ескерту"] = "health"
	m.Columns["Жоқ"] = "full_name"
	m.Purpose, m.Channel = "consultation", "written"
	_, err := importing.NewPlan(p, header, m, importing.Batch{Role: "supervisor"})
	for _, want := range []string{
		`field "health" is not in the policy`,
		`column "Жоқ" of the mapping is not in the file's header`,
		`field "iin" may not be collected for purpose "consultation"`,
		`purpose "consultation" does not collect through channel "written"`,
		`role "supervisor" may not collect`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("want %q in:\n%v", want, err)
		}
	}
	// An unmapped column is a warning by its position, never its header.
	m = appeals()
	delete(m.Columns, "Ескерту")
	pl, err := importing.NewPlan(p, header, m, integration)
	if err != nil || len(pl.Warnings) != 1 || pl.Warnings[0].Field != "column:6" || pl.Warnings[0].Code != "unknown-column" {
		t.Fatalf("%+v %v", pl, err)
	}
	// A written consent needs its evidence.
	m = appeals()
	m.Consent.Form = "written"
	if _, err := importing.NewPlan(p, header, m, integration); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("a written consent without its hash: %v", err)
	}
	// ...which each row may carry in a column of its own.
	m.Columns["Ескерту"] = importing.ConsentDocumentSHA256
	if _, err := importing.NewPlan(p, header, m, integration); err != nil {
		t.Fatal(err)
	}
	// Flags override the mapping file.
	mm, err := importing.ParseMapping("map.yaml", []byte("columns:\n  ЖСН: iin\n  ФИО: full_name\ncategory: applicant\npurpose: appeals\nchannel: written\nconsent:\n  form: other\n  reference: box\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := mm.AddColumns([]string{"жсн=phone", "Телефон = iin"}); err != nil {
		t.Fatal(err)
	}
	if mm.Columns["жсн"] != "phone" || mm.Columns["Телефон"] != "iin" || len(mm.Columns) != 3 {
		t.Fatalf("columns %v", mm.Columns)
	}
	if _, err := importing.ParseMapping("map.yaml", []byte("colums: {}\n")); err == nil {
		t.Fatal("a misspelt key was accepted")
	}
}
