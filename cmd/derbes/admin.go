package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/vault"
)

// PolicyCmd groups policy commands.
type PolicyCmd struct {
	Check PolicyCheckCmd `cmd:"" help:"Check policy files; mistakes are printed as FILE:LINE:COL: message."`
	Lint  PolicyLintCmd  `cmd:"" help:"Compare a policy with the law's terms and duties; exit status 1 when it finds errors."`
}

// PolicyLintCmd lints a policy against the law.
type PolicyLintCmd struct {
	File string `arg:"" help:"Policy file."`
}

// Run prints each finding with its article, then a summary.
func (c *PolicyLintCmd) Run() error {
	src, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	fs, err := policy.Lint(c.File, src)
	if err != nil {
		return &exitError{2, err.Error()}
	}
	errs := 0
	for _, f := range fs {
		fmt.Println(f)
		if f.Severity == policy.SeverityError {
			errs++
		}
	}
	fmt.Printf("%d errors, %d warnings\n", errs, len(fs)-errs)
	if policy.HasErrors(fs) {
		return &exitError{1, ""}
	}
	return nil
}

// PolicyCheckCmd checks policy files.
type PolicyCheckCmd struct {
	Files []string `arg:"" help:"Policy files."`
}

// Run checks each file and exits 1 if any has a mistake.
func (c *PolicyCheckCmd) Run() error {
	bad := 0
	for _, f := range c.Files {
		p, _, err := policy.LoadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			bad++
			continue
		}
		fmt.Printf("%s: ok (policy %q of %s: %d purposes, %d fields, %d roles)\n", f, p.Version, p.Operator.Name.In("en"), len(p.Purposes), len(p.Fields), len(p.Roles))
	}
	if bad > 0 {
		return &exitError{1, ""}
	}
	return nil
}

// JournalCmd groups journal commands.
type JournalCmd struct {
	Verify JournalVerifyCmd `cmd:"" help:"Verify the journal: online from the store, or offline from an export."`
	Export JournalExportCmd `cmd:"" help:"Export the journal (JSON Lines) for offline verification."`
}

// JournalVerifyCmd verifies the journal.
type JournalVerifyCmd struct {
	File      string `help:"Verify this export instead of the store." type:"existingfile" short:"f"`
	PublicKey string `help:"Journal public key (base64) for an export; by default the keyring's." name:"public-key"`
}

// Run verifies and exits 1 on a broken journal.
func (c *JournalVerifyCmd) Run(g *Globals) error {
	ctx := context.Background()
	var res journal.Result
	if c.File != "" {
		pub, err := c.publicKey(g)
		if err != nil {
			return err
		}
		f, err := os.Open(c.File)
		if err != nil {
			return err
		}
		defer f.Close()
		x, err := journal.ReadExport(f)
		if err != nil {
			return &exitError{1, err.Error()}
		}
		if res, err = journal.Verify(x.All(), x.Checkpoints, x.Head, pub); err != nil {
			return err
		}
	} else {
		in, err := g.open(ctx)
		if err != nil {
			return err
		}
		defer in.close()
		// The policy in force gives a broken journal's incident its notice
		// deadline; a store never activated has none and is still checked.
		in.vault.Resume(ctx)
		if res, err = in.vault.CheckJournal(ctx); err != nil {
			return err
		}
	}
	if !res.OK() {
		return &exitError{1, res.String()}
	}
	fmt.Println(res.String())
	return nil
}

func (c *JournalVerifyCmd) publicKey(g *Globals) ([]byte, error) {
	if c.PublicKey != "" {
		return decodeKey(c.PublicKey)
	}
	ring, err := g.loadKeyring()
	if err != nil {
		return nil, fmt.Errorf("%w (or give --public-key)", err)
	}
	return ring.JournalPublicKey(), nil
}

// JournalExportCmd exports the journal.
type JournalExportCmd struct {
	Output string `help:"Write to this file instead of standard output." short:"o" type:"path"`
}

