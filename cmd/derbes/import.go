package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/derbes/derbes/importing"
	"github.com/derbes/derbes/policy"
)

// ImportCmd imports subjects from a spreadsheet: each row becomes a
// subject with its first record (and, on consent, its consent), collected
// for the batch's purpose through its channel on its ground.
type ImportCmd struct {
	File   string   `arg:"" help:"CSV (UTF-8, UTF-8 with BOM or Windows-1251) or XLSX file." type:"existingfile"`
	Map    string   `help:"Mapping file (YAML): columns to policy fields, and the batch (category, purpose, channel, ground, consent)." type:"existingfile" placeholder:"FILE"`
	Column []string `help:"Map a column to a policy field: HEADER=FIELD (repeat; overrides the mapping file). FIELD - leaves a column out." placeholder:"HEADER=FIELD" sep:"none"`

	Category string `help:"Subject category of every row (e.g. applicant)."`
	Purpose  string `help:"Purpose the data was collected for."`
	Channel  string `help:"Channel it was collected through."`
	Ground   string `help:"Legal ground; may be left out when the purpose rests on one."`

	ConsentForm        string `name:"consent-form" help:"Ground consent: how the consents were given: written, electronic, website, state-service or other."`
	ConsentReference   string `name:"consent-reference" help:"Ground consent: where the consents are (e.g. \"paper consents, archive box 12\")."`
	ConsentSHA256      string `name:"consent-sha256" help:"Ground consent: SHA-256 of the consents' scan (a written consent needs one)."`
	ConsentUntil       string `name:"consent-until" help:"Ground consent: last day of the consents' term (YYYY-MM-DD); empty: until the purpose is achieved."`
	ConsentThirdParty  bool   `name:"consent-third-party" help:"Ground consent: the consents allow transfer to third parties."`
	ConsentCrossBorder bool   `name:"consent-cross-border" help:"Ground consent: the consents allow cross-border transfer."`
	ConsentPublication bool   `name:"consent-publication" help:"Ground consent: the consents allow publication."`

	Role   string `help:"The policy role the import acts in (e.g. integration)." required:""`
	Policy string `help:"Policy file; by default the active policy." type:"existingfile"`
	Merge  bool   `help:"Add a row whose IIN is already in the vault to that subject, instead of reporting it as a duplicate."`
	DryRun bool   `name:"dry-run" help:"Check every row against the policy and write the report; store nothing."`
	Report string `help:"Report file (CSV: line, outcome, code, field; never a value). Default: FILE.derbes-import-report.csv." type:"path" placeholder:"FILE"`

	Encoding  string `help:"CSV encoding: auto, utf-8 or windows-1251." default:"auto" enum:"auto,utf-8,windows-1251"`
	Delimiter string `help:"CSV delimiter; by default the one of ; , and tab the header uses most."`
	Sheet     string `help:"XLSX sheet; by default the first."`
	PadIIN    bool   `name:"pad-iin" help:"Restore the leading zero a spreadsheet dropped from 11-digit IINs."`
	Workers   int    `help:"Rows stored at once." default:"16"`

	StopAfter int `name:"stop-after" hidden:"" help:"Stop after starting this many rows (tests of resuming)."`
	Chunk     int `hidden:"" help:"Rows started ahead of the saved state."`
}

// Exit statuses of import: 0 every row is in, 1 some rows failed (see the
// report), 2 nothing ran (bad mapping, file or policy), 3 interrupted
// (run the same command again to continue).
const exitInterrupted = 3

