package policy_test

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/derbes/derbes/policy"
)

// positionAfter returns the line and column of the first character after
// the first occurrence of marker in src, so that tests name a position by
// the text around it rather than by numbers that go stale.
func positionAfter(t *testing.T, src, marker string) (line, col int) {
	t.Helper()
	i := strings.Index(src, marker)
	if i < 0 {
		t.Fatalf("test is stale: %q not in the policy", marker)
	}
	i += len(marker)
	line = 1 + strings.Count(src[:i], "\n")
	col = i - strings.LastIndexByte(src[:i], '\n')
	return line, col
}

func lint(t *testing.T, name, src string) []policy.Finding {
	t.Helper()
	fs, err := policy.Lint(name, []byte(src))
	if err != nil {
		t.Fatalf("the policy is invalid:\n%v", err)
	}
	for _, f := range fs {
		t.Log(f)
	}
	return fs
}

func TestTheToptipsCorrectionTermOfSevenDaysIsAnErrorAtItsLine(t *testing.T) {
	t.Parallel()
	const name = "../examples/toptips/policy.yaml"
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	line, _ := positionAfter(t, src, "\n  correction:")
	fs := lint(t, name, src)
	found := false
	for _, f := range fs {
		if f.Line == line && f.Severity == policy.SeverityError && f.Article == "Art. 25 p.2 sp.8" &&
			strings.Contains(f.Message, "promises 7 working days; the law requires 1") {
			found = true
			want := name + ":" + strconv.Itoa(line) + ":"
			if !strings.HasPrefix(f.String(), want) || !strings.HasSuffix(f.String(), "derbes applies 1 (Art. 25 p.2 sp.8)") {
				t.Errorf("String() = %q, want %s...: error: ... (Art. 25 p.2 sp.8)", f.String(), want)
			}
		}
	}
	if !found {
		t.Fatalf("no error for correction: 7 at line %d citing Art. 25 p.2 sp.8", line)
	}
	if !policy.HasErrors(fs) {
		t.Fatal("HasErrors is false for a policy promising longer terms than the law")
	}
	if !slices.IsSortedFunc(fs, func(a, b policy.Finding) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	}) {
		t.Fatal("findings are not sorted by position")
	}
}

// The iKomek policy promises no terms of its own, stores its data in
// Kazakhstan and names a responsible person (a placeholder, but a name), so
// it has no errors. It gets warnings: the responsible person has no
// contact, the appeals purpose passes data to executors on consent alone,
// and neither purpose has a storage term.
func TestTheIkomekPolicyHasWarningsButNoErrors(t *testing.T) {
	t.Parallel()
	const name = "../examples/ikomek/policy.yaml"
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	fs := lint(t, name, string(b))
	if policy.HasErrors(fs) {
		t.Fatal("the iKomek policy has errors; it should have warnings only")
	}
	for _, art := range []string{"Art. 25 p.2 sp.8", "Art. 7 p.6", "Art. 12 p.2, Art. 18"} {
		if !slices.ContainsFunc(fs, func(f policy.Finding) bool { return f.Article == art && f.Severity == policy.SeverityWarning }) {
			t.Errorf("no warning citing %s", art)
		}
	}
}

