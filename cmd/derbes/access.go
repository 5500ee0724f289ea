package main

import (
	"bufio"
	"context"
	"encoding/csv"
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
	At   time.Time `help:"As of this time (RFC 3339); default now."`
	CSV  bool      `help:"Write CSV." name:"csv"`
	Role string    `help:"The policy role you act in (it needs admin)." required:""`
}

// Run prints it.
func (c *AccessReportCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	if _, err := in.vault.Resume(ctx); err != nil {
		return err
	}
	at := c.At
	if at.IsZero() {
		at = time.Now()
	}
	lines, err := in.vault.PeopleWithAccess(ctx, vault.Actor{ID: "cli", Role: c.Role}, at)
	if err != nil {
		return err
	}
	if c.CSV {
		w := csv.NewWriter(os.Stdout)
		w.Write([]string{"principal", "kind", "label", "role", "purpose", "fields", "masked", "can", "since"})
		for _, l := range lines {
			w.Write([]string{l.Principal, l.Kind, l.Label, l.Role, l.Purpose, strings.Join(l.Fields, " "), strings.Join(l.Masked, " "), strings.Join(l.Can, " "), l.Since.Format(time.RFC3339)})
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "People with access on %s (Astana time)\n", at.In(calendar.Location()).Format("02.01.2006 15:04"))
	fmt.Fprintln(tw, "PRINCIPAL\tROLE\tPURPOSE\tFIELDS\tMASKED")
	for _, l := range lines {
		fmt.Fprintf(tw, "%s (%s)\t%s\t%s\t%s\t%s\n", l.Principal, l.Label, l.Role, l.Purpose, strings.Join(l.Fields, ","), strings.Join(l.Masked, ","))
	}
	return tw.Flush()
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
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	if _, err := in.vault.Resume(ctx); err != nil {
		return err
	}
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