// Run imports the file.
func (c *ImportCmd) Run(g *Globals) error {
	ctx := context.Background()
	file, err := filepath.Abs(c.File)
	if err != nil {
		return err
	}
	ro := importing.ReadOptions{Sheet: c.Sheet}
	if c.Encoding != "auto" {
		ro.Encoding = c.Encoding
	}
	if c.Delimiter != "" {
		d := strings.ReplaceAll(c.Delimiter, `\t`, "\t")
		r, n := utf8.DecodeRuneInString(d)
		if n != len(d) {
			return &exitError{2, "--delimiter is one character"}
		}
		ro.Comma = r
	}
	t, err := importing.ReadFile(file, ro)
	if err != nil {
		return &exitError{2, fmt.Sprintf("derbes: %s: %v", c.File, err)}
	}
	m, err := c.mapping()
	if err != nil {
		return &exitError{2, "derbes: " + err.Error()}
	}

	var p *policy.Policy
	var in *instance
	switch {
	case c.DryRun && c.Policy != "":
		// A dry run with a policy file needs no store at all.
		if p, _, err = policy.LoadFile(c.Policy); err != nil {
			return &exitError{2, err.Error()}
		}
	default:
		if in, err = g.open(ctx); err != nil {
			return err
		}
		defer in.close()
		if c.DryRun {
			p, err = in.vault.ActivePolicy(ctx)
		} else if err = activeFor(ctx, in, c.Policy); err == nil {
			p = in.vault.Policy().Policy
		}
		if err != nil {
			return err
		}
	}
	pl, err := importing.NewPlan(p, t.Header, *m, importing.Batch{Role: c.Role, Merge: c.Merge, PadIIN: c.PadIIN})
	if err != nil {
		return &exitError{2, "derbes: the import cannot start:\n  " + strings.ReplaceAll(err.Error(), "\n", "\n  ")}
	}

	report := c.Report
	if report == "" {
		report = importing.ReportPath(file)
	}
	if report, err = filepath.Abs(report); err != nil {
		return err
	}
	o := importing.Options{DryRun: c.DryRun, Workers: c.Workers, Chunk: c.Chunk, ReportPath: report, StopAfter: c.StopAfter}
	if !c.DryRun {
		o.StatePath = importing.StatePath(file)
		o.Journal = importing.StoreJournal{Store: in.store}
	}
	finish := func() {}
	if term.IsTerminal(int(os.Stderr.Fd())) {
		o.Progress, finish = progress(len(t.Rows), c.DryRun)
	}
	// The first Ctrl-C (or SIGTERM) stops after the rows under way, with
	// the state saved; a second one kills as usual.
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; ok {
			signal.Stop(sigs)
			close(stop)
		}
	}()
	defer func() { signal.Stop(sigs); close(sigs) }()
	o.Stop = stop

	var target importing.Target
	if in != nil {
		target = in.vault
	}
	sum, err := importing.Run(ctx, target, p, t, pl, o)
	finish()
	if sum != nil {
		printSummary(os.Stderr, c.File, t, sum, report)
	}
	switch {
	case err != nil && sum == nil:
		return &exitError{2, "derbes: " + err.Error()}
	case err != nil:
		return &exitError{exitInterrupted, fmt.Sprintf("derbes: the import stopped: %v\nNothing is half-imported: run the same command again to continue.", err)}
	case !sum.Complete:
		return &exitError{exitInterrupted, "derbes: the import was interrupted; run the same command again to continue."}
	case !sum.OK():
		return &exitError{1, ""}
	}
	return nil
}

// mapping reads the mapping file, if any, and lays the flags over it.
func (c *ImportCmd) mapping() (*importing.Mapping, error) {
	m := &importing.Mapping{}
	if c.Map != "" {
		var err error
		if m, err = importing.LoadMapping(c.Map); err != nil {
			return nil, err
		}
	}
	if err := m.AddColumns(c.Column); err != nil {
		return nil, err
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&m.Category, c.Category)
	set(&m.Purpose, c.Purpose)
	set(&m.Channel, c.Channel)
	set(&m.Ground, c.Ground)
	set(&m.Consent.Form, c.ConsentForm)
	set(&m.Consent.Reference, c.ConsentReference)
	set(&m.Consent.DocumentSHA256, c.ConsentSHA256)
	set(&m.Consent.Until, c.ConsentUntil)
	m.Consent.ThirdParty = m.Consent.ThirdParty || c.ConsentThirdParty
	m.Consent.CrossBorder = m.Consent.CrossBorder || c.ConsentCrossBorder
	m.Consent.Publication = m.Consent.Publication || c.ConsentPublication
	return m, nil
}

// progress draws a progress bar on the terminal.
func progress(total int, dry bool) (func(done, total int), func()) {
	desc := "importing"
	if dry {
		desc = "checking"
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return func(done, _ int) { bar.Set(done) }, func() { bar.Finish(); bar.Exit() }
}

// printSummary writes the counts and the first problems (line, code,
// field: never a value).
func printSummary(w io.Writer, name string, t *importing.Table, s *importing.Summary, report string) {
	c := s.Counts
	switch {
	case s.DryRun:
		fmt.Fprintf(w, "dry run of %s (%s): %d rows: %d valid, %d duplicates, %d failed, %d empty; nothing was stored\n",
			name, t.Encoding, s.Rows, c.Valid, c.Duplicates, c.Failed, c.Empty)
	default:
		fmt.Fprintf(w, "import %s of %s (%s): %d of %d rows done: %d created, %d merged, %d duplicates, %d failed, %d empty\n",
			s.Import, name, t.Encoding, s.Done, s.Rows, c.Created, c.Merged, c.Duplicates, c.Failed, c.Empty)
	}
	if s.ResumedFrom > 0 && !s.AlreadyComplete {
		fmt.Fprintf(w, "resumed: %d rows were done by an earlier run\n", s.ResumedFrom)
	}
	shown := 0
	for _, is := range s.Issues {
		if is.Outcome == importing.Merged || is.Outcome == importing.Merge {
			continue
		}
		if shown == 20 {
			fmt.Fprintln(w, "  …")
			break
		}
		where := "header"
		if is.Line > 0 {
			where = fmt.Sprintf("line %d", is.Line)
		}
		fmt.Fprintf(w, "  %s: %s %s", where, is.Outcome, is.Code)
		if is.Field != "" {
			fmt.Fprintf(w, " (%s)", is.Field)
		}
		fmt.Fprintln(w)
		shown++
	}
	for _, n := range s.Notes {
		fmt.Fprintln(w, n)
	}
	if !s.AlreadyComplete {
		fmt.Fprintf(w, "report: %s\n", report)
	}
}
