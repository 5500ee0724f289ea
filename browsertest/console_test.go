package browsertest

import (
	"context"
	"slices"
	"testing"

	"github.com/derbes/derbes/examples"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/vault"
)

// The responsible person handles the overdue request from Today to its
// letter; the operator looks up the resident for a purpose and sees her
// IIN and phone masked; the language each chose follows them across
// sign-ins.
func TestConsolePaths(t *testing.T) {
	needBrowser(t)
	s := serve(t)
	s.people(t)
	// A policy version under which the call-centre operator sees the IIN
	// and phone only masked, as a centre that confirms callers by their
	// last digits would write it.
	src, err := examples.Files.ReadFile("ikomek/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("examples/ikomek/policy.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range p.Roles {
		if r.ID == "call-operator" {
			p.Roles[i].Fields = slices.DeleteFunc(slices.Clone(r.Fields), func(f string) bool { return f == "iin" || f == "phone" })
			p.Roles[i].Masked = []string{"iin", "phone"}
		}
	}
	src = append(slices.Clone(src), "\n# browsertest: the operator sees the IIN and phone masked\n"...)
	if _, err := s.vault.Activate(context.Background(), vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	s.run(t, "console.spec.mjs")
}
