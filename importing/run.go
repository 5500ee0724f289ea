package importing

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/vault"
)

// Target is where rows go; *vault.Vault is one.
type Target interface {
	CreateSubject(ctx context.Context, a vault.Actor, ns vault.NewSubject) (vault.Created, error)
	Lookup(ctx context.Context, a vault.Actor, purpose, kind, value string) ([]string, error)
	AddRecord(ctx context.Context, a vault.Actor, subjectID string, nr vault.NewRecord) (string, error)
	GiveConsent(ctx context.Context, a vault.Actor, subjectID string, r consent.Request) (string, error)
}

// Options say how to run an import.
type Options struct {
	// DryRun checks every row without the vault and stores nothing: no
	// state file, no journal entry.
	DryRun bool
	// Workers is how many rows are stored at once (default 16): the
	// store's group commit makes concurrent creates cheap.
	Workers int
	// Chunk is how many rows a run may start past the last saved state
	// (default 256): after a crash, at most these are looked up again.
	Chunk int
	// StatePath is the state file (StatePath(file)); empty keeps no state,
	// so an interrupted import cannot be resumed.
	StatePath string
	// ReportPath is the report (CSV); required.
	ReportPath string
	// Journal frames the import with its start and end entries and lets a
	// resumed import read what an interrupted one stored; nil does
	// neither (and a resumed import then refuses rows it cannot account for).
	Journal Journal
	// Progress is told how many rows are done, of how many.
	Progress func(done, total int)
	// Stop, when closed, stops the import after the rows under way: the
	// state is saved and running again continues.
	Stop <-chan struct{}
	// StopAfter stops, as Stop does, once this many rows have been started
	// in this run (0: no limit). For tests of resuming.
	StopAfter int
}

// Summary is how an import went.
type Summary struct {
	Import string `json:"import"`
	DryRun bool   `json:"dry_run,omitempty"`
	Rows   int    `json:"rows"`
	Counts
	// Done counts the rows done, by this run and earlier ones.
	Done int `json:"done"`
	// ResumedFrom is the number of rows an earlier run had done.
	ResumedFrom int  `json:"resumed_from,omitempty"`
	Complete    bool `json:"complete"`
	// AlreadyComplete: the state file says an earlier run finished; this
	// run did nothing.
	AlreadyComplete bool `json:"already_complete,omitempty"`
	// Issues are the report's lines (the first 100), for a summary.
	Issues []Issue  `json:"issues,omitempty"`
	Notes  []string `json:"notes,omitempty"`
}

// OK reports whether every row is in (created, merged or empty).
func (s *Summary) OK() bool { return s.Failed == 0 && s.Duplicates == 0 }

// maxIssues bounds Summary.Issues.
const maxIssues = 100

// ErrChanged is returned when a state file belongs to another file or
// other settings.
var ErrChanged = errors.New("importing: the file or the mapping changed since the import began")

// Run imports t's rows by plan into target (or, with DryRun, checks them
// against p). p is the policy the vault enforces.
func Run(ctx context.Context, target Target, p *policy.Policy, t *Table, pl *Plan, o Options) (*Summary, error) {
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Chunk <= 0 {
		o.Chunk = 256
	}
	if o.ReportPath == "" {
		return nil, errors.New("importing: no report path")
	}
	r := &runner{p: p, t: t, pl: pl, o: o, target: target}
	if o.DryRun {
		return r.dryRun()
	}
	return r.run(ctx)
}

type runner struct {
	p      *policy.Policy
	t      *Table
	pl     *Plan
	o      Options
	target Target
	actor  vault.Actor
	st     *State
	rep    *report
	sum    *Summary
	// deps: a row whose IIN an earlier row has waits for that row, so that
	// which of them creates the subject (and which merges or is reported)
	// does not depend on timing.
	deps map[int]int
}

func (r *runner) note(is Issue) {
	if is.Outcome == Created || is.Outcome == Valid {
		return
	}
	r.rep.write(is)
	if len(r.sum.Issues) < maxIssues {
		r.sum.Issues = append(r.sum.Issues, is)
	}
}

