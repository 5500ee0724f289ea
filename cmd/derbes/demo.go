package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/examples"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/vault"
)

// DemoCmd is the quick start: the iKomek example policy, a keyring created
// on first run, a few demo subjects, and an API key printed for the tour.
type DemoCmd struct {
	Listen string `help:"Address to listen on." default:"127.0.0.1:8080" env:"DERBES_LISTEN"`
}

// demoPeople are invented residents with valid identifiers.
var demoPeople = []struct{ iin, phone, email, name, address, text string }{
	{"950312405675", "+7 701 123 45 67", "aigerim@example.kz", "Айгерім Нұрланқызы", "Астана, Сарыарқа ауданы", "Подъездте жарық жоқ"},
	{"900115301235", "+7 702 555 12 34", "", "Ерлан Сейітов", "Астана, Есіл ауданы", "Лифт не работает третий день"},
}

// Run serves the demo.
func (c *DemoCmd) Run(g *Globals) error {
	src, err := examples.Files.ReadFile("ikomek/policy.yaml")
	if err != nil {
		return err
	}
	p, err := policy.Parse("examples/ikomek/policy.yaml", src)
	if err != nil {
		return err
	}
	if os.Getenv("DERBES_KEYRING") == "" {
		if _, err := os.Stat(g.Keyring); errors.Is(err, os.ErrNotExist) {
			ring, err := keys.Generate()
			if err != nil {
				return err
			}
			if err := ring.Save(g.Keyring); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "created keyring %s\n", g.Keyring)
		}
	}
	return serve(g, serving{listen: c.Listen, dev: true}, p, src, func(ctx context.Context, in *instance, base string) error {
		key, _, err := access.NewKeys(in.store).Create(ctx, "demo", "integration", "derbes demo")
		if err != nil {
			return err
		}
		// A console account for the tour, new on every run (its password is
		// shown only now); the demo signs in without a second factor.
		login, password := "demo-"+strings.ToLower(rand.Text()[:6]), rand.Text()
		if _, err := access.NewStaff(in.store, in.ring, nil).Create(ctx, "demo", access.NewAccount{Login: login, Name: "Demo", Role: "responsible", Password: password}); err != nil {
			return fmt.Errorf("demo console account: %w", err)
		}
		app := vault.Actor{ID: "demo", Role: "integration"}
		for _, d := range demoPeople {
			ids := map[string]string{"iin": d.iin, "phone": d.phone}
			if d.email != "" {
				ids["email"] = d.email
			}
			_, err := in.vault.CreateSubject(ctx, app, vault.NewSubject{
				Category: "applicant", Purpose: "appeals", Identifiers: ids,
				// Seed 004 §7-8: using the centre's channels is consent; the
				// call is recorded, and that recording is the evidence.
				Consent: &consent.Request{SubjectName: d.name, Purposes: []string{"appeals"}, ThirdParty: true,
					Fields: []string{"iin", "full_name", "phone", "email", "address", "appeal_text"},
					Form:   consent.Form{Kind: consent.FormOther, Reference: "109 call recording"}},
				Record: &vault.NewRecord{Channel: "call-109", Ground: "consent", Fields: map[string]string{"full_name": d.name, "address": d.address, "appeal_text": d.text}},
			})
			if p, ok := vault.AsProblem(err); ok && p.Code == "subject-exists" {
				continue // an earlier demo run created them
			}
			if err != nil {
				return fmt.Errorf("demo data: %w", err)
			}
		}
		fmt.Printf(`
derbes demo is running at %[1]s with the iKomek 109 example policy.

  API key (role "integration"): %[2]s

Try:
  export DERBES_KEY=%[2]s
  curl -s -H "Authorization: Bearer $DERBES_KEY" -H "X-Purpose: appeals" '%[1]s/v1/subjects?iin=950312405675'

Staff console: %[1]s/console, as the responsible person:
  login %[3]s, password %[4]s (a new account each run)

Subject portal: %[1]s/portal (sign in with IIN 950312405675; in this demo
the one-time codes are not sent: they appear in the log).

API docs: %[1]s/docs    Stop with Ctrl-C.
`, base, key, login, password)
		return nil
	})
}
