package policy

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/derbes/derbes/kz"
)

// validate checks what the schema cannot: references between sections,
// duplicate ids, check digits, dates and periods, and rules of the law that
// make a policy unusable (Art. 12 p.2 storage in Kazakhstan needs a stated
// ground otherwise).
func validate(p *Policy, name string, idx map[string]position) Problems {
	v := &validator{name: name, idx: idx}

	if _, err := kz.ParseBIN(p.Operator.BIN); err != nil {
		v.add("/operator/bin", "operator BIN: %v", err)
	}
	eff := v.date("/effective", p.Effective)
	if p.ReviewBy != "" {
		if rev := v.date("/review_by", p.ReviewBy); !eff.IsZero() && !rev.IsZero() && !rev.After(eff) {
			v.add("/review_by", "review_by must come after effective")
		}
	}
	if p.Operator.Storage.Country != "KZ" && p.Operator.Storage.Ground == "" {
		v.add("/operator/storage/country", "personal data must be stored in Kazakhstan (Art. 12 p.2); storage in %s needs a ground", p.Operator.Storage.Country)
	}

	if p.Deadlines.BlockedLimit != "" {
		if _, err := ParsePeriod(p.Deadlines.BlockedLimit); err != nil {
			v.add("/deadlines/blocked_limit", "%v", err)
		}
	}

	fields := ids(v, "/fields", p.Fields, func(f Field) string { return f.ID })
	cats := ids(v, "/subject_categories", p.SubjectCategories, func(c SubjectCategory) string { return c.ID })
	channels := ids(v, "/channels", p.Channels, func(c Channel) string { return c.ID })
	recipients := ids(v, "/recipients", p.Recipients, func(r Recipient) string { return r.ID })
	purposes := ids(v, "/purposes", p.Purposes, func(x Purpose) string { return x.ID })
	ids(v, "/roles", p.Roles, func(r Role) string { return r.ID })

	for i, f := range p.Fields {
		ptr := "/fields/" + strconv.Itoa(i)
		for _, ident := range []string{TypeIIN, TypePhone, TypeEmail} {
			if f.ID == ident && f.Type != ident {
				v.add(ptr+"/type", "field %q is a subject identifier and must have type %q", f.ID, ident)
			}
		}
	}
	for i, c := range p.ForbiddenCategory {
		if slices.Index(p.ForbiddenCategory, c) != i {
			v.add("/forbidden_categories/"+strconv.Itoa(i), "category %q is listed twice", c)
		}
	}

	for i, pu := range p.Purposes {
		ptr := "/purposes/" + strconv.Itoa(i)
		for j, g := range pu.Grounds {
			gp := ptr + "/grounds/" + strconv.Itoa(j)
			if _, ok := LookupGround(g); !ok {
				v.add(gp, "unknown legal ground %q (known: %s)", g, groundIDs())
			} else if slices.Index(pu.Grounds, g) != j {
				v.add(gp, "ground %q is listed twice", g)
			}
		}
		if slices.Contains(pu.Grounds, GroundOtherLaw) && pu.LegalBasis == "" {
			v.add(ptr+"/grounds", "ground %q needs legal_basis naming the law", GroundOtherLaw)
		}
		for _, cat := range sortedKeys(pu.Subjects) {
			sp := ptr + "/subjects/" + escapePointer(cat)
			if !cats[cat] {
				v.addKey(sp, "unknown subject category %q", cat)
			}
			for j, fid := range pu.Subjects[cat] {
				fp := sp + "/" + strconv.Itoa(j)
				f, _ := p.Field(fid)
				switch {
				case !fields[fid]:
					v.add(fp, "unknown field %q", fid)
				case p.Forbidden(f):
					v.add(fp, "field %q is of category %q, which the policy forbids", fid, f.Category)
				case slices.Index(pu.Subjects[cat], fid) != j:
					v.add(fp, "field %q is listed twice", fid)
				}
			}
		}
		refs(v, ptr+"/channels", pu.Channels, channels, "channel")
		refs(v, ptr+"/recipients", pu.Recipients, recipients, "recipient")

		r := pu.Retention
		rp := ptr + "/retention"
		switch {
		case r.Period != "":
			if _, err := ParsePeriod(r.Period); err != nil {
				v.add(rp+"/period", "%v", err)
			}
		case r.From != FromPurposeAchieved:
			v.add(rp, "retention needs a period unless it runs until the purpose is achieved")
		}
		if r.From == FromEvent && r.Event == "" {
			v.add(rp+"/from", "retention from an event needs event: naming it")
		}
		if r.From != FromEvent && r.Event != "" {
			v.add(rp+"/event", "event is only meaningful with from: event")
		}
	}

	for i, r := range p.Roles {
		ptr := "/roles/" + strconv.Itoa(i)
		refs(v, ptr+"/purposes", r.Purposes, purposes, "purpose")
		refs(v, ptr+"/fields", r.Fields, fields, "field")
		refs(v, ptr+"/masked", r.Masked, fields, "field")
		for j, f := range r.Masked {
			if slices.Contains(r.Fields, f) {
				v.add(ptr+"/masked/"+strconv.Itoa(j), "field %q is both seen in full and masked", f)
			}
		}
		for j, a := range r.Can {
			if slices.Index(r.Can, a) != j {
				v.add(ptr+"/can/"+strconv.Itoa(j), "action %q is listed twice", a)
			}
		}
	}
	for i, r := range p.Recipients {
		if r.Country != "" && r.Country != "KZ" && !slices.Contains(p.AdequateCountries, r.Country) && !slices.ContainsFunc(p.Purposes, func(pu Purpose) bool {
			return slices.Contains(pu.Recipients, r.ID) && slices.Contains(pu.Grounds, GroundConsent)
		}) {
			v.add("/recipients/"+strconv.Itoa(i)+"/country", "recipient %q is in %s, which is not among adequate_countries, and no purpose passing data to it rests on consent (Art. 16)", r.ID, r.Country)
		}
	}
	sortProblems(v.ps)
	return v.ps
}