// dependencies finds, for each row with a valid IIN, the previous row with
// the same IIN.
func (r *runner) dependencies() map[int]int {
	deps := map[int]int{}
	first := map[string]int{}
	for i, row := range r.t.Rows {
		v, bad := r.pl.values(row)
		if bad != nil {
			continue
		}
		iin := normalIIN(v)
		if iin == "" {
			continue
		}
		if j, ok := first[iin]; ok {
			deps[i] = j
		}
		first[iin] = i
	}
	return deps
}

// dryRun checks every row against the policy without the vault.
func (r *runner) dryRun() (*Summary, error) {
	rep, _, err := openReport(r.o.ReportPath, nil)
	if err != nil {
		return nil, err
	}
	r.rep = rep
	r.sum = &Summary{DryRun: true, Rows: len(r.t.Rows)}
	for _, w := range r.pl.Warnings {
		w.Line = r.t.HeaderLine
		r.note(w)
	}
	seen := map[string]int{} // IIN → line of the row that would create it
	for i, row := range r.t.Rows {
		is := r.checkOnly(row, seen)
		r.sum.Counts.add(is.Outcome)
		r.note(is)
		r.sum.Done = i + 1
		if r.o.Progress != nil {
			r.o.Progress(i+1, len(r.t.Rows))
		}
	}
	r.sum.Complete = true
	r.sum.Notes = append(r.sum.Notes, "a dry run does not look up the vault: rows whose IIN is already there are reported only when the import runs")
	if err := rep.close(); err != nil {
		return nil, err
	}
	return r.sum, nil
}

func (r *runner) checkOnly(row Row, seen map[string]int) Issue {
	v, bad := r.pl.values(row)
	if bad != nil {
		return *bad
	}
	if v.empty() {
		return Issue{Line: row.Line, Outcome: Empty}
	}
	if is := checkRow(r.p, r.pl, row.Line, v, r.pl.Category); is != nil {
		return *is
	}
	iin := normalIIN(v)
	if line, dup := seen[iin]; dup && iin != "" {
		if r.pl.Merge {
			return Issue{Line: row.Line, Outcome: Merge, Code: "subject-exists", Field: "iin", Message: fmt.Sprintf("the same IIN as line %d: the row would be added to that subject", line)}
		}
		return Issue{Line: row.Line, Outcome: Duplicate, Code: "subject-exists", Field: "iin", Message: fmt.Sprintf("the same IIN as line %d", line)}
	}
	if iin != "" {
		seen[iin] = row.Line
	}
	// Subjects already in the vault are not looked up: a lookup is
	// journaled, and a dry run leaves no trace.
	return Issue{Line: row.Line, Outcome: Valid}
}

// result is a worker's answer about a row.
type result struct {
	row   int
	issue Issue
	// fatal stops the import: the store failed, or the vault refused the
	// role. The row is not done.
	fatal error
}