// Run writes the export.
func (c *JournalExportCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	var w io.Writer = os.Stdout
	if c.Output != "" {
		f, err := os.OpenFile(c.Output, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return in.vault.Export(ctx, journal.NewExportWriter(w))
}

// KeysCmd groups key commands.
type KeysCmd struct {
	Init   KeysInitCmd   `cmd:"" help:"Create the keyring (mode 0600)."`
	Rotate KeysRotateCmd `cmd:"" help:"Add a new master key and re-wrap every data key under it, while serving."`
}

// KeysInitCmd creates the keyring.
type KeysInitCmd struct{}

// Run creates the keyring file; it never overwrites one.
func (KeysInitCmd) Run(g *Globals) error {
	if _, err := os.Stat(g.Keyring); err == nil {
		return fmt.Errorf("a keyring already exists at %s; derbes never overwrites one (losing it loses the data)", g.Keyring)
	}
	ring, err := keys.Generate()
	if err != nil {
		return err
	}
	if err := ring.Save(g.Keyring); err != nil {
		return err
	}
	fmt.Printf("keyring written to %s (mode 0600). Back it up apart from the data: without it the data cannot be read.\n", g.Keyring)
	return nil
}

// KeysRotateCmd rotates the master key, or with --index the blind-index
// key.
type KeysRotateCmd struct {
	Index bool          `help:"Rotate the blind-index key instead: re-index every identifier under a new key in the background; run again to resume."`
	Grace time.Duration `help:"With --index: how long to wait for every node to re-read the keyring (they do so at most once a second) before re-indexing." default:"3s"`
}

// Run adds a master key, saves the keyring, and re-wraps the data keys.
func (c KeysRotateCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	if os.Getenv("DERBES_KEYRING") != "" {
		return errors.New("the keyring comes from DERBES_KEYRING: rotate it in a file, then update the variable")
	}
	if c.Index {
		return rotateIndex(ctx, in, g.Keyring, c.Grace)
	}
	v := in.ring.AddMaster()
	if err := in.ring.Save(g.Keyring); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "master key %d added to %s; re-wrapping data keys…\n", v, g.Keyring)
	n, err := in.vault.RotateKeys(ctx, vault.Actor{ID: "cli"}, func(done int) {
		fmt.Fprintf(os.Stderr, "\r%d data keys re-wrapped", done)
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return fmt.Errorf("rotation stopped after %d keys (run it again to continue): %w", n, err)
	}
	fmt.Printf("%d data keys now wrapped by master key %d\n", n, v)
	return nil
}

// APIKeysCmd groups API key commands.
type APIKeysCmd struct {
	Create APIKeyCreateCmd `cmd:"" help:"Issue an API key bound to a role; the key is printed once."`
	List   APIKeyListCmd   `cmd:"" help:"List API keys."`
	Revoke APIKeyRevokeCmd `cmd:"" help:"Revoke an API key."`
}

// APIKeyCreateCmd issues a key.
type APIKeyCreateCmd struct {
	Role   string `help:"Role of the policy the key acts as." required:""`
	Label  string `help:"What the key is for (e.g. call-centre CRM)."`
	Policy string `help:"Policy file whose roles to check against; by default the active policy." type:"existingfile"`
}

// Run issues the key.
func (c *APIKeyCreateCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	if err := checkRole(ctx, in, c.Policy, c.Role); err != nil {
		return err
	}
	key, _, err := access.NewKeys(in.store).Create(ctx, "cli", c.Role, c.Label)
	if err != nil {
		return err
	}
	fmt.Println(key)
	fmt.Fprintln(os.Stderr, "This key is shown once. Store it in your application's secrets.")
	return nil
}

// checkRole checks that role exists in the given or the active policy.
func checkRole(ctx context.Context, in *instance, file, role string) error {
	var p *policy.Policy
	if file != "" {
		var err error
		if p, _, err = policy.LoadFile(file); err != nil {
			return &exitError{2, err.Error()}
		}
	} else {
		act, err := in.vault.ActivePolicy(ctx)
		if err != nil {
			return err
		}
		p = act
	}
	if _, ok := p.Role(role); !ok {
		ids := ""
		for i, r := range p.Roles {
			if i > 0 {
				ids += ", "
			}
			ids += r.ID
		}
		return fmt.Errorf("role %q is not in the policy (roles: %s)", role, ids)
	}
	return nil
}

// APIKeyListCmd lists keys.
type APIKeyListCmd struct{}

// Run lists keys.
func (APIKeyListCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	list, err := access.NewKeys(in.store).List(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tLABEL\tCREATED\tLAST USED\tREVOKED")
	for _, k := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Role, k.Label, k.CreatedAt.Format("2006-01-02 15:04"), stamp(k.LastUsedAt), stamp(k.RevokedAt))
	}
	return tw.Flush()
}

// APIKeyRevokeCmd revokes a key.
type APIKeyRevokeCmd struct {
	ID string `arg:"" help:"Key id (the 12 hex characters after dbs_)."`
}

// Run revokes the key.
func (c *APIKeyRevokeCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	if err := access.NewKeys(in.store).Revoke(ctx, "cli", c.ID); err != nil {
		return fmt.Errorf("revoking %s: %w", c.ID, err)
	}
	fmt.Println("revoked", c.ID)
	return nil
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format("2006-01-02 15:04")
}

func decodeKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("--public-key must be the base64 of a 32-byte Ed25519 key")
	}
	return b, nil
}

// rotateIndex rotates the blind-index key.
func rotateIndex(ctx context.Context, in *instance, keyring string, grace time.Duration) error {
	if cur, other := in.ring.IndexVersions(); other != 0 {
		// other is the incoming key before the switch, the retiring one after.
		fmt.Fprintf(os.Stderr, "resuming the rotation of index key %d to %d…\n", min(cur, other), max(cur, other))
	}
	n, err := in.vault.RotateIndex(ctx, vault.Actor{ID: "cli"}, vault.IndexRotation{
		Save:  func() error { return in.ring.Save(keyring) },
		Grace: grace,
		Progress: func(done int) {
			fmt.Fprintf(os.Stderr, "\r%d subjects re-indexed", done)
		},
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return fmt.Errorf("index rotation stopped after %d subjects (run it again to continue): %w", n, err)
	}
	cur, _ := in.ring.IndexVersions()
	fmt.Printf("%d subjects re-indexed; blind indexes now under index key %d\n", n, cur)
	return nil
}
