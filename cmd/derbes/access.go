package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/vault"
)

// StaffCmd groups staff account commands.
type StaffCmd struct {
	Create  StaffCreateCmd  `cmd:"" help:"Create a staff account bound to a role; the password is read from DERBES_PASSWORD or standard input."`
	Disable StaffDisableCmd `cmd:"" help:"Disable a staff account; its sessions end at once."`
}

// StaffCreateCmd creates an account.
type StaffCreateCmd struct {
	Login  string `help:"Login." required:""`
	Name   string `help:"The person's name, for the people-with-access report." required:""`
	Role   string `help:"Role of the policy." required:""`
	TOTP   bool   `help:"Require a TOTP code at sign-in; the secret is printed once." name:"totp"`
	Policy string `help:"Policy file whose roles to check against; by default the active policy." type:"existingfile"`
}

// Run creates the account.
func (c *StaffCreateCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	if err := checkRole(ctx, in, c.Policy, c.Role); err != nil {
		return err
	}
	password := os.Getenv("DERBES_PASSWORD")
	if password == "" {
		fmt.Fprint(os.Stderr, "password (at least 12 characters): ")
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		password = strings.TrimRight(line, "\r\n")
	}
	out, err := access.NewStaff(in.store, in.ring, nil).Create(ctx, "cli", access.NewAccount{Login: c.Login, Name: c.Name, Role: c.Role, Password: password, TOTP: c.TOTP})
	if err != nil {
		return err
	}
	fmt.Printf("account %s created (role %s)\n", out.Login, c.Role)
	if out.TOTPURL != "" {
		fmt.Printf("TOTP secret (shown once): %s\n%s\n", out.TOTPSecret, out.TOTPURL)
	}
	return nil
}

// StaffDisableCmd disables an account.
type StaffDisableCmd struct {
	Login string `arg:"" help:"Login."`
}

// Run disables it.
func (c *StaffDisableCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	return access.NewStaff(in.store, in.ring, nil).Disable(ctx, "cli", c.Login)
}

// AccessCmd groups access reports.
type AccessCmd struct {
	Report AccessReportCmd `cmd:"" help:"Who can see which data for which purpose (the list of people with access), as of a date; CSV for inspectors."`
}

// AccessReportCmd prints the report.
type AccessReportCmd struct {
	At     string `help:"As of this date (2026-03-20, the end of that day in Astana) or time (RFC 3339); default now."`
	Format string `help:"text, csv or pdf." enum:"text,csv,pdf" default:"text"`
	CSV    bool   `help:"Same as --format csv." name:"csv" hidden:""`
	Lang   string `help:"Language of titles and of the printed report: kk, ru or en." enum:"kk,ru,en" default:"ru"`
	Output string `help:"Write to this file instead of standard output (a PDF needs one)." short:"o" type:"path"`
	Role   string `help:"The policy role you act in (it needs admin)." required:""`
}

// reportTime reads --at: a date means the end of that day in Astana, so
// that the report covers whoever had access on that day's evening.
func reportTime(at string, now time.Time) (time.Time, error) {
	if at == "" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339, at); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, at, calendar.Location())
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q is neither a date (2026-03-20) nor a time (2026-03-20T09:00:00+05:00)", at)
	}
	return d.AddDate(0, 0, 1).Add(-time.Microsecond), nil
}

// Run prints it.
func (c *AccessReportCmd) Run(g *Globals) error {
	at, err := reportTime(c.At, time.Now())
	if err != nil {
		return &exitError{2, err.Error()}
	}
	if c.CSV {
		c.Format = "csv"
	}
	if c.Format == "pdf" && c.Output == "" {
		return &exitError{2, "a PDF goes to a file: add -o FILE"}
	}
	ctx := context.Background()
	in, err := g.openActive(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	r, err := in.vault.PeopleWithAccessReport(ctx, vault.Actor{ID: "cli", Role: c.Role}, at)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	switch c.Format {
	case "csv":
		err = r.WriteCSV(&out, c.Lang)
	case "pdf":
		var b []byte
		b, err = r.PDF(c.Lang, time.Now())
		out.Write(b)
	default:
		err = r.WriteText(&out, c.Lang)
	}
	if err != nil {
		return err
	}
	if c.Output == "" {
		_, err = os.Stdout.Write(out.Bytes())
		return err
	}
	// Written whole or not at all: an inspector never gets half a list.
	tmp := c.Output + ".tmp"
	if err := os.WriteFile(tmp, out.Bytes(), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, c.Output); err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Fprintf(os.Stderr, "people with access on %s (policy version %d): %d lines written to %s\n",
		at.In(calendar.Location()).Format("02.01.2006 15:04"), r.PolicyVersion, len(r.Lines), c.Output)
	return nil
}

// IncidentsCmd groups incident commands.
type IncidentsCmd struct {
	List IncidentsListCmd `cmd:"" help:"Incidents, open first, with their notice deadlines."`
}

// IncidentsListCmd lists incidents.
type IncidentsListCmd struct {
	Role string `help:"The policy role you act in (it needs admin)." required:""`
}

// Run lists them; exit 3 when an open incident's notice is overdue.
func (c *IncidentsListCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.openActive(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	list, err := in.vault.Incidents(ctx, vault.Actor{ID: "cli", Role: c.Role}, "")
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INCIDENT\tKIND\tDETECTED\tCLASSIFICATION\tSTATUS\tNOTICE DUE\tNOTICE SENT")
	overdue := false
	for _, x := range list {
		due := "-"
		if x.NoticeDue != nil {
			due = x.NoticeDue.In(calendar.Location()).Format("02.01.2006 15:04")
			if x.Status == "open" && x.Classification == vault.Confirmed && x.NoticeSentAt == nil && time.Now().After(*x.NoticeDue) {
				due += " OVERDUE"
				overdue = true
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.Kind, x.DetectedAt.In(calendar.Location()).Format("02.01.2006 15:04"), x.Classification, x.Status, due, stamp(x.NoticeSentAt))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if overdue {
		return &exitError{3, ""}
	}
	return nil
}

// openOIDC returns staff sign-in through the operator's OpenID Connect
// provider when DERBES_OIDC_ISSUER is set (nil otherwise): with
// DERBES_OIDC_CLIENT_ID, DERBES_OIDC_CLIENT_SECRET (a secret: environment
// only), DERBES_OIDC_REDIRECT_URL (https://…/v1/login/oidc/callback) and
// DERBES_OIDC_CLAIM (preferred_username, the default, or email).
func openOIDC(ctx context.Context, staff *access.Staff) (*access.OIDC, error) {
	issuer := os.Getenv("DERBES_OIDC_ISSUER")
	if issuer == "" {
		return nil, nil
	}
	return access.NewOIDC(ctx, access.OIDCConfig{Issuer: issuer, ClientID: os.Getenv("DERBES_OIDC_CLIENT_ID"),
		ClientSecret: os.Getenv("DERBES_OIDC_CLIENT_SECRET"), RedirectURL: os.Getenv("DERBES_OIDC_REDIRECT_URL"),
		Claim: os.Getenv("DERBES_OIDC_CLAIM")}, staff)
}