func (r *runner) run(ctx context.Context) (*Summary, error) {
	// The vault's calls do not stop half-way when ctx ends: a row either
	// goes in whole or not at all, and the state says which.
	vctx := context.WithoutCancel(ctx)
	st, err := r.startState()
	if err != nil {
		return nil, err
	}
	r.st = st
	r.sum = &Summary{Import: st.Import, Rows: len(r.t.Rows), ResumedFrom: st.Committed + len(st.Done)}
	if st.Complete {
		r.sum.Counts, r.sum.Done, r.sum.Complete, r.sum.AlreadyComplete = st.Counts, st.Committed, true, true
		r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("import %s finished earlier; its report is %s. Remove %s to import the file again.", st.Import, st.Report, r.o.StatePath))
		return r.sum, nil
	}
	r.actor = vault.Actor{ID: "import:" + st.Import, Role: r.pl.Role}
	fresh := st.Committed == 0 && len(st.Done) == 0 && st.Reserved == 0
	rep, notes, err := openReport(r.o.ReportPath, resumeOf(st, fresh))
	if err != nil {
		return nil, err
	}
	r.rep = rep
	defer rep.close()
	r.sum.Notes = append(r.sum.Notes, notes...)
	st.Report = r.o.ReportPath
	r.sum.Counts = st.Counts
	if fresh {
		for _, w := range r.pl.Warnings {
			w.Line = r.t.HeaderLine
			r.note(w)
		}
	}
	r.deps = r.dependencies()

	if r.o.Journal != nil {
		d := map[string]any{"import": st.Import, "role": r.pl.Role, "category": r.pl.Category, "channel": r.pl.Channel, "ground": r.pl.Ground,
			"rows": len(r.t.Rows), "file_sha256": st.FileSHA256, "encoding": r.t.Encoding, "merge": r.pl.Merge}
		if !fresh {
			d["resumed_from"] = st.Committed
		}
		if err := r.o.Journal.Append(vctx, &journal.Entry{Actor: r.actor.ID, Action: ActionStart, Purpose: r.pl.Purpose, Outcome: journal.OK, Detail: detail(d)}); err != nil {
			return nil, fmt.Errorf("journaling the import's start: %w", err)
		}
	}

	done := map[int]Issue{}
	for _, d := range st.Done {
		done[d.Row] = d.Issue
	}
	// Rows a crashed run may have stored: account for them one by one
	// before anything else runs.
	var fatal error
	if uncertain := r.uncertain(done); len(uncertain) > 0 {
		fatal = r.reconcile(vctx, uncertain, done)
	}
	r.advance(done)

	// Reservations: the journal's length when rows from start on were
	// first allowed to run.
	type reservation struct {
		start int
		head  int64
	}
	reservations := []reservation{{st.Committed, st.JournalAfter}}
	save := func() error {
		n, err := r.rep.sync()
		if err != nil {
			return err
		}
		st.ReportBytes = n
		st.Counts = r.sum.Counts
		st.Done = st.Done[:0]
		for _, row := range slices.Sorted(maps.Keys(done)) {
			st.Done = append(st.Done, Done{Row: row, Issue: done[row]})
		}
		for len(reservations) > 1 && reservations[1].start <= st.Committed {
			reservations = reservations[1:]
		}
		st.JournalAfter = reservations[0].head
		return st.save(r.o.StatePath)
	}
	if err := save(); err != nil {
		return nil, err
	}
	if r.o.Progress != nil {
		r.o.Progress(st.Committed, len(r.t.Rows))
	}

	jobs := make(chan int)
	results := make(chan result)
	for range r.o.Workers {
		go func() {
			for i := range jobs {
				results <- r.process(vctx, i)
			}
		}()
	}
	next, inflight, started := st.Committed, 0, 0
	stopped := false
	lastSave := time.Now()
	for {
		if fatal == nil && !stopped {
			select {
			case <-r.o.Stop:
				stopped = true
			default:
			}
			if r.o.StopAfter > 0 && started >= r.o.StopAfter {
				stopped = true
			}
		}
		for next < len(r.t.Rows) && (next < st.Committed || done[next].Outcome != "") {
			next++
		}
		canStart := fatal == nil && !stopped && next < len(r.t.Rows) && inflight < r.o.Workers
		if canStart {
			if dep, ok := r.deps[next]; ok && dep >= st.Committed && done[dep].Outcome == "" {
				canStart = false // wait for the row with the same IIN
			}
		}
		if canStart && next >= st.Reserved {
			head := int64(0)
			if r.o.Journal != nil {
				if head, err = r.o.Journal.Head(vctx); err != nil {
					fatal = err
					continue
				}
			}
			reservations = append(reservations, reservation{next, head})
			st.Reserved = min(len(r.t.Rows), next+r.o.Chunk)
			if err := save(); err != nil {
				fatal = err
				continue
			}
		}
		if canStart {
			select {
			case jobs <- next:
				next++
				inflight++
				started++
				continue
			case res := <-results:
				inflight--
				fatal = r.take(res, done, fatal)
			}
		} else if inflight > 0 {
			res := <-results
			inflight--
			fatal = r.take(res, done, fatal)
		} else {
			break
		}
		r.advance(done)
		if time.Since(lastSave) > time.Second {
			if err := save(); err != nil && fatal == nil {
				fatal = err
			}
			lastSave = time.Now()
		}
	}
	close(jobs)
	r.advance(done)
	if fatal == nil {
		// Every row started has its outcome: none is uncertain.
		st.Reserved = max(st.Committed, min(st.Reserved, next))
	}
	r.sum.Complete = st.Committed == len(r.t.Rows)
	st.Complete = r.sum.Complete
	if st.Complete {
		st.Reserved = len(r.t.Rows)
	}
	if err := save(); err != nil && fatal == nil {
		fatal = err
	}
	r.sum.Counts, r.sum.Done = st.Counts, st.Committed+len(done)
	if r.o.Journal != nil {
		c := r.sum.Counts
		outcome := journal.OK
		if fatal != nil {
			outcome = journal.Failed
		}
		d := map[string]any{"import": st.Import, "rows": len(r.t.Rows), "done": r.sum.Done, "created": c.Created, "merged": c.Merged,
			"duplicates": c.Duplicates, "failed": c.Failed, "empty": c.Empty, "complete": st.Complete}
		if err := r.o.Journal.Append(vctx, &journal.Entry{Actor: r.actor.ID, Action: ActionEnd, Purpose: r.pl.Purpose, Outcome: outcome, Detail: detail(d)}); err != nil && fatal == nil {
			fatal = fmt.Errorf("journaling the import's end: %w", err)
		}
	}
	if fatal != nil {
		return r.sum, fatal
	}
	return r.sum, nil
}

