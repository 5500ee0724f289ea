package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
)

// Journal actions of incidents.
const (
	actionIncidentOpen   = "incident.open"
	actionIncidentRead   = "incident.read"
	actionIncidentUpdate = "incident.update"
)

// Incident kinds.
const (
	IncidentMassRead = "mass-read" // more distinct subjects per hour than the role's limit
	IncidentDenials  = "denials"   // repeated refusals: probing
	IncidentOffHours = "off-hours" // access outside the role's working hours
	IncidentJournal  = "journal"   // the journal does not verify
	IncidentManual   = "manual"    // reported by staff
)

// Classifications of an incident.
const (
	Suspected  = "suspected"
	Confirmed  = "confirmed"
	NotABreach = "not-a-breach"
)

// detector remembers, per process, what spares the store a write: the
// subjects each principal's reads this hour already added to the store's
// count, the networks each API key was seen from, and the incidents
// already opened. The counts themselves (distinct subjects, refusals,
// networks of keys) are kept in the store, so that several nodes count
// together.
type detector struct {
	mu    sync.Mutex
	reads map[string]*window
	// networks holds "key id|network" pairs already recorded in the store.
	networks map[string]bool
	// opened remembers the dedup keys of incidents this process already
	// registered, so that a rule firing on every request (off-hours work)
	// costs one write, not one per request.
	opened map[string]bool
}

type window struct {
	hour     int64
	subjects map[string]bool
}

func (w *window) at(hour int64) *window {
	if w == nil || w.hour != hour {
		return &window{hour: hour, subjects: map[string]bool{}}
	}
	return w
}

// readCount is the counting of one read for the rule on distinct subjects
// per hour, done in the read's own transaction (no commit of its own).
// The distinct subjects are counted in the store, so that a principal
// spreading its reads over several nodes is counted once; each node
// remembers which subjects it already added this hour, so a subject read
// again costs no statement.
type readCount struct {
	key     string
	limit   int
	w       *window
	fresh   []string
	ran     bool
	crossed bool
}

