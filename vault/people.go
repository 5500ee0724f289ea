package vault

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
)

// AccessLine is one line of the people-with-access report: a principal
// (an API key or a staff account), its role, and what it can see for one
// purpose.
type AccessLine struct {
	Principal string     `json:"principal"`
	Kind      string     `json:"kind"` // api-key | staff
	Label     string     `json:"label,omitempty"`
	Role      string     `json:"role"`
	RoleTitle string     `json:"role_title"`
	Purpose   string     `json:"purpose"`
	Fields    []string   `json:"fields"`
	Masked    []string   `json:"masked,omitempty"`
	Can       []string   `json:"can"`
	Since     time.Time  `json:"since"`
	Until     *time.Time `json:"until,omitempty"`
}

// AccessReport is the people-with-access report as of a moment: the
// principals in force then, under the policy version in force then.
type AccessReport struct {
	At time.Time `json:"at"`
	// PolicyVersion is the activation in force at At; 0 when none was.
	PolicyVersion int64        `json:"policy_version"`
	Lines         []AccessLine `json:"lines"`
	// policy is that version, for the titles of printed reports.
	policy *policy.Policy
}

// PeopleWithAccess returns the lines of the report as of at (see
// PeopleWithAccessReport).
func (v *Vault) PeopleWithAccess(ctx context.Context, a Actor, at time.Time) ([]AccessLine, error) {
	r, err := v.PeopleWithAccessReport(ctx, a, at)
	if err != nil {
		return nil, err
	}
	return r.Lines, nil
}

// PeopleWithAccessReport derives, from the accounts and keys (with their
// creation and disabling or revocation times) and the policy version in
// force at at, who could see which data for which purpose at that moment
// (Art. 22; Rules 179/НҚ: the list of people with access). An inspector
// asking about last March gets last March's roles, not today's.
func (v *Vault) PeopleWithAccessReport(ctx context.Context, a Actor, at time.Time) (*AccessReport, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanAdmin, "", "", ""); err != nil {
		return nil, err
	}
	var apiKeys []*store.APIKey
	var staff []*store.Staff
	var versions []store.PolicyVersion
	if err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		if apiKeys, err = r.APIKeyList(ctx); err != nil {
			return err
		}
		if versions, err = r.PolicyList(ctx); err != nil {
			return err
		}
		staff, err = r.StaffList(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	out := &AccessReport{At: at.UTC(), Lines: []AccessLine{}}
	for _, pv := range versions { // oldest first
		if !pv.ActivatedAt.After(at) {
			out.PolicyVersion = pv.Version
		}
	}
	if out.PolicyVersion == 0 {
		return out, nil // no policy yet: nobody had access through derbes
	}
	pol, err := v.policyVersion(ctx, out.PolicyVersion)
	if err != nil {
		return nil, err
	}
	out.policy = pol
	type principal struct {
		id, kind, label, role string
		since                 time.Time
		until                 *time.Time
	}
	var ps []principal
	for _, k := range apiKeys {
		ps = append(ps, principal{"apikey:" + k.ID, "api-key", k.Label, k.Role, k.CreatedAt, k.RevokedAt})
	}
	for _, s := range staff {
		ps = append(ps, principal{"staff:" + s.Login, "staff", s.Name, s.Role, s.CreatedAt, s.DisabledAt})
	}
	for _, p := range ps {
		if p.since.After(at) || (p.until != nil && !p.until.After(at)) {
			continue
		}
		role, ok := pol.Role(p.role)
		if !ok {
			continue
		}
		for _, pu := range role.Purposes {
			line := AccessLine{Principal: p.id, Kind: p.kind, Label: p.label, Role: role.ID, RoleTitle: role.Title.In("en"), Purpose: pu,
				Fields: []string{}, Can: role.Can, Since: p.since, Until: p.until}
			puDef, _ := pol.Purpose(pu)
			for _, f := range role.Fields {
				if collects(puDef, f) {
					line.Fields = append(line.Fields, f)
				}
			}
			for _, f := range role.Masked {
				if collects(puDef, f) {
					line.Masked = append(line.Masked, f)
				}
			}
			out.Lines = append(out.Lines, line)
		}
	}
	return out, nil
}

// policyVersion returns an activated policy by its number.
func (v *Vault) policyVersion(ctx context.Context, version int64) (*policy.Policy, error) {
	if act := v.active.Load(); act != nil && act.Version == version {
		return act.Policy, nil
	}
	var pv *store.PolicyVersion
	if err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		pv, err = r.PolicyGet(ctx, version)
		return err
	}); err != nil {
		return nil, err
	}
	return policy.Parse(fmt.Sprintf("policy version %d", version), pv.Source)
}

// collects reports whether a purpose collects a field for any category.
func collects(pu policy.Purpose, field string) bool {
	for _, fs := range pu.Subjects {
		if slices.Contains(fs, field) {
			return true
		}
	}
	return false
}
