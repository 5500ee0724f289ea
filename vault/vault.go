// Package vault keeps subjects and their records: it checks every operation
// against the active policy, encrypts on the way in, decrypts on the way
// out, and writes the journal entry of each action in the same transaction
// as the action.
package vault

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
	"github.com/google/uuid"
)

// Vault is the service over a store, a keyring and the active policy.
type Vault struct {
	store  *store.Store
	ring   *keys.Ring
	active atomic.Pointer[Active]
	cal    *calendar.Calendar
	det    detector
	alerts atomic.Pointer[Alerts]
	pusher Pusher
	now    func() time.Time
}

// Active is the policy in force and its activation number.
type Active struct {
	*policy.Policy
	Version int64
	SHA256  string
}

// Actor is who acts: an API key, a staff member or derbes itself.
type Actor struct {
	// ID is how the journal names the actor ("apikey:0f3a…", "cli").
	ID string
	// Role is a role of the policy.
	Role string
}

// System is derbes acting on its own (activation, rotation).
var System = Actor{ID: "derbes"}

// Open checks that ring is the keyring of this store and returns the vault.
// Call Activate before serving.
func Open(ctx context.Context, s *store.Store, ring *keys.Ring) (*Vault, error) {
	// A deadline that reaches a year without an official calendar file is
	// counted on the year the rules generate, and says it is unconfirmed.
	v := &Vault{store: s, ring: ring, cal: calendar.Default().Lenient(), now: now,
		det: detector{reads: map[string]*window{}, networks: map[string]bool{}, opened: map[string]bool{}}}
	err := s.Write(ctx, func(tx *store.Tx) error {
		checks, err := tx.MasterChecks(ctx)
		if err != nil {
			return err
		}
		for ver, c := range checks {
			if err := ring.Check(ver, c); err != nil {
				return fmt.Errorf("%w: master key %d %s", store.ErrWrongKeys, ver, strings.TrimPrefix(err.Error(), "keys: "))
			}
		}
		cur := ring.Current()
		if _, ok := checks[cur]; ok {
			return nil
		}
		c, err := ring.CheckValue(cur)
		if err != nil {
			return err
		}
		return tx.MasterInsert(ctx, cur, c, v.now())
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Policy returns the active policy, or nil before Activate.
func (v *Vault) Policy() *Active { return v.active.Load() }

// Activate makes a policy file the active policy. If it differs from the
// last activated one, the activation is recorded and journaled.
func (v *Vault) Activate(ctx context.Context, actor Actor, p *policy.Policy, src []byte) (*Active, error) {
	sum := sha256.Sum256(src)
	hexsum := hex.EncodeToString(sum[:])
	var a *Active
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		last, err := tx.PolicyActive(ctx)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if last != nil && last.SHA256 == hexsum {
			a = &Active{Policy: p, Version: last.Version, SHA256: hexsum}
			return nil
		}
		ver, err := tx.PolicyInsert(ctx, &store.PolicyVersion{Label: p.Version, SHA256: hexsum, Source: src, ActivatedAt: v.now(), ActivatedBy: actor.ID})
		if err != nil {
			return err
		}
		a = &Active{Policy: p, Version: ver, SHA256: hexsum}
		return tx.JournalAppend(ctx, &journal.Entry{Actor: actor.ID, Action: journal.PolicyActivate, Outcome: journal.OK,
			Detail: detail(map[string]any{"policy_version": ver, "label": p.Version, "sha256": hexsum})})
	})
	if err != nil {
		return nil, err
	}
	v.active.Store(a)
	return a, nil
}

// detail encodes journal details. Only ids, codes and counts go in here.
func detail(m map[string]any) string {
	b, err := json.Marshal(m)
	if err != nil {
		panic("vault: detail: " + err.Error())
	}
	return string(b)
}

// now is the clock, at the microsecond precision both stores keep, so that
// what a call returns equals what a later read returns.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// role returns the actor's role in the active policy and checks that it
// serves purpose and may take action; a refusal is journaled.
func (v *Vault) authorize(ctx context.Context, a Actor, action, purpose, subject, record string) (*Active, policy.Role, error) {
	act := v.active.Load()
	if act == nil {
		return nil, policy.Role{}, errors.New("vault: no active policy")
	}
	role, ok := act.Role(a.Role)
	var p *Problem
	switch {
	case !ok:
		p = problem(Denied, "unknown-role", "", "role %q is not in the active policy", a.Role)
	case purpose == "" && (action == policy.CanCollect || action == policy.CanRead || action == policy.CanLookup || action == policy.CanUpdate || action == policy.CanDestroy):
		// Every access to personal data declares its purpose; registers
		// (requests, transfers, the journal) are reached by duty alone.
		p = problem(Denied, "purpose-required", "", "declare the purpose of this access: the purpose field of the body, or for reads the X-Purpose header or purpose parameter")
	case purpose != "" && !role.Allows(purpose):
		if _, known := act.Purpose(purpose); !known {
			p = problem(Denied, "unknown-purpose", "", "purpose %q is not in the active policy", purpose)
		} else {
			p = problem(Denied, "purpose-not-allowed", "", "role %q does not serve purpose %q", a.Role, purpose)
		}
	case !role.May(action):
		p = problem(Denied, "action-not-allowed", "", "role %q may not %s", a.Role, action)
	}
	if p != nil {
		return nil, role, v.deny(ctx, a, actionName(action), purpose, subject, record, p)
	}
	return act, role, nil
}

func actionName(can string) string {
	switch can {
	case policy.CanCollect:
		return journal.RecordCreate
	case policy.CanLookup:
		return journal.SubjectLookup
	case policy.CanUpdate:
		return journal.RecordUpdate
	case policy.CanDestroy:
		return journal.SubjectDestroy
	case policy.CanRead:
		return journal.RecordRead
	}
	return can
}

// deny journals a refusal and returns p. If the refusal cannot be journaled
// the caller gets that error instead: derbes fails closed.
func (v *Vault) deny(ctx context.Context, a Actor, action, purpose, subject, record string, p *Problem) error {
	key, limit := v.denialRule(a)
	var count int64
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.JournalAppend(ctx, &journal.Entry{Actor: a.ID, Action: action, Purpose: purpose, Subject: subject, Record: record,
			Outcome: journal.Denied, Detail: detail(map[string]any{"role": a.Role, "reason": p.Code})}); err != nil {
			return err
		}
		if limit == 0 {
			return nil
		}
		// Counted in the refusal's transaction, in the store, so that the
		// nodes count together.
		var err error
		if count, err = tx.DetectionCount(ctx, key, v.now()); err != nil || count != 1 {
			return err
		}
		return tx.DetectionPrune(ctx, v.now().Add(-48*time.Hour)) // a new window: forget old ones
	})
	if err != nil {
		return fmt.Errorf("vault: journaling a refusal: %w", err)
	}
	v.observeDenial(a, key, count, limit)
	return p
}

// validID reports whether id has the shape derbes gives ids, so that junk
// never reaches the database or the journal.
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

func fieldList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