// Each case changes the minimal policy in one way and names the finding's
// severity, article, words and position: the first character after the
// text in after, in the changed policy.
func TestEachLintFindingIsReportedAtItsNode(t *testing.T) {
	t.Parallel()
	const (
		errSev  = policy.SeverityError
		warnSev = policy.SeverityWarning
	)
	for _, tc := range []struct {
		name     string
		edits    []string // old, new, old, new...
		after    string
		severity policy.Severity
		article  string
		want     string
	}{
		{"a deadline longer than the law's",
			[]string{"    can: [read]\n", "    can: [read]\ndeadlines: {objection: 5}\n"},
			"objection: ", errSev, "Art. 19-1", "deadlines.objection: the policy promises 5 working days; the law requires 3 — derbes applies 3"},
		{"a blank name of the responsible person",
			[]string{`name: "Responsible Person"`, `name: " "`},
			"responsible: {name: ", errSev, "Art. 25 p.2 sp.10", "no person responsible"},
		{"a responsible person without e-mail or phone",
			[]string{`{name: "Responsible Person", email: "dpo@example.kz"}`, `{name: "Responsible Person", position: DPO}`},
			"bin: \"040540123456\"\n  ", warnSev, "Art. 25 p.2 sp.8", "no e-mail and no phone"},
		{"a responsible person's e-mail that is no address",
			[]string{`email: "dpo@example.kz"`, `email: "dpo at example.kz"`},
			"responsible: {name: \"Responsible Person\", email: ", warnSev, "Art. 25 p.2 sp.8", "not an e-mail address"},
		{"a responsible person's phone that is no number",
			[]string{`email: "dpo@example.kz"`, `phone: "109"`},
			"responsible: {name: \"Responsible Person\", phone: ", warnSev, "Art. 25 p.2 sp.8", "not a phone number"},
		{"storage abroad on a stated ground",
			[]string{"storage: {country: KZ}", `storage: {country: DE, ground: "group data centre"}`},
			"storage: {country: ", errSev, "Art. 12 p.2", "must be checked"},
		{"no review date",
			[]string{"review_by: 2027-01-01\n", ""},
			"version: \"test-1\"\n", warnSev, "seed 004 §12", "review_by: 2027-01-01 or earlier"},
		{"a review date more than a year after effective",
			[]string{"review_by: 2027-01-01", "review_by: 2027-01-02"},
			"review_by: ", warnSev, "seed 004 §12", "more than a year"},
		{"a transfer to a third party on consent alone",
			[]string{"kind: state_body", "kind: third_party"},
			"recipients: [", warnSev, "Art. 7 p.6", "must allow transfer to third parties"},
		{"a transfer abroad on consent",
			[]string{"kind: state_body,", "kind: state_body, country: TR,"},
			"recipients: [", warnSev, "Art. 16, Art. 8 p.4", "must allow cross-border transfer"},
		{"a transfer abroad without consent or treaty",
			[]string{"kind: state_body,", "kind: state_body, country: TR,",
				"then: depersonalise}\n", "then: depersonalise}\n    recipients: [akimat]\n"},
			"then: depersonalise}\n    recipients: [", errSev, "Art. 16", `purpose "stats" passes data to "akimat" in TR`},
		{"a purpose kept until achieved with no storage term",
			[]string{"retention: {period: 5y, from: collection, then: destroy}", "retention: {from: purpose_achieved, then: destroy}"},
			"channels: [call]\n    ", warnSev, "Art. 12 p.2, Art. 18", "no storage term: set one when known"},
		{"a special category collected and not forbidden",
			[]string{"forbidden_categories: [health]", "forbidden_categories: [race]",
				"applicant: [address, birth_date]", "applicant: [address, birth_date, health]"},
			"applicant: [address, birth_date, ", warnSev, "Art. 7, Art. 9", `special category "health"`},
		{"an identifier collected for depersonalised statistics",
			[]string{"applicant: [address, birth_date]", "applicant: [address, birth_date, phone]"},
			"applicant: [address, birth_date, ", warnSev, "Art. 9, Art. 1 sp.7", "depersonalised-statistics"},
		{"a publicly available field",
			[]string{"{id: address, type: address,", "{id: address, type: address, access: public,"},
			"applicant: [iin, full_name, phone, email, ", warnSev, "Art. 7 p.6, Art. 15", "publicly available"},
		{"a purpose whose records no role may correct",
			[]string{"can: [collect, read, lookup, update, destroy, journal, requests, transfer]", "can: [collect, read, lookup, destroy, journal]"},
			"  - id: ", warnSev, "Art. 25 p.2 sp.8", `purpose "appeals" may update`},
		{"a purpose whose records no role may destroy",
			[]string{"can: [collect, read, lookup, update, destroy, journal, requests, transfer]", "can: [collect, read, lookup, update, journal]"},
			"  - id: ", warnSev, "Art. 25 p.2 sp.8", `purpose "appeals" may destroy`},
		{"roles that destroy while nobody reads the journal",
			[]string{"can: [collect, read, lookup, update, destroy, journal, requests, transfer]", "can: [collect, read, lookup, update, destroy]"},
			"then: depersonalise}\n", warnSev, "Art. 22", "no role may read the journal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := minimal(t)
			for i := 0; i+1 < len(tc.edits); i += 2 {
				if !strings.Contains(src, tc.edits[i]) {
					t.Fatalf("test is stale: %q not in minimal.yaml", tc.edits[i])
				}
				src = strings.Replace(src, tc.edits[i], tc.edits[i+1], 1)
			}
			fs := lint(t, "p.yaml", src)
			line, col := positionAfter(t, src, tc.after)
			for _, f := range fs {
				if f.Line == line && f.Col == col && f.Severity == tc.severity && f.Article == tc.article && strings.Contains(f.Message, tc.want) {
					return
				}
			}
			t.Fatalf("want a finding (%s) at p.yaml:%d:%d citing %s and containing %q", tc.severity, line, col, tc.article, tc.want)
		})
	}
}

