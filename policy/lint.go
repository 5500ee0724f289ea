package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/derbes/derbes/kz"
)

// Severity of a lint finding.
type Severity string

// Severities. An error is something the operator must fix in the published
// policy; a warning is something to check or complete.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is one difference between a valid policy and the law's defaults
// and duties, at the line and column of the YAML node concerned.
type Finding struct {
	File     string
	Line     int
	Col      int
	Severity Severity
	// Article is the provision the finding rests on ("Art. 25 p.2 sp.8").
	Article string
	Message string
}

// String formats the finding as "file:line:col: severity: message (article)".
func (f Finding) String() string {
	s := fmt.Sprintf("%s:%d:%d: %s: %s", f.File, f.Line, f.Col, f.Severity, f.Message)
	if f.Article != "" {
		s += " (" + f.Article + ")"
	}
	return s
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity == SeverityError })
}

// specialCategories are the special categories of data a field may name:
// those seed 000 §8.13 refuses (race, nationality, political views,
// religious or philosophical beliefs, health, intimate life) and biometric
// data. LAW.md cites no article of Law 94-V on them, so lint asks only that
// a policy collecting them show the ground for each (Art. 7, Art. 9).
var specialCategories = []string{"health", "religion", "race", "nationality", "political", "intimate", "biometric"}