type validator struct {
	name string
	idx  map[string]position
	ps   Problems
}

func (v *validator) add(ptr, format string, args ...any) {
	pos := locate(v.idx, ptr)
	v.ps = append(v.ps, Problem{v.name, pos.line, pos.col, where(ptr) + ": " + fmt.Sprintf(format, args...)})
}

// addKey reports at a mapping key rather than at its value.
func (v *validator) addKey(ptr, format string, args ...any) {
	if pos, ok := v.idx[ptr+"#key"]; ok {
		v.ps = append(v.ps, Problem{v.name, pos.line, pos.col, where(ptr) + ": " + fmt.Sprintf(format, args...)})
		return
	}
	v.add(ptr, format, args...)
}

func (v *validator) date(ptr, s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		v.add(ptr, "%q is not a date (YYYY-MM-DD)", s)
	}
	return t
}

// ids reports duplicate ids in a section and returns the set of its ids.
func ids[T any](v *validator, ptr string, items []T, id func(T) string) map[string]bool {
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		k := id(it)
		if seen[k] {
			v.add(ptr+"/"+strconv.Itoa(i)+"/id", "id %q is already used in %s", k, where(ptr))
		}
		seen[k] = true
	}
	return seen
}

// refs reports references to ids a section does not declare.
func refs(v *validator, ptr string, list []string, known map[string]bool, what string) {
	for j, id := range list {
		p := ptr + "/" + strconv.Itoa(j)
		if !known[id] {
			v.add(p, "unknown %s %q", what, id)
		} else if slices.Index(list, id) != j {
			v.add(p, "%s %q is listed twice", what, id)
		}
	}
}

func groundIDs() string {
	s := ""
	for i, g := range Grounds {
		if i > 0 {
			s += ", "
		}
		s += g.ID
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