// countRead prepares the counting of a principal's read of subjects; nil
// when there is nothing to count (no limit, or subjects already counted).
func (v *Vault) countRead(a Actor, subjects ...string) *readCount {
	act := v.active.Load()
	if act == nil {
		return nil
	}
	role, ok := act.Role(a.Role)
	if !ok || role.Limits.SubjectsPerHour == 0 {
		return nil
	}
	hour := v.now().Unix() / 3600
	v.det.mu.Lock()
	defer v.det.mu.Unlock()
	w := v.det.reads[a.ID].at(hour)
	v.det.reads[a.ID] = w
	var fresh []string
	for _, s := range subjects {
		if !w.subjects[s] {
			w.subjects[s] = true
			fresh = append(fresh, s)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	return &readCount{key: fmt.Sprintf("%s|%s|%d", IncidentMassRead, a.ID, hour), limit: role.Limits.SubjectsPerHour, w: w, fresh: fresh}
}

// add counts the read in tx.
func (rc *readCount) add(ctx context.Context, tx *store.Tx, now time.Time) error {
	if rc == nil {
		return nil
	}
	for _, s := range rc.fresh {
		added, err := tx.DetectionSubjectAdd(ctx, rc.key, s, now)
		if err != nil {
			return err
		}
		if !added {
			continue // another node counted it
		}
		n, err := tx.DetectionCount(ctx, rc.key, now)
		if err != nil {
			return err
		}
		// Counts only grow, one at a time: exactly one read anywhere sees
		// the limit passed.
		rc.crossed = rc.crossed || n == int64(rc.limit)+1
		if n == 1 { // a new window: forget old ones
			if err := tx.DetectionSubjectsPrune(ctx, now.Add(-48*time.Hour)); err != nil {
				return err
			}
			if err := tx.DetectionPrune(ctx, now.Add(-48*time.Hour)); err != nil {
				return err
			}
		}
	}
	rc.ran = true
	return nil
}

// settle is called once the read's transaction is over, committed or not
// (err): subjects that were not counted are forgotten by this node, so
// that their next read counts them.
func (v *Vault) settle(rc *readCount, err error) {
	if rc == nil || (rc.ran && err == nil) {
		return
	}
	rc.ran, rc.crossed = false, false
	v.det.mu.Lock()
	for _, s := range rc.fresh {
		delete(rc.w.subjects, s)
	}
	v.det.mu.Unlock()
}

// observeRead runs the rules on a principal's successful read, counted in
// its transaction by rc (nil: nothing counted): an incident when the
// role's working hours or its distinct subjects per hour are passed. It
// never fails the read.
func (v *Vault) observeRead(a Actor, rc *readCount) {
	act := v.active.Load()
	role, ok := act.Role(a.Role)
	if !ok {
		return
	}
	v.offHours(a, role, v.now())
	if rc != nil && rc.crossed {
		v.openIncident(IncidentMassRead, "rule:subjects_per_hour", a, nil,
			fmt.Sprintf("%s (role %s) read more than %d distinct subjects within an hour", a.ID, a.Role, rc.limit), rc.key)
	}
}

// denialRule returns the store's counter of a principal's refusals in the
// current hour and the role's limit; limit 0 means no rule applies.
func (v *Vault) denialRule(a Actor) (key string, limit int) {
	act := v.active.Load()
	if act == nil {
		return "", 0
	}
	role, ok := act.Role(a.Role)
	if !ok || role.Limits.DenialsPerHour == 0 {
		return "", 0
	}
	return fmt.Sprintf("denials|%s|%d", a.ID, v.now().Unix()/3600), role.Limits.DenialsPerHour
}

// observeDenial opens an incident when a refusal, counted by every node
// together (count is the store's), passes the role's limit.
func (v *Vault) observeDenial(a Actor, key string, count int64, limit int) {
	if limit == 0 || count != int64(limit)+1 {
		return
	}
	v.openIncident(IncidentDenials, "rule:denials_per_hour", a, nil,
		fmt.Sprintf("%s (role %s) was refused more than %d times within an hour", a.ID, a.Role, limit),
		strings.Replace(key, "denials|", IncidentDenials+"|", 1))
}

// offHours opens an incident, once a day per principal, for access outside
// the role's working hours (Astana time).
func (v *Vault) offHours(a Actor, role policy.Role, now time.Time) {
	from, to, ok := strings.Cut(role.Limits.Hours, "-")
	if !ok {
		return
	}
	local := now.In(calendar.Location())
	hm := local.Format("15:04")
	inside := from <= hm && hm < to
	if from > to { // a night shift, 20:00-08:00
		inside = hm >= from || hm < to
	}
	if inside {
		return
	}
	v.openIncident(IncidentOffHours, "rule:hours", a, nil,
		fmt.Sprintf("%s (role %s) worked at %s, outside the role's hours %s", a.ID, a.Role, hm, role.Limits.Hours),
		fmt.Sprintf("%s|%s|%s", IncidentOffHours, a.ID, local.Format(time.DateOnly)))
}

// openIncident registers an incident, once per dedup key, with its notice
// deadline: one working day from detection (Art. 25 p.2 sp.8).
func (v *Vault) openIncident(kind, source string, a Actor, subjects []string, description, dedup string) (string, error) {
	v.det.mu.Lock()
	seen := v.det.opened[dedup]
	v.det.mu.Unlock()
	if seen {
		return "", nil
	}
	ctx := context.Background()
	now := v.now()
	i := &store.Incident{ID: newID(), Kind: kind, Source: source, Principal: a.ID, DetectedAt: now, Subjects: strings.Join(subjects, ","),
		UpdatedAt: now, Dedup: dedup}
	// Without an active policy (a store checked before its first
	// activation) the incident is kept without a deadline rather than lost.
	if act := v.active.Load(); act != nil {
		if due, err := v.cal.AddWorkingDays(now, act.EffectiveDeadlines().BreachNotice); err == nil || calendar.IsWarning(err) {
			due = due.UTC().Truncate(time.Microsecond)
			i.NoticeDue = &due
		}
	}
	dk, wrapped, err := v.ring.NewDataKey(i.ID)
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(IncidentContent{Description: description})
	i.Content = keys.Seal(dk, fieldAD("incident", i.ID, "content"), b)
	var opened bool
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		opened, err = tx.IncidentInsert(ctx, i)
		if err != nil || !opened {
			return err
		}
		if err := tx.DataKeyInsert(ctx, i.ID, keys.WrappedVersion(wrapped), wrapped); err != nil {
			return err
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: System.ID, Action: actionIncidentOpen, Outcome: journal.OK,
			Detail: detail(map[string]any{"incident": i.ID, "kind": kind, "source": source, "principal": a.ID, "notice_due": dueText(i.NoticeDue)})})
	})
	if err == nil {
		v.det.mu.Lock()
		if len(v.det.opened) > 10000 { // keys carry their hour or day: old ones never recur
			v.det.opened = map[string]bool{}
		}
		v.det.opened[dedup] = true
		v.det.mu.Unlock()
	}
	if err == nil && opened && kind != IncidentManual {
		v.alert(i)
	}
	return i.ID, err
}

