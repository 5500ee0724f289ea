package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/retention"
	"github.com/derbes/derbes/vault"
)

// SweepCmd runs the retention sweep once.
type SweepCmd struct {
	Policy string `help:"Policy file; by default the active policy." type:"existingfile"`
}

// nodeName names this process for job leases.
func nodeName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Run sweeps and prints what it did.
func (c *SweepCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	if err := activeFor(ctx, in, c.Policy); err != nil {
		return err
	}
	res, err := in.vault.Sweep(ctx, nodeName())
	if err != nil {
		return err
	}
	fmt.Printf("destroyed %d, depersonalised %d, act %s (acts resealed after an interrupted sweep: %d)\n", res.Destroyed, res.Depersonalised, orNone(res.Act), res.Resealed)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// ActsCmd groups the acts of destruction.
type ActsCmd struct {
	List ActsListCmd `cmd:"" help:"List the acts of destruction."`
	Show ActsShowCmd `cmd:"" help:"Show an act with its records and whether its signature holds."`
}

// ActsListCmd lists acts.
type ActsListCmd struct {
	Limit int `help:"How many, newest first." default:"50"`
}

// Run lists the acts.
func (c *ActsListCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	acts, err := in.vault.Acts(ctx, c.Limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACT\tKIND\tSTARTED\tSEALED\tRECORDS\tSIGNATURE")
	for _, a := range acts {
		var s vault.ActSummary
		json.Unmarshal(a.Summary, &s)
		sig := "valid"
		if !a.Valid {
			sig = "INVALID or unsealed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", a.ID, a.Kind, a.StartedAt.In(calendar.Location()).Format("02.01.2006 15:04"), stamp(a.SealedAt), s.Records, sig)
	}
	return tw.Flush()
}

// ActsShowCmd shows one act.
type ActsShowCmd struct {
	ID   string `arg:"" help:"Act id."`
	PDF  string `help:"Also write the act as a PDF to this file." type:"path" name:"pdf"`
	Lang string `help:"Language of the PDF: kk, ru or en." default:"kk" enum:"kk,ru,en"`
}

// Run prints the act as JSON.
func (c *ActsShowCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	a, err := in.vault.ActByID(ctx, c.ID)
	if err != nil {
		return err
	}
	if c.PDF != "" {
		if _, err := in.vault.Resume(ctx); err != nil {
			return err
		}
		pdf, err := in.vault.ActPDF(ctx, c.ID, c.Lang)
		if err != nil {
			return err
		}
		if err := os.WriteFile(c.PDF, pdf, 0o600); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(a); err != nil {
		return err
	}
	if !a.Valid {
		return &exitError{1, "the act's signature does not hold"}
	}
	return nil
}

// RetentionCmd groups retention commands.
type RetentionCmd struct {
	Due RetentionDueCmd `cmd:"" help:"What the sweep will destroy or depersonalise in the next days, and why."`
}

// RetentionDueCmd lists upcoming destructions.
type RetentionDueCmd struct {
	Days  int `help:"Look this many days ahead." default:"7"`
	Limit int `help:"At most this many records." default:"1000"`
}

// Run lists them.
func (c *RetentionDueCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	due, err := in.vault.Upcoming(ctx, time.Now().AddDate(0, 0, c.Days), c.Limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECORD\tPURPOSE\tCATEGORY\tGROUND\tRULE\tWHEN")
	for _, d := range due {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.RecordID, d.Purpose, d.Category, d.Ground, d.Rule, stamp(d.At))
	}
	return tw.Flush()
}

// ExportCmd groups exports.
type ExportCmd struct {
	Stats   ExportStatsCmd   `cmd:"" help:"Export a purpose's depersonalised statistics as CSV, k-anonymous."`
	Subject ExportSubjectCmd `cmd:"" help:"Export a subject's data for a purpose as JSON (portability); journaled as a read."`
	Purpose ExportPurposeCmd `cmd:"" help:"Export every subject of a purpose as JSON Lines for the operator; journaled per batch."`
}

// ExportStatsCmd exports statistics.
type ExportStatsCmd struct {
	Purpose string `help:"Purpose whose statistics to export." required:""`
	K       int    `help:"Every group of rows alike must have at least k rows (k-anonymity)." default:"5"`
	Role    string `help:"The policy role you act in (it needs the admin action)." required:""`
	Output  string `help:"Write the CSV here instead of standard output." short:"o" type:"path"`
}

// Run writes the CSV and reports on standard error what was generalised or
// suppressed.
func (c *ExportStatsCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.openActive(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	rows, err := in.vault.StatsRows(ctx, vault.Actor{ID: "cli", Role: c.Role}, c.Purpose)
	if err != nil {
		return err
	}
	out, report := retention.KAnonymise(rows, c.K)
	w := os.Stdout
	if c.Output != "" {
		f, err := os.OpenFile(c.Output, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := retention.WriteCSV(w, out); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, report.String())
	return nil
}

// JobsCmd shows how the periodic jobs stand and how their runs went.
type JobsCmd struct {
	Limit int `help:"How many runs, newest first." default:"20"`
}

// Run lists each job's state, then the newest runs; exit 3 while a job's
// last run failed.
func (c *JobsCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	states, err := in.vault.JobSchedules(ctx)
	if err != nil {
		return err
	}
	runs, err := in.vault.JobRuns(ctx, c.Limit)
	if err != nil {
		return err
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.In(calendar.Location()).Format("02.01.2006 15:04")
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSTATE\tNEXT RUN\tLAST OK\tFAILURES\tLAST ERROR")
	failing := false
	for _, j := range states {
		state := "ok"
		switch {
		case j.LeaseOwner != "":
			state = "running on " + j.LeaseOwner
		case j.Attempts > 0:
			state, failing = "FAILED", true
		case j.LastFinished.IsZero():
			state = "not run yet"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", j.Name, state, at(j.NextRunAt), at(j.LastOK), j.Attempts, j.LastError)
	}
	if len(states) == 0 {
		fmt.Fprintln(tw, "(no node has served yet: jobs are registered by derbes serve)")
	}
	fmt.Fprintln(tw, "\nRUN\tSTARTED\tNODE\tOUTCOME\tSUMMARY")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Job, at(r.StartedAt), r.Node, r.Outcome, r.Summary)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failing {
		return &exitError{3, ""}
	}
	return nil
}