// take records a worker's result.
func (r *runner) take(res result, done map[int]Issue, fatal error) error {
	if res.fatal != nil {
		if fatal == nil {
			return fmt.Errorf("line %d: %w", r.t.Rows[res.row].Line, res.fatal)
		}
		return fatal
	}
	done[res.row] = res.issue
	return fatal
}

// advance moves Committed over the rows done in order, reporting them.
func (r *runner) advance(done map[int]Issue) {
	st := r.st
	moved := false
	for st.Committed < len(r.t.Rows) {
		is, ok := done[st.Committed]
		if !ok {
			break
		}
		delete(done, st.Committed)
		r.sum.Counts.add(is.Outcome)
		r.note(is)
		st.Committed++
		moved = true
	}
	if moved && r.o.Progress != nil {
		r.o.Progress(st.Committed, len(r.t.Rows))
	}
}

// resumeOf is the state to resume the report from, or nil for a fresh one.
func resumeOf(st *State, fresh bool) *State {
	if fresh {
		return nil
	}
	return st
}

// startState loads the state file or begins a new import.
func (r *runner) startState() (*State, error) {
	st, err := LoadState(r.o.StatePath)
	if err != nil {
		return nil, err
	}
	if st != nil {
		switch {
		case st.FileSHA256 != r.t.SHA256:
			return nil, fmt.Errorf("%w: %s belongs to import %s of a file with other content (%d of its rows done). Import the rows that are not in yet from a new file, or remove the state file to start afresh (rows already in would be duplicated)",
				ErrChanged, r.o.StatePath, st.Import, st.Committed)
		case st.Settings != r.pl.settings:
			return nil, fmt.Errorf("%w: import %s (%s) ran with another mapping or batch (category, purpose, channel, ground, consent, role, --merge); run it with the same ones to continue",
				ErrChanged, st.Import, r.o.StatePath)
		case st.Rows != len(r.t.Rows):
			return nil, fmt.Errorf("%w: %s counts %d rows, the file has %d", ErrChanged, r.o.StatePath, st.Rows, len(r.t.Rows))
		}
		return st, nil
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	st = &State{Format: 1, Import: id.String(), FileSHA256: r.t.SHA256, Settings: r.pl.settings, Rows: len(r.t.Rows), StartedAt: nowUTC()}
	if r.o.Journal != nil {
		if st.JournalAfter, err = r.o.Journal.Head(context.Background()); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// uncertain lists the rows a run that stopped without saving may have
// stored.
func (r *runner) uncertain(done map[int]Issue) []int {
	var out []int
	for i := r.st.Committed; i < r.st.Reserved && i < len(r.t.Rows); i++ {
		if _, ok := done[i]; !ok {
			out = append(out, i)
		}
	}
	return out
}

// reconcile accounts, one by one, for rows an earlier run may have stored
// before it stopped without saving: the journal says which subjects the
// import created and to which it added records; a row whose identifier
// finds such a subject (not yet claimed by another row) was stored, and
// the others are imported now.
func (r *runner) reconcile(ctx context.Context, rows []int, done map[int]Issue) error {
	if r.o.Journal == nil {
		return fmt.Errorf("rows from line %d on may have been stored by the interrupted run and there is no journal to tell which", r.t.Rows[rows[0]].Line)
	}
	fp, err := readFootprints(ctx, r.o.Journal, r.actor.ID, r.st.JournalAfter)
	if err != nil {
		return err
	}
	claimedCreate := map[string]bool{}
	claimedMerge := map[string]int{}
	for _, i := range rows {
		row := r.t.Rows[i]
		v, bad := r.pl.values(row)
		if bad == nil && !v.empty() && len(fp.created)+len(fp.merges) > 0 {
			if kind, value := lookupKey(v); kind != "" && r.valid(kind, value) {
				ids, err := r.target.Lookup(ctx, r.actor, r.pl.Purpose, kind, value)
				if err != nil {
					return fmt.Errorf("line %d: looking up whether the interrupted run stored the row: %w", row.Line, err)
				}
				if is, ok := claim(ids, fp, claimedCreate, claimedMerge, row.Line, r.pl.Merge && len(mergeFields(v)) > 0); ok {
					done[i] = is
					continue
				}
			}
		}
		res := r.process(ctx, i)
		if res.fatal != nil {
			return fmt.Errorf("line %d: %w", row.Line, res.fatal)
		}
		done[i] = res.issue
	}
	return nil
}

// claim finds among ids a subject the import created, or merged into,
// that no other row has claimed.
func claim(ids []string, fp *footprints, created map[string]bool, merged map[string]int, line int, mergeRow bool) (Issue, bool) {
	for _, id := range ids {
		if fp.created[id] && !created[id] {
			created[id] = true
			return Issue{Line: line, Outcome: Created}, true
		}
	}
	if mergeRow {
		for _, id := range ids {
			if fp.merges[id] > merged[id] {
				merged[id]++
				return Issue{Line: line, Outcome: Merged, Code: "subject-exists", Field: "iin", Subject: id,
					Message: "added to the subject with this IIN (before the interruption)"}, true
			}
		}
	}
	return Issue{}, false
}

// lookupKey is the identifier to find a row's subject by: the IIN, or else
// the phone, or else the e-mail.
func lookupKey(v rowValues) (string, string) {
	for _, k := range identifierKinds {
		if s, ok := v.idents[k]; ok {
			return k, s
		}
	}
	return "", ""
}

// valid reports whether an identifier's value passes the vault's checks.
func (r *runner) valid(kind, value string) bool {
	f, _ := r.p.Field(kind)
	code, _ := checkValue(f, value)
	return code == ""
}

// mergeFields are the fields a merged row adds in its record: its fields,
// and its identifiers other than the IIN that found the subject.
func mergeFields(v rowValues) map[string]string {
	fields := maps.Clone(v.fields)
	for k, s := range v.idents {
		if k != policy.TypeIIN {
			fields[k] = s
		}
	}
	return fields
}

// process stores one row.
func (r *runner) process(ctx context.Context, i int) result {
	row := r.t.Rows[i]
	res := result{row: i}
	v, bad := r.pl.values(row)
	if bad != nil {
		res.issue = *bad
		return res
	}
	if v.empty() {
		res.issue = Issue{Line: row.Line, Outcome: Empty}
		return res
	}
	ns := vault.NewSubject{Category: r.pl.Category, Purpose: r.pl.Purpose, Identifiers: v.idents}
	if r.pl.Consent != nil {
		ns.Consent = r.pl.consentRequest(v.name, v)
	}
	if len(v.fields) > 0 {
		ns.Record = &vault.NewRecord{Purpose: r.pl.Purpose, Channel: r.pl.Channel, Ground: r.pl.Ground, Fields: v.fields}
	}
	_, err := r.target.CreateSubject(ctx, r.actor, ns)
	if err == nil {
		res.issue = Issue{Line: row.Line, Outcome: Created}
		return res
	}
	p, ok := vault.AsProblem(err)
	switch {
	case !ok || p.Kind == vault.Denied:
		res.fatal = err
	case p.Code == "subject-exists" && r.pl.Merge:
		return r.merge(ctx, i, v)
	case p.Code == "subject-exists":
		res.issue = Issue{Line: row.Line, Outcome: Duplicate, Code: p.Code, Field: p.Field, Message: r.sameAs(i, "a subject with this IIN is already in the vault; --merge adds the row to it")}
	default:
		res.issue = Issue{Line: row.Line, Outcome: Failed, Code: p.Code, Field: p.Field, Message: p.Message}
	}
	return res
}

// sameAs names the earlier line with the same IIN, if any.
func (r *runner) sameAs(i int, otherwise string) string {
	if dep, ok := r.deps[i]; ok {
		return fmt.Sprintf("the same IIN as line %d", r.t.Rows[dep].Line)
	}
	return otherwise
}

// merge adds a row to the subject that has its IIN: the batch's consent
// first if the ground is consent, then the record. The row's phone and
// e-mail go into the record (the vault keeps a subject's identifiers as
// they were created).
func (r *runner) merge(ctx context.Context, i int, v rowValues) result {
	row := r.t.Rows[i]
	res := result{row: i}
	fields := mergeFields(v)
	// Check everything before the consent is given, so that a row is not
	// left half-merged: a consent without its record.
	if is := checkRow(r.p, r.pl, row.Line, v, r.pl.Category); is != nil {
		res.issue = *is
		return res
	}
	var ids []string
	for attempt := range 3 {
		var err error
		if ids, err = r.target.Lookup(ctx, r.actor, r.pl.Purpose, policy.TypeIIN, v.idents[policy.TypeIIN]); err != nil {
			return r.failOrFatal(res, row, err)
		}
		if len(ids) > 0 {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
	}
	if len(ids) == 0 {
		res.issue = Issue{Line: row.Line, Outcome: Failed, Code: "subject-not-found", Field: "iin", Message: "the vault said a subject with this IIN exists, but the lookup did not find it"}
		return res
	}
	sid := ids[0]
	if r.pl.Consent != nil {
		if _, err := r.target.GiveConsent(ctx, r.actor, sid, *r.pl.consentRequest(v.name, v)); err != nil {
			return r.failOrFatal(res, row, err)
		}
	}
	if len(fields) > 0 {
		if _, err := r.target.AddRecord(ctx, r.actor, sid, vault.NewRecord{Purpose: r.pl.Purpose, Channel: r.pl.Channel, Ground: r.pl.Ground, Fields: fields}); err != nil {
			return r.failOrFatal(res, row, err)
		}
	}
	res.issue = Issue{Line: row.Line, Outcome: Merged, Code: "subject-exists", Field: "iin", Subject: sid, Message: r.sameAs(i, "added to the subject with this IIN")}
	return res
}

func (r *runner) failOrFatal(res result, row Row, err error) result {
	p, ok := vault.AsProblem(err)
	if !ok || p.Kind == vault.Denied {
		res.fatal = err
		return res
	}
	res.issue = Issue{Line: row.Line, Outcome: Failed, Code: p.Code, Field: p.Field, Message: p.Message}
	return res
}
