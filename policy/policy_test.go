package policy_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/derbes/derbes/policy"
)

func minimal(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseMinimalPolicy(t *testing.T) {
	t.Parallel()
	p, err := policy.Parse("minimal.yaml", []byte(minimal(t)))
	if err != nil {
		t.Fatalf("the minimal policy is refused:\n%v", err)
	}
	pu, ok := p.Purpose("appeals")
	if !ok {
		t.Fatal("purpose appeals is missing")
	}
	if fields, _ := pu.AllowedFields("applicant"); len(fields) != 6 {
		t.Fatalf("appeals allows %d fields for applicants, want 6", len(fields))
	}
	if got := p.Operator.Name.In("ru"); got != "ТОО «Тест»" {
		t.Fatalf("operator name in Russian = %q", got)
	}
}

// Each case breaks the minimal policy in one way and names the line, column
// and words the operator must see.
func TestPolicyMistakesAreReportedAtTheirLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		old     string
		new     string
		wantPos string
		want    string
	}{
		{"an unknown key", "review_by: 2027-01-01", "review_by: 2027-01-01\nreveiw: yes", "6:1", `unknown key "reveiw"`},
		{"a bad BIN check digit", `bin: "040540123456"`, `bin: "040540123457"`, "8:8", "check digit"},
		{"a role naming an unknown purpose", "purposes: [appeals, stats]\n    fields: [iin", "purposes: [apeals, stats]\n    fields: [iin", "45:16", `unknown purpose "apeals"`},
		{"a purpose naming an unknown field", "applicant: [iin, full_name, phone", "applicant: [iin, fullname, phone", "32:24", `unknown field "fullname"`},
		{"a duplicate purpose id", "  - id: stats", "  - id: appeals", "36:9", `id "appeals" is already used`},
		{"a bad retention period", "period: 5y,", "period: 5 years,", "34:25", "period must look like"},
		{"an unknown legal ground", "grounds: [depersonalised-statistics]", "grounds: [statistics]", "38:15", `unknown legal ground "statistics"`},
		{"a forbidden field in a purpose", "applicant: [address, birth_date]", "applicant: [address, health]", "40:28", `which the policy forbids`},
		{"storage outside Kazakhstan", "storage: {country: KZ}", "storage: {country: DE}", "10:22", "Art. 12 p.2"},
		{"a missing title language", "en: Statistics}", "}", "37:12", `missing property 'en'`},
		{"a subject category nobody declared", "      applicant: [address, birth_date]", "      visitor: [address]", "40:7", `unknown subject category "visitor"`},
		{"a YAML syntax error", "channels:\n", "channels: [\n", "23:1", "did not find expected node"},
		{"an unknown role action", "can: [read]", "can: [read, sell]", "52:17", "must be one of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := minimal(t)
			if !strings.Contains(src, tc.old) {
				t.Fatalf("test is stale: %q not in minimal.yaml", tc.old)
			}
			src = strings.Replace(src, tc.old, tc.new, 1)
			_, err := policy.Parse("p.yaml", []byte(src))
			var ps policy.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("mistake not reported: %v", err)
			}
			found := false
			for _, p := range ps {
				if strings.HasPrefix(p.String(), "p.yaml:"+tc.wantPos+":") && strings.Contains(p.Message, tc.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("want a problem at p.yaml:%s containing %q, got:\n%v", tc.wantPos, tc.want, err)
			}
		})
	}
}

func TestEffectiveDeadlinesNeverExceedTheLaw(t *testing.T) {
	t.Parallel()
	p, err := policy.Parse("m.yaml", []byte(minimal(t)+"deadlines: {correction: 7, withdrawal: 10}\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := p.EffectiveDeadlines()
	if d.Correction != 1 {
		t.Fatalf("a policy promising 7 working days to correct gets %d; the law says 1", d.Correction)
	}
	if d.Withdrawal != 10 {
		t.Fatalf("a stricter withdrawal term of 10 became %d", d.Withdrawal)
	}
}

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]policy.Period{
		"5y": {Years: 5}, "1y6m": {Years: 1, Months: 6}, "30d": {Days: 30}, "2w": {Days: 14}, "1m2w3d": {Months: 1, Days: 17},
	} {
		got, err := policy.ParsePeriod(s)
		if err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "5", "y", "6m1y", "0d", "5 y", "12345y", "1yy"} {
		if _, err := policy.ParsePeriod(s); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", s)
		}
	}
}
