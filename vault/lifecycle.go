package vault

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/retention"
	"github.com/derbes/derbes/store"
)

// Journal actions of the lifecycle.
const (
	actionRetentionStart = "record.retention-start"
	actionActSeal        = "act.seal"
	actionStatsExport    = "stats.export"
)

// SweepJob names the retention sweep's lease.
const SweepJob = "retention-sweep"

// sweepBatch is how many records one transaction of the sweep destroys:
// larger batches mean fewer commits, but a longer write holding back other
// writers (docs/performance.md, "The retention sweep").
const sweepBatch = 5000

// ErrSweepRunning means another node (or process) holds the sweep's lease.
var ErrSweepRunning = errors.New("vault: another sweep is running")

// retentionEnd is when a record collected at created ends under r, when
// its term runs from collection; nil otherwise (it starts with an event).
func retentionEnd(r policy.Retention, created time.Time) *time.Time {
	if r.From != policy.FromCollection || r.Period == "" {
		return nil
	}
	p, err := policy.ParsePeriod(r.Period)
	if err != nil {
		return nil
	}
	end := p.After(created)
	return &end
}

// StartRetention starts a record's term on an event: the event the purpose
// names ("appeal_closed"), "relationship_end", or "purpose_achieved". The
// record is then kept for the purpose's period and swept.
func (v *Vault) StartRetention(ctx context.Context, a Actor, recordID, purpose, event string) (*time.Time, error) {
	if !validID(recordID) {
		return nil, errNotFound
	}
	act, _, err := v.authorize(ctx, a, policy.CanUpdate, purpose, "", recordID)
	if err != nil {
		return nil, err
	}
	pu, _ := act.Purpose(purpose)
	ret := pu.Retention
	switch {
	case ret.From == policy.FromEvent && event == ret.Event,
		ret.From == policy.FromRelationshipEnd && event == "relationship_end",
		ret.From == policy.FromPurposeAchieved && event == "purpose_achieved":
	default:
		want := ret.From
		if ret.From == policy.FromEvent {
			want = ret.Event
		}
		return nil, problem(Invalid, "wrong-event", "event", "the term of purpose %q starts with %q", pu.ID, want)
	}
	now := v.now()
	end := now
	if ret.Period != "" {
		p, _ := policy.ParsePeriod(ret.Period)
		end = p.After(now)
	}
	err = v.store.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.RecordGet(ctx, recordID)
		if err != nil {
			return err
		}
		if r.Purpose != purpose {
			return problem(Denied, "purpose-mismatch", "", "the record was collected for another purpose")
		}
		if r.State == store.Destroyed {
			return errGone
		}
		if err := tx.RecordRetentionStart(ctx, recordID, end); err != nil {
			return err
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionRetentionStart, Purpose: purpose, Subject: r.SubjectID, Record: recordID, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "event": event, "ends": end.Format(time.DateOnly), "then": ret.Then})})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return &end, nil
}

// SweepResult is what one sweep did.
type SweepResult struct {
	// Act is the act of destruction the sweep sealed ("" when nothing was
	// due).
	Act            string `json:"act,omitempty"`
	Destroyed      int    `json:"destroyed"`
	Depersonalised int    `json:"depersonalised"`
	// Resealed counts acts left open by a sweep that was cut short.
	Resealed int `json:"resealed"`
	// Expired counts consents whose term ended (Art. 8 p.5): each gets
	// its expired event, and the records resting only on it are queued
	// for destruction (and destroyed by this same sweep when due).
	Expired int `json:"expired_consents"`
}

