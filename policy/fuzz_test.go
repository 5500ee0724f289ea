package policy_test

import (
	"os"
	"testing"

	"github.com/derbes/derbes/policy"
)

// FuzzParse feeds mutated policies to the parser: it must never panic, and
// whatever it accepts must be internally consistent.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/minimal.yaml", "../examples/ikomek/policy.yaml", "../examples/toptips/policy.yaml"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("derbes: 1\n"))
	f.Add([]byte("a: &x 1\nb: *x\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := policy.Parse("fuzz.yaml", src)
		if err != nil {
			return
		}
		for _, r := range p.Roles {
			for _, pu := range r.Purposes {
				if _, ok := p.Purpose(pu); !ok {
					t.Fatalf("accepted a role naming unknown purpose %q", pu)
				}
			}
		}
	})
}
