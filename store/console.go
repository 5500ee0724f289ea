package store

import (
	"context"
	"time"
)

// StaffLang returns the console language an account chose ("" if none);
// ErrNotFound for no such account.
func (q q) StaffLang(ctx context.Context, login string) (string, error) {
	var lang string
	if err := q.row(ctx, "StaffLangGet", []any{login}, &lang); err != nil {
		return "", err
	}
	return lang, nil
}

// StaffLangSet remembers an account's console language; ErrNotFound for
// no such account.
func (t *Tx) StaffLangSet(ctx context.Context, login, lang string) error {
	return t.execOne(ctx, "StaffLangSet", lang, login)
}

// SessionEnd ends one session (a sign-out); ending an ended session is not
// an error.
func (t *Tx) SessionEnd(ctx context.Context, id string, at time.Time) error {
	_, err := t.exec(ctx, "SessionEnd", micros(at), id)
	return err
}