// expireConsents closes the consents whose term has ended.
func (v *Vault) expireConsents(ctx context.Context, lease func(*store.Tx) error) (int, error) {
	n := 0
	for {
		var batch int
		err := v.store.Write(ctx, func(tx *store.Tx) error {
			if err := lease(tx); err != nil {
				return err
			}
			now := v.now()
			cs, err := tx.ConsentsExpired(ctx, now, 200)
			if err != nil {
				return err
			}
			batch = len(cs)
			for _, c := range cs {
				if err := tx.ConsentEnd(ctx, c.ID, consent.Expired, *c.Until); err != nil {
					return err
				}
				if err := tx.ConsentEventInsert(ctx, &store.ConsentEvent{ID: newID(), ConsentID: c.ID, Kind: consent.Expired, At: now, Actor: System.ID, Reason: "term-ended"}); err != nil {
					return err
				}
				recs, err := tx.RecordsBySubject(ctx, c.SubjectID)
				if err != nil {
					return err
				}
				queued := 0
				for _, r := range recs {
					if r.ConsentID == c.ID && r.State != store.Destroyed {
						if err := tx.DestructionEnqueue(ctx, r.ID, r.SubjectID, "consent-expired", now, &now); err != nil {
							return err
						}
						queued++
					}
				}
				if err := tx.JournalAppend(ctx, &journal.Entry{Actor: System.ID, Action: "consent.expire", Subject: c.SubjectID, Outcome: journal.OK,
					Detail: detail(map[string]any{"consent": c.ID, "records_queued": queued})}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += batch
		if batch == 0 {
			return n, nil
		}
	}
}

// Sweep destroys or depersonalises every record whose term has ended or
// whose ground is gone, on the policy's rule, batch by batch; each record's
// destruction, its line in the act and its journal entry share a
// transaction. holder names this process for the lease that keeps other
// nodes from sweeping at the same time.
func (v *Vault) Sweep(ctx context.Context, holder string) (*SweepResult, error) {
	lease := func(tx *store.Tx) error {
		now := v.now()
		ok, err := tx.JobLease(ctx, SweepJob, holder, now, now.Add(10*time.Minute))
		if err != nil {
			return err
		}
		if !ok {
			return ErrSweepRunning
		}
		return nil
	}
	if err := v.store.Write(ctx, lease); err != nil {
		return nil, err
	}
	defer v.store.Write(context.Background(), func(tx *store.Tx) error { return tx.JobRelease(ctx, SweepJob, holder, v.now()) })

	res := &SweepResult{}
	// Seal what a cut-short sweep left open: its records were destroyed
	// with their lines in the act, so sealing it now loses nothing.
	var open []*store.Act
	if err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		open, err = r.ActsUnsealed(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	for _, a := range open {
		if err := v.sealAct(ctx, a); err != nil {
			return nil, err
		}
		res.Resealed++
	}

	expired, err := v.expireConsents(ctx, lease)
	res.Expired = expired
	if err != nil {
		return res, err
	}

	act := &store.Act{ID: newID(), Kind: SweepJob, StartedAt: v.now()}
	opened := false
	p := v.active.Load().Policy
	for {
		n := 0
		err := v.store.Write(ctx, func(tx *store.Tx) error {
			n = 0
			if err := lease(tx); err != nil {
				return err
			}
			now := v.now()
			due, err := tx.RecordsDue(ctx, now, sweepBatch)
			if err != nil || len(due) == 0 {
				return err
			}
			if !opened {
				if err := tx.ActInsert(ctx, act); err != nil {
					return err
				}
			}
			lines := make([]store.ActRecord, 0, len(due))
			for _, d := range due {
				action := policy.ThenDestroy
				if pu, ok := p.Purpose(d.Purpose); ok && d.Rule == "retention-end" {
					action = pu.Retention.Then
				}
				if action == policy.ThenDepersonalise {
					if err := v.depersonalise(ctx, tx, p, d, now); err != nil {
						return err
					}
				}
				lines = append(lines, store.ActRecord{RecordID: d.RecordID, SubjectID: d.SubjectID, Purpose: d.Purpose,
					Category: d.Category, Ground: d.Ground, Action: action, Rule: d.Rule})
			}
			// The batch's keys, ciphertexts and act lines go in a few
			// statements; each record still gets its own journal entry.
			if err := tx.RecordsDestroyBatch(ctx, act.ID, lines, now); err != nil {
				return err
			}
			for _, l := range lines {
				if err := tx.JournalAppend(ctx, &journal.Entry{Actor: System.ID, Action: journal.RecordDestroy, Purpose: l.Purpose, Subject: l.SubjectID, Record: l.RecordID,
					Outcome: journal.OK, Detail: detail(map[string]any{"act": act.ID, "rule": l.Rule, "action": l.Action})}); err != nil {
					return err
				}
				if l.Action == policy.ThenDepersonalise {
					res.Depersonalised++
				} else {
					res.Destroyed++
				}
				n++
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		if n > 0 {
			opened = true
		}
		if n == 0 || ctx.Err() != nil {
			break
		}
	}
	if !opened {
		return res, nil
	}
	res.Act = act.ID
	return res, v.sealAct(ctx, act)
}

// depersonalise keeps a statistics row made of the record's generalised
// attributes (Art. 17), before the record itself is destroyed.
func (v *Vault) depersonalise(ctx context.Context, tx *store.Tx, p *policy.Policy, d store.Due, now time.Time) error {
	r, err := tx.RecordGet(ctx, d.RecordID)
	if err != nil {
		return err
	}
	rk, err := v.dataKey(ctx, tx, d.RecordID)
	if err != nil {
		return err
	}
	values, err := openFields(rk, "field", r.ID, r.Fields, func(string) bool { return true })
	if err != nil {
		return err
	}
	attrs, err := json.Marshal(retention.Generalise(p, values))
	if err != nil {
		return err
	}
	return tx.StatsInsert(ctx, newID(), d.Purpose, d.Category, r.CreatedAt.Year(), string(attrs), now)
}

// ActSummary is the signed content of an act of destruction.
type ActSummary = retention.ActSummary

// ActCount is one line of an act's counts.
type ActCount = retention.ActCount

// sealAct counts an act's records, signs the summary with the journal key
// and journals the seal.
func (v *Vault) sealAct(ctx context.Context, a *store.Act) error {
	return v.store.Write(ctx, func(tx *store.Tx) error {
		recs, err := tx.ActRecords(ctx, a.ID)
		if err != nil {
			return err
		}
		now := v.now()
		s := actSummary(a, recs, now)
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		a.SealedAt, a.Records, a.Summary = &now, int64(len(recs)), string(b)
		a.Signature = ed25519.Sign(v.ring.JournalKey(), b)
		if err := tx.ActSeal(ctx, a); err != nil {
			return err
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: System.ID, Action: actionActSeal, Outcome: journal.OK,
			Detail: detail(map[string]any{"act": a.ID, "records": len(recs), "summary_sha256": hexSum(b)})})
	})
}

func actSummary(a *store.Act, recs []store.ActRecord, sealed time.Time) ActSummary {
	counts := map[ActCount]int{}
	ids := make([]string, len(recs))
	for i, r := range recs {
		counts[ActCount{Purpose: r.Purpose, Category: r.Category, Ground: r.Ground, Action: r.Action, Rule: r.Rule}]++
		ids[i] = r.RecordID
	}
	s := ActSummary{ID: a.ID, Kind: a.Kind, StartedAt: a.StartedAt, SealedAt: sealed, Records: len(recs), RecordIDs: hexSum([]byte(strings.Join(ids, ",")))}
	for c, n := range counts {
		c.Records = n
		s.Counts = append(s.Counts, c)
	}
	sort.Slice(s.Counts, func(i, j int) bool {
		return fmt.Sprint(s.Counts[i]) < fmt.Sprint(s.Counts[j])
	})
	return s
}

func hexSum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Act is an act of destruction as shown: its signed summary and the ids of
// the records it covers.
type Act struct {
	ID        string            `json:"id"`
	Kind      string            `json:"kind"`
	StartedAt time.Time         `json:"started_at"`
	SealedAt  *time.Time        `json:"sealed_at,omitempty"`
	Summary   json.RawMessage   `json:"summary,omitempty"`
	Signature []byte            `json:"signature,omitempty"`
	Valid     bool              `json:"signature_valid"`
	Records   []store.ActRecord `json:"records,omitempty"`
}

// Acts lists the newest acts of destruction.
func (v *Vault) Acts(ctx context.Context, limit int) ([]*Act, error) {
	var as []*store.Act
	if err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		as, err = r.ActList(ctx, limit)
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]*Act, len(as))
	for i, a := range as {
		out[i] = v.actView(a)
	}
	return out, nil
}

// ActByID returns an act with its records, and whether its signature holds.
func (v *Vault) ActByID(ctx context.Context, id string) (*Act, error) {
	var a *store.Act
	var recs []store.ActRecord
	err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		if a, err = r.ActGet(ctx, id); err != nil {
			return err
		}
		recs, err = r.ActRecords(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	out := v.actView(a)
	out.Records = recs
	return out, nil
}

func (v *Vault) actView(a *store.Act) *Act {
	out := &Act{ID: a.ID, Kind: a.Kind, StartedAt: a.StartedAt, SealedAt: a.SealedAt, Signature: a.Signature}
	if a.Summary != "" {
		out.Summary = json.RawMessage(a.Summary)
		out.Valid = ed25519.Verify(v.ring.JournalPublicKey(), []byte(a.Summary), a.Signature)
	}
	return out
}

// Upcoming lists what a sweep at until would destroy or depersonalise, and
// why; it reads no personal data.
func (v *Vault) Upcoming(ctx context.Context, until time.Time, limit int) ([]store.Due, error) {
	var out []store.Due
	err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		out, err = r.RecordsEndingBefore(ctx, until, limit)
		return err
	})
	return out, err
}

// StatsRows returns a purpose's depersonalised statistics rows (they name
// nobody), and journals their export.
func (v *Vault) StatsRows(ctx context.Context, a Actor, purpose string) ([]retention.Row, error) {
	if _, _, err := v.authorize(ctx, a, policy.CanAdmin, "", "", ""); err != nil {
		return nil, err
	}
	var rows []store.StatsRow
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if rows, err = tx.StatsByPurpose(ctx, purpose); err != nil {
			return err
		}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: actionStatsExport, Purpose: purpose, Outcome: journal.OK,
			Detail: detail(map[string]any{"role": a.Role, "rows": len(rows)})})
	})
	if err != nil {
		return nil, err
	}
	out := make([]retention.Row, 0, len(rows))
	for _, r := range rows {
		row := retention.Row{}
		if err := json.Unmarshal([]byte(r.Attributes), &row); err != nil {
			return nil, err
		}
		row["category"], row["collected_year"] = r.Category, fmt.Sprint(r.Year)
		out = append(out, row)
	}
	return out, nil
}

