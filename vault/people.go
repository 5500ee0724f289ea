package vault

import (
	"context"
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

// PeopleWithAccess derives, from the accounts, the keys and the active
// policy, who could see which data for which purpose at time at (Art. 22;
// Rules 179/НҚ: the list of people with access).
func (v *Vault) PeopleWithAccess(ctx context.Context, a Actor, at time.Time) ([]AccessLine, error) {
	act, _, err := v.authorize(ctx, a, policy.CanAdmin, "", "", "")
	if err != nil {
		return nil, err
	}
	var apiKeys []*store.APIKey
	var staff []*store.Staff
	if err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		if apiKeys, err = r.APIKeyList(ctx); err != nil {
			return err
		}
		staff, err = r.StaffList(ctx)
		return err
	}); err != nil {
		return nil, err
	}
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
	var out []AccessLine
	for _, p := range ps {
		if p.since.After(at) || (p.until != nil && !p.until.After(at)) {
			continue
		}
		role, ok := act.Role(p.role)
		if !ok {
			continue
		}
		for _, pu := range role.Purposes {
			line := AccessLine{Principal: p.id, Kind: p.kind, Label: p.label, Role: role.ID, RoleTitle: role.Title.In("en"), Purpose: pu,
				Fields: []string{}, Can: role.Can, Since: p.since, Until: p.until}
			puDef, _ := act.Purpose(pu)
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
			out = append(out, line)
		}
	}
	return out, nil
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