// IncidentContent is the encrypted part of an incident.
type IncidentContent struct {
	Description string    `json:"description"`
	Measures    []Measure `json:"measures,omitempty"`
}

// Measure is a step taken to contain or remedy an incident.
type Measure struct {
	At    time.Time `json:"at"`
	By    string    `json:"by"`
	Taken string    `json:"taken"`
}

// Incident is an incident as the security officer sees it.
type Incident struct {
	ID             string           `json:"id"`
	Kind           string           `json:"kind"`
	Source         string           `json:"source"`
	Principal      string           `json:"principal,omitempty"`
	DetectedAt     time.Time        `json:"detected_at"`
	Classification string           `json:"classification"`
	Status         string           `json:"status"`
	NoticeDue      *time.Time       `json:"notice_due,omitempty"`
	NoticeSentAt   *time.Time       `json:"notice_sent_at,omitempty"`
	Subjects       []string         `json:"subjects,omitempty"`
	Content        *IncidentContent `json:"content,omitempty"`
}

func incidentView(i *store.Incident) *Incident {
	x := &Incident{ID: i.ID, Kind: i.Kind, Source: i.Source, Principal: i.Principal, DetectedAt: i.DetectedAt, Classification: i.Classification,
		Status: i.Status, NoticeDue: i.NoticeDue, NoticeSentAt: i.NoticeSentAt}
	if i.Subjects != "" {
		x.Subjects = strings.Split(i.Subjects, ",")
	}
	return x
}

// Incidents lists incidents (open first); the role needs admin.
func (v *Vault) Incidents(ctx context.Context, a Actor, status string) ([]*Incident, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanAdmin, "", "", ""); err != nil {
		return nil, err
	}
	if status != "" && status != "open" && status != "closed" {
		return nil, problem(Invalid, "invalid-value", "status", "status is open or closed")
	}
	var rows []*store.Incident
	if err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		rows, err = r.IncidentList(ctx, status, 500)
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]*Incident, len(rows))
	for i, x := range rows {
		out[i] = incidentView(x)
	}
	return out, nil
}

// ReportIncident registers an incident reported by staff.
func (v *Vault) ReportIncident(ctx context.Context, a Actor, description string, subjects []string) (string, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanAdmin, "", "", ""); err != nil {
		return "", err
	}
	if strings.TrimSpace(description) == "" || len(description) > 8000 {
		return "", problem(Invalid, "value-required", "description", "describe what happened (at most 8000 bytes)")
	}
	for _, s := range subjects {
		if !validID(s) {
			return "", problem(Invalid, "invalid-value", "subjects", "subjects are subject ids")
		}
	}
	return v.openIncident(IncidentManual, "reported:"+a.ID, a, subjects, description, "manual|"+newID())
}

// IncidentChange is what the security officer records about an incident.
type IncidentChange struct {
	Classification string
	Status         string
	// Measure, if set, is added to the measures taken.
	Measure string
	// Subjects, if set, replaces the affected subjects.
	Subjects []string
	// NoticeSent records that the notice reached the authorized body.
	NoticeSent bool
}