// ActPDF renders an act of destruction as a PDF in lang, titled from the
// active policy, with its signature checked against the journal key.
func (v *Vault) ActPDF(ctx context.Context, id, lang string) ([]byte, error) {
	a, err := v.ActByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.SealedAt == nil {
		return nil, problem(Conflict, "act-open", "", "the act is not sealed yet: its sweep is running or was cut short (the next sweep seals it)")
	}
	var s retention.ActSummary
	if err := json.Unmarshal(a.Summary, &s); err != nil {
		return nil, fmt.Errorf("vault: act %s: %w", id, err)
	}
	p := v.active.Load().Policy
	titles := func(kind, id string) policy.Text {
		switch kind {
		case "purpose":
			pu, _ := p.Purpose(id)
			return pu.Title
		case "category":
			for _, c := range p.SubjectCategories {
				if c.ID == id {
					return c.Title
				}
			}
		case "ground":
			g, _ := policy.LookupGround(id)
			return g.Title
		}
		return policy.Text{}
	}
	return s.PDF(retention.ActContext{Operator: p.Operator, Titles: titles, Signature: a.Signature, PublicKey: v.ring.JournalPublicKey(), Summary: a.Summary}, lang)
}

// JobRuns lists the newest runs of scheduled jobs.
func (v *Vault) JobRuns(ctx context.Context, limit int) ([]store.JobRun, error) {
	var out []store.JobRun
	err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		out, err = r.JobRuns(ctx, limit)
		return err
	})
	return out, err
}

// JobSchedules returns the shared state of the periodic jobs (package
// jobs): when each runs next, which node holds it, and its failures since
// its last success.
func (v *Vault) JobSchedules(ctx context.Context) ([]store.JobSchedule, error) {
	var out []store.JobSchedule
	err := v.store.Read(ctx, func(r *store.Reader) error {
		var err error
		out, err = r.JobSchedules(ctx)
		return err
	})
	return out, err
}
