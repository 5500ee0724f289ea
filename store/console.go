package store

import (
	"context"
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