// A transfer abroad needs nothing more when the country is adequate or the
// purpose rests on an international treaty (Art. 16).
func TestATransferToAnAdequateCountryOrUnderATreatyIsNoFinding(t *testing.T) {
	t.Parallel()
	abroad := []string{
		"kind: state_body,", "kind: state_body, country: TR,",
		"then: depersonalise}\n", "then: depersonalise}\n    recipients: [akimat]\n",
	}
	for name, edits := range map[string][]string{
		"to an adequate country": append(slices.Clone(abroad), "recipients:\n", "adequate_countries: [TR]\nrecipients:\n"),
		"under a treaty": append(slices.Clone(abroad), "grounds: [consent]", "grounds: [consent, international-treaty]",
			"grounds: [depersonalised-statistics]", "grounds: [depersonalised-statistics, international-treaty]"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := minimal(t)
			for i := 0; i+1 < len(edits); i += 2 {
				if !strings.Contains(src, edits[i]) {
					t.Fatalf("test is stale: %q not in minimal.yaml", edits[i])
				}
				src = strings.Replace(src, edits[i], edits[i+1], 1)
			}
			for _, f := range lint(t, "p.yaml", src) {
				if strings.Contains(f.Article, "Art. 16") {
					t.Errorf("unexpected finding: %v", f)
				}
			}
		})
	}
}

// The minimal policy passes data to an akimat on consent alone: a warning,
// no errors.
func TestTheMinimalPolicyHasNoErrors(t *testing.T) {
	t.Parallel()
	fs := lint(t, "minimal.yaml", minimal(t))
	if policy.HasErrors(fs) {
		t.Fatal("the minimal policy has errors")
	}
}

// A policy that states stricter terms than the law, or a term the law does
// not fix, has nothing to fix.
func TestACleanPolicyHasNoFindings(t *testing.T) {
	t.Parallel()
	src := minimal(t)
	for _, e := range [][2]string{
		{"    recipients: [akimat]\n", ""},
		{"    can: [read]\n", "    can: [read, update, destroy]\ndeadlines: {correction: 1, withdrawal: 10, information: 30}\n"},
	} {
		if !strings.Contains(src, e[0]) {
			t.Fatalf("test is stale: %q not in minimal.yaml", e[0])
		}
		src = strings.Replace(src, e[0], e[1], 1)
	}
	if fs := lint(t, "clean.yaml", src); len(fs) != 0 {
		t.Fatalf("a clean policy has %d findings", len(fs))
	}
}

func TestLintReturnsTheProblemsOfAnInvalidPolicy(t *testing.T) {
	t.Parallel()
	src := strings.Replace(minimal(t), "storage: {country: KZ}", "storage: {country: DE}", 1)
	fs, err := policy.Lint("p.yaml", []byte(src))
	var ps policy.Problems
	if !errors.As(err, &ps) || len(ps) == 0 || fs != nil {
		t.Fatalf("Lint of an invalid policy = %v, %v; want its Problems", fs, err)
	}
}

func TestHasErrorsIgnoresWarnings(t *testing.T) {
	t.Parallel()
	w := policy.Finding{Severity: policy.SeverityWarning}
	e := policy.Finding{Severity: policy.SeverityError}
	if policy.HasErrors(nil) || policy.HasErrors([]policy.Finding{w}) || !policy.HasErrors([]policy.Finding{w, e}) {
		t.Fatal("HasErrors counts the wrong findings")
	}
}