// Lint parses src (named name in findings) with Parse and compares the valid
// policy with the law's defaults and duties. An invalid file returns Parse's
// Problems as the error. Findings are sorted by position.
func Lint(name string, src []byte) ([]Finding, error) {
	p, err := Parse(name, src)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil || len(root.Content) == 0 {
		// Parse has just read the same bytes; this cannot happen.
		return nil, fmt.Errorf("policy: lint: re-reading %s: %v", name, err)
	}
	l := &linter{name: name, idx: index(root.Content[0]), p: p}
	l.deadlines()
	l.responsible()
	l.storage()
	l.review()
	l.purposes()
	l.roles()
	slices.SortStableFunc(l.fs, func(a, b Finding) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return l.fs, nil
}

type linter struct {
	name string
	idx  map[string]position
	p    *Policy
	fs   []Finding
}

// at reports at the value of ptr (or its nearest ancestor).
func (l *linter) at(ptr string, sev Severity, article, format string, args ...any) {
	l.report(locate(l.idx, ptr), ptr, sev, article, format, args...)
}

// atKey reports at the key of ptr: for something missing from a mapping,
// the line that names the mapping.
func (l *linter) atKey(ptr string, sev Severity, article, format string, args ...any) {
	pos, ok := l.idx[ptr+"#key"]
	if !ok {
		pos = locate(l.idx, ptr)
	}
	l.report(pos, ptr, sev, article, format, args...)
}

func (l *linter) report(pos position, ptr string, sev Severity, article, format string, args ...any) {
	l.fs = append(l.fs, Finding{l.name, pos.line, pos.col, sev, article, where(ptr) + ": " + fmt.Sprintf(format, args...)})
}

// deadlines: a term longer than the law's is an error. derbes applies the
// law's term anyway (EffectiveDeadlines), but the published text promises
// subjects something else and misleads them; the operator must correct it.
func (l *linter) deadlines() {
	d := l.p.Deadlines
	for _, t := range []struct {
		key      string
		own, law int
		article  string
	}{
		{"correction", d.Correction, LawDeadlines.Correction, "Art. 25 p.2 sp.8"},
		{"blocking", d.Blocking, LawDeadlines.Blocking, "Art. 25 p.2 sp.8"},
		{"unblocking", d.Unblocking, LawDeadlines.Unblocking, "Art. 25 p.2 sp.8"},
		{"destruction", d.Destruction, LawDeadlines.Destruction, "Art. 25 p.2 sp.8"},
		{"breach_notice", d.BreachNotice, LawDeadlines.BreachNotice, "Art. 25 p.2 sp.8"},
		{"withdrawal", d.Withdrawal, LawDeadlines.Withdrawal, "Art. 8 p.7"},
		{"transfer_notice", d.TransferNotice, LawDeadlines.TransferNotice, "Art. 19 p.1"},
		{"objection", d.Objection, LawDeadlines.Objection, "Art. 19-1"},
		{"public_removal", d.PublicRemoval, LawDeadlines.PublicRemoval, "Art. 6"},
		// information: the law names no number, so no term is too long.
	} {
		if t.own > t.law {
			l.at("/deadlines/"+t.key, SeverityError, t.article,
				"the policy promises %d working days; the law requires %d — derbes applies %d", t.own, t.law, t.law)
		}
	}
}

// responsible: the person responsible for organising processing must be
// named, and breach notices carry their contact.
func (l *linter) responsible() {
	r := l.p.Operator.Responsible
	const ptr = "/operator/responsible"
	if strings.TrimSpace(r.Name) == "" {
		l.at(ptr+"/name", SeverityError, "Art. 25 p.2 sp.10",
			"no person responsible for organising the processing is named: appoint one and give their name")
	}
	email, phone := strings.TrimSpace(r.Email), strings.TrimSpace(r.Phone)
	if email == "" && phone == "" {
		l.atKey(ptr, SeverityWarning, "Art. 25 p.2 sp.8",
			"the responsible person has no e-mail and no phone: a breach notice to the authorized body (1 working day from detection) carries their contact, and deadline reminders cannot reach them; add email: or phone:")
	}
	if email != "" {
		if _, err := kz.ParseEmail(email); err != nil {
			l.at(ptr+"/email", SeverityWarning, "Art. 25 p.2 sp.8",
				"%q is not an e-mail address: breach notices carry this contact", r.Email)
		}
	}
	if phone != "" {
		if _, err := kz.ParsePhone(phone); err != nil {
			l.at(ptr+"/phone", SeverityWarning, "Art. 25 p.2 sp.8",
				"%q is not a phone number (+7 and 10 digits): breach notices carry this contact", r.Phone)
		}
	}
}

// storage: validation lets storage abroad through when a ground is stated;
// the law still requires a database in Kazakhstan, so it stays an error.
func (l *linter) storage() {
	s := l.p.Operator.Storage
	if s.Country != "KZ" {
		l.at("/operator/storage/country", SeverityError, "Art. 12 p.2",
			"personal data are stored in %s, but the law requires a database located in Kazakhstan; the ground given (%q) must be checked by a lawyer (derbes cannot judge it), or the database moved",
			s.Country, s.Ground)
	}
}

// review: the policy is reviewed at least yearly (seed 004 §12).
func (l *linter) review() {
	eff, err := time.Parse(time.DateOnly, l.p.Effective)
	if err != nil {
		return // validation has refused it already
	}
	due := eff.AddDate(1, 0, 0)
	if l.p.ReviewBy == "" {
		// Reported at effective:, where review_by belongs.
		pos, ok := l.idx["/effective#key"]
		if !ok {
			pos = locate(l.idx, "/effective")
		}
		l.report(pos, "/review_by", SeverityWarning, "seed 004 §12",
			"no review date: review the policy at least once a year and whenever the law changes; add review_by: %s or earlier", due.Format(time.DateOnly))
		return
	}
	rev, err := time.Parse(time.DateOnly, l.p.ReviewBy)
	if err != nil {
		return
	}
	if rev.After(due) {
		l.at("/review_by", SeverityWarning, "seed 004 §12",
			"the next review is more than a year after effective (%s): review the policy at least once a year, by %s", l.p.Effective, due.Format(time.DateOnly))
	}
}

// identifierTypes tie a record to a person directly.
var identifierTypes = []string{TypeIIN, TypeName, TypePhone, TypeEmail}

func (l *linter) purposes() {
	p := l.p
	for i, pu := range p.Purposes {
		ptr := "/purposes/" + strconv.Itoa(i)
		consent := slices.Contains(pu.Grounds, GroundConsent)
		treaty := slices.Contains(pu.Grounds, "international-treaty")
		onlyConsent := consent && len(pu.Grounds) == 1

		// Transfer to third parties on consent alone: the consent must say
		// so (Art. 8 p.4 lists it among the consent's contents).
		var third []string
		first := -1
		for j, rid := range pu.Recipients {
			r, ok := l.recipient(rid)
			if !ok || r.Kind == RecipientProcessor {
				continue
			}
			if first < 0 {
				first = j
			}
			third = append(third, rid)
		}
		if onlyConsent && len(third) > 0 {
			l.at(ptr+"/recipients/"+strconv.Itoa(first), SeverityWarning, "Art. 7 p.6",
				"purpose %q rests on consent alone and passes data to %s: the consent collected for it must allow transfer to third parties",
				pu.ID, strings.Join(third, ", "))
		}

		// Cross-border transfer (Art. 16).
		for j, rid := range pu.Recipients {
			r, ok := l.recipient(rid)
			if !ok || r.Country == "" || r.Country == "KZ" || slices.Contains(p.AdequateCountries, r.Country) || treaty {
				continue
			}
			rp := ptr + "/recipients/" + strconv.Itoa(j)
			if consent {
				l.at(rp, SeverityWarning, "Art. 16, Art. 8 p.4",
					"purpose %q passes data to %q in %s, which is not among adequate_countries: the consent collected for it must allow cross-border transfer",
					pu.ID, rid, r.Country)
				continue
			}
			l.at(rp, SeverityError, "Art. 16",
				"purpose %q passes data to %q in %s, which is not among adequate_countries, and its grounds include neither consent nor international-treaty: the transfer has no ground",
				pu.ID, rid, r.Country)
		}

		// Storage term.
		if pu.Retention.From == FromPurposeAchieved && pu.Retention.Period == "" {
			l.atKey(ptr+"/retention", SeverityWarning, "Art. 12 p.2, Art. 18",
				"purpose %q is kept until the purpose is achieved, with no storage term: set one when known, so that its records are %s on time",
				pu.ID, endAction(pu.Retention.Then))
		}

		onlyDepersonalised := len(pu.Grounds) == 1 && pu.Grounds[0] == "depersonalised-statistics"
		publish := slices.Contains(pu.Grounds, "published-by-law")
		for _, cat := range sortedKeys(pu.Subjects) {
			for j, fid := range pu.Subjects[cat] {
				f, ok := p.Field(fid)
				if !ok {
					continue
				}
				fp := ptr + "/subjects/" + escapePointer(cat) + "/" + strconv.Itoa(j)
				if f.Category != "" && slices.Contains(specialCategories, f.Category) && !p.Forbidden(f) {
					l.at(fp, SeverityWarning, "Art. 7, Art. 9",
						"purpose %q collects field %q, of the special category %q: state the ground for it explicitly (a consent that names this data, or the Art. 9 ground and legal_basis), or forbid the category",
						pu.ID, fid, f.Category)
				}
				if onlyDepersonalised && slices.Contains(identifierTypes, f.Type) {
					l.at(fp, SeverityWarning, "Art. 9, Art. 1 sp.7",
						"purpose %q rests only on depersonalised-statistics but collects %q, of type %s, which ties the record to a person: depersonalise before collecting, or name another ground",
						pu.ID, fid, f.Type)
				}
				if f.Access == AccessPublic && !publish {
					l.at(fp, SeverityWarning, "Art. 7 p.6, Art. 15",
						"purpose %q collects field %q as publicly available: publishing personal data needs a consent that allows publication, or a law that requires it (ground published-by-law)",
						pu.ID, fid)
				}
			}
		}

		// Someone must be able to carry out the subject's demands.
		for _, need := range []struct{ action, why string }{
			{CanUpdate, "a correction the subject proves must be made within 1 working day"},
			{CanDestroy, "data collected unlawfully must be destroyed within 1 working day"},
		} {
			if !slices.ContainsFunc(p.Roles, func(r Role) bool { return r.Allows(pu.ID) && r.May(need.action) }) {
				l.report(locate(l.idx, ptr+"/id"), ptr, SeverityWarning, "Art. 25 p.2 sp.8",
					"no role serving purpose %q may %s its records: %s; give %s to a role that serves it", pu.ID, need.action, need.why, need.action)
			}
		}
	}
}

func endAction(then string) string {
	if then == ThenDepersonalise {
		return "depersonalised"
	}
	return "destroyed"
}

func (l *linter) recipient(id string) (Recipient, bool) {
	for _, r := range l.p.Recipients {
		if r.ID == id {
			return r, true
		}
	}
	return Recipient{}, false
}

// roles: user actions are journaled (Art. 22); if some role may destroy
// data or administer derbes, some role must be able to read that journal.
func (l *linter) roles() {
	var powerful []string
	journal := false
	for _, r := range l.p.Roles {
		if r.May(CanDestroy) || r.May(CanAdmin) {
			powerful = append(powerful, r.ID)
		}
		journal = journal || r.May(CanJournal)
	}
	if len(powerful) > 0 && !journal {
		l.atKey("/roles", SeverityWarning, "Art. 22",
			"roles %s may destroy data or administer derbes, but no role may read the journal: user actions are registered so that someone reviews them; add journal to the can: of the responsible person's role",
			strings.Join(powerful, ", "))
	}
}
