package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/vault"
)

// ConsentCmd groups the operator's consent commands.
type ConsentCmd struct {
	Withdraw ConsentWithdrawCmd `cmd:"" help:"Record a subject's withdrawal of a consent (Art. 8), e.g. received on paper."`
	Refuse   ConsentRefuseCmd   `cmd:"" help:"Record a reasoned refusal to stop processing (Art. 8 p.2)."`
}

// consentArgs are what both commands take.
type consentArgs struct {
	ID      string `arg:"" help:"Consent id."`
	Purpose string `help:"A purpose of the consent." required:""`
	Role    string `help:"The policy role you act in (e.g. responsible)." required:""`
	Policy  string `help:"Policy file; by default the active policy." type:"existingfile"`
}

// ConsentWithdrawCmd withdraws a consent.
type ConsentWithdrawCmd struct {
	consentArgs
	Reason string `help:"Reason code." default:"subject-request"`
}

// Run withdraws the consent and prints what followed.
func (c *ConsentWithdrawCmd) Run(g *Globals) error {
	return c.run(g, vault.Withdrawal{Reason: c.Reason})
}

// ConsentRefuseCmd records a refusal.
type ConsentRefuseCmd struct {
	consentArgs
	Reason string `help:"contradicts-law or obligation-unfulfilled." required:"" enum:"contradicts-law,obligation-unfulfilled"`
	Basis  string `help:"The law or the obligation, in words." required:""`
}

// Run records the refusal.
func (c *ConsentRefuseCmd) Run(g *Globals) error {
	return c.run(g, vault.Withdrawal{Refusal: &vault.Refusal{Reason: c.Reason, Basis: c.Basis}})
}

func (c *consentArgs) run(g *Globals, w vault.Withdrawal) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	if err := activeFor(ctx, in, c.Policy); err != nil {
		return err
	}
	res, err := in.vault.WithdrawConsent(ctx, vault.Actor{ID: "cli", Role: c.Role}, c.ID, c.Purpose, w)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// activeFor loads the policy the vault checks against: the given file
// (activated, and so journaled, if it differs) or the last activated one.
func activeFor(ctx context.Context, in *instance, file string) error {
	if file == "" {
		_, err := in.vault.Resume(ctx)
		return err
	}
	p, src, err := policy.LoadFile(file)
	if err != nil {
		return &exitError{2, err.Error()}
	}
	_, err = in.vault.Activate(ctx, vault.Actor{ID: "cli"}, p, src)
	return err
}
