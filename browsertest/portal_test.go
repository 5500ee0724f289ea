package browsertest

import "testing"

// A resident signs in to the portal on her phone with the code sent to
// it, sees what is held about her and withdraws her consent.
func TestPortalPath(t *testing.T) {
	needBrowser(t)
	s := serve(t)
	s.people(t)
	s.run(t, "portal.spec.mjs")
}
