package store

import (
	"context"
	"time"
)

// RevocationGeneration returns the revocation counter: every revocation
// bumps it, so a node that cached keys sees with one cheap read that its
// cache may hold a revoked one.
func (q q) RevocationGeneration(ctx context.Context) (int64, error) {
	var g int64
	err := q.row(ctx, "RevocationGeneration", nil, &g)
	return g, err
}

// RevocationBump moves the revocation counter, in the revoking
// transaction.
func (t *Tx) RevocationBump(ctx context.Context) error {
	return t.execOne(ctx, "RevocationBump")
}

// StaffTOTPStepUse takes a TOTP time step for an account; it reports
// false when that step or a later one was already used (a replayed code).
func (t *Tx) StaffTOTPStepUse(ctx context.Context, login string, step int64) (bool, error) {
	res, err := t.exec(ctx, "StaffTOTPStepUse", step, login, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SessionRevoke ends one session (sign-out); ErrNotFound if it was already
// ended or never existed.
func (t *Tx) SessionRevoke(ctx context.Context, id string, at time.Time) error {
	if err := t.execOne(ctx, "SessionRevoke", micros(at), id); err != nil {
		return err
	}
	return t.RevocationBump(ctx)
}

// DetectionCount adds one to a detection rule's counter and returns the
// new count; every node counts in the same row.
func (t *Tx) DetectionCount(ctx context.Context, key string, at time.Time) (int64, error) {
	var n int64
	err := t.row(ctx, "DetectionCount", []any{key, micros(at)}, &n)
	return n, err
}

// DetectionPrune forgets counters started before before.
func (t *Tx) DetectionPrune(ctx context.Context, before time.Time) error {
	_, err := t.exec(ctx, "DetectionPrune", micros(before))
	return err
}

// KeyNetworkAdd remembers that an API key was used from a network; it
// reports whether the network is new for the key, and how many networks
// the key has now.
func (t *Tx) KeyNetworkAdd(ctx context.Context, keyID, network string, at time.Time) (bool, int64, error) {
	res, err := t.exec(ctx, "KeyNetworkAdd", keyID, network, micros(at))
	if err != nil {
		return false, 0, err
	}
	added, err := res.RowsAffected()
	if err != nil {
		return false, 0, err
	}
	var n int64
	if err := t.row(ctx, "KeyNetworkCount", []any{keyID}, &n); err != nil {
		return false, 0, err
	}
	return added == 1, n, nil
}

// DetectionSubjectAdd adds a subject to a detection window's set; it
// reports whether the subject is new to the set on every node.
func (t *Tx) DetectionSubjectAdd(ctx context.Context, key, subject string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, "DetectionSubjectAdd", key, subject, micros(at))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DetectionSubjectsPrune forgets the sets of windows started before
// before.
func (t *Tx) DetectionSubjectsPrune(ctx context.Context, before time.Time) error {
	_, err := t.exec(ctx, "DetectionSubjectsPrune", micros(before))
	return err
}