// UpdateIncident classifies an incident, records measures and the notice.
func (v *Vault) UpdateIncident(ctx context.Context, a Actor, id string, c IncidentChange) (*Incident, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanAdmin, "", "", ""); err != nil {
		return nil, err
	}
	if c.Classification != "" && c.Classification != Suspected && c.Classification != Confirmed && c.Classification != NotABreach {
		return nil, problem(Invalid, "invalid-value", "classification", "classification is suspected, confirmed or not-a-breach")
	}
	if c.Status != "" && c.Status != "open" && c.Status != "closed" {
		return nil, problem(Invalid, "invalid-value", "status", "status is open or closed")
	}
	for _, s := range c.Subjects {
		if !validID(s) {
			return nil, problem(Invalid, "invalid-value", "subjects", "subjects are subject ids")
		}
	}
	if len(c.Measure) > 8000 {
		return nil, problem(Invalid, "too-large", "measure", "a measure is at most 8000 bytes")
	}
	var out *Incident
	err := v.withIncident(ctx, id, func(tx *store.Tx, i *store.Incident, content *IncidentContent) error {
		now := v.now()
		if c.Classification != "" {
			i.Classification = c.Classification
		}
		if c.Status != "" {
			i.Status = c.Status
		}
		if c.Subjects != nil {
			i.Subjects = strings.Join(c.Subjects, ",")
		}
		if c.Measure != "" {
			content.Measures = append(content.Measures, Measure{At: now, By: a.ID, Taken: c.Measure})
		}
		if c.NoticeSent && i.Classification != Confirmed {
			return problem(Conflict, "not-confirmed", "", "only a confirmed breach is notified; classify the incident first")
		}
		if c.NoticeSent && i.NoticeSentAt == nil {
			i.NoticeSentAt = &now
		}
		i.UpdatedAt = now
		out = incidentView(i)
		out.Content = content
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionIncidentUpdate, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "incident": id, "classification": i.Classification, "status": i.Status, "notice_sent": i.NoticeSentAt != nil})})
	}, true)
	return out, err
}

// GetIncident returns an incident with its description and measures; the
// read is journaled.
func (v *Vault) GetIncident(ctx context.Context, a Actor, id string) (*Incident, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanAdmin, "", "", ""); err != nil {
		return nil, err
	}
	var out *Incident
	err := v.withIncident(ctx, id, func(tx *store.Tx, i *store.Incident, content *IncidentContent) error {
		out = incidentView(i)
		out.Content = content
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionIncidentRead, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "incident": id})})
	}, false)
	return out, err
}

func (v *Vault) withIncident(ctx context.Context, id string, fn func(*store.Tx, *store.Incident, *IncidentContent) error, save bool) error {
	if !validID(id) {
		return errNotFound
	}
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		i, err := tx.IncidentGet(ctx, id)
		if err != nil {
			return err
		}
		dk, err := v.dataKey(ctx, tx, id)
		if err != nil {
			return err
		}
		pt, err := keys.Open(dk, fieldAD("incident", id, "content"), i.Content)
		if err != nil {
			return err
		}
		var c IncidentContent
		if err := json.Unmarshal(pt, &c); err != nil {
			return err
		}
		if err := fn(tx, i, &c); err != nil {
			return err
		}
		if !save {
			return nil
		}
		b, _ := json.Marshal(c)
		i.Content = keys.Seal(dk, fieldAD("incident", id, "content"), b)
		return tx.IncidentUpdate(ctx, i)
	})
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	return err
}

// Notice is the draft of the breach notice to the authorized body
// (Art. 25 p.2 sp.8): due one working day after detection, with the
// contact of the person responsible for organising processing.
type Notice struct {
	Incident     string      `json:"incident"`
	To           string      `json:"to"`
	Operator     policy.Text `json:"operator"`
	BIN          string      `json:"bin"`
	Responsible  string      `json:"responsible_person"`
	Contact      string      `json:"contact"`
	DetectedAt   time.Time   `json:"detected_at"`
	Due          *time.Time  `json:"due"`
	WhatHappened string      `json:"what_happened"`
	Measures     []Measure   `json:"measures"`
	// Subjects are the affected subjects, by id; the operator adds their
	// identifiers as the Rules require when sending, and notifies them.
	Subjects []string `json:"affected_subjects"`
}

// DraftNotice drafts the breach notice of a confirmed incident.
func (v *Vault) DraftNotice(ctx context.Context, a Actor, id string) (*Notice, error) {
	x, err := v.GetIncident(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if x.Classification != Confirmed {
		return nil, problem(Conflict, "not-confirmed", "", "only a confirmed breach is notified; classify the incident first")
	}
	p := v.active.Load().Policy
	if x.Content.Measures == nil {
		x.Content.Measures = []Measure{}
	}
	if x.Subjects == nil {
		x.Subjects = []string{}
	}
	return &Notice{Incident: x.ID, To: "the authorized body for personal data protection (Ministry of Artificial Intelligence and Digital Development)",
		Operator: p.Operator.Name, BIN: p.Operator.BIN, Responsible: p.Operator.Responsible.Name,
		Contact:    strings.Trim(p.Operator.Responsible.Email+", "+p.Operator.Responsible.Phone, ", "),
		DetectedAt: x.DetectedAt, Due: x.NoticeDue, WhatHappened: x.Content.Description, Measures: x.Content.Measures, Subjects: x.Subjects}, nil
}
