package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Staff is a staff member's account.
type Staff struct {
	Login        string
	Name         string
	Role         string
	PasswordHash string
	TOTP         []byte
	CreatedAt    time.Time
	DisabledAt   *time.Time
	Failures     int
	LockedUntil  time.Time
	LastLoginAt  *time.Time
}

// StaffInsert adds an account; ErrConflict if the login is taken.
func (t *Tx) StaffInsert(ctx context.Context, s *Staff) error {
	_, err := t.exec(ctx, "StaffInsert", s.Login, s.Name, s.Role, s.PasswordHash, s.TOTP, micros(s.CreatedAt))
	return err
}

func scanStaff(sc interface{ Scan(...any) error }) (*Staff, error) {
	var s Staff
	var created, locked int64
	var disabled, last sql.NullInt64
	if err := sc.Scan(&s.Login, &s.Name, &s.Role, &s.PasswordHash, &s.TOTP, &created, &disabled, &s.Failures, &locked, &last); err != nil {
		return nil, err
	}
	s.CreatedAt, s.DisabledAt, s.LockedUntil, s.LastLoginAt = fromMicros(created), nullMicros(disabled), fromMicros(locked), nullMicros(last)
	return &s, nil
}

// StaffGet returns an account, or ErrNotFound.
func (t *Tx) StaffGet(ctx context.Context, login string) (*Staff, error) {
	s, err := scanStaff(t.db.QueryRowContext(ctx, t.s.sql("StaffGet"), login))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: StaffGet: %w", err)
	}
	return s, nil
}

// StaffList returns every account (without TOTP secrets).
func (q q) StaffList(ctx context.Context) ([]*Staff, error) {
	rows, err := q.db.QueryContext(ctx, q.s.sql("StaffList"))
	if err != nil {
		return nil, fmt.Errorf("store: StaffList: %w", err)
	}
	defer rows.Close()
	var out []*Staff
	for rows.Next() {
		s, err := scanStaff(rows)
		if err != nil {
			return nil, fmt.Errorf("store: StaffList: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// StaffLoginFailed counts a failed login and locks the account until until.
func (t *Tx) StaffLoginFailed(ctx context.Context, login string, until time.Time) error {
	_, err := t.exec(ctx, "StaffLoginFailed", micros(until), login)
	return err
}

// StaffLoginOK resets the failures after a successful login.
func (t *Tx) StaffLoginOK(ctx context.Context, login string, at time.Time) error {
	_, err := t.exec(ctx, "StaffLoginOK", micros(at), login)
	return err
}

// StaffDisable disables an account and ends its sessions.
func (t *Tx) StaffDisable(ctx context.Context, login string, at time.Time) error {
	if err := t.execOne(ctx, "StaffDisable", micros(at), login); err != nil {
		return err
	}
	if _, err := t.exec(ctx, "SessionsRevoke", micros(at), login); err != nil {
		return err
	}
	return t.RevocationBump(ctx)
}

// Session is a signed-in staff member's session.
type Session struct {
	ID         string
	Login      string
	SecretHash []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	Role       string
	DisabledAt *time.Time
}

// SessionInsert starts a session.
func (t *Tx) SessionInsert(ctx context.Context, s *Session) error {
	_, err := t.exec(ctx, "SessionInsert", s.ID, s.Login, s.SecretHash, micros(s.CreatedAt), micros(s.ExpiresAt))
	return err
}

// SessionGet returns a session with its account's role, or ErrNotFound.
func (q q) SessionGet(ctx context.Context, id string) (*Session, error) {
	var s Session
	var expires int64
	var revoked, disabled sql.NullInt64
	if err := q.row(ctx, "SessionGet", []any{id}, &s.ID, &s.Login, &s.SecretHash, &expires, &revoked, &s.Role, &disabled); err != nil {
		return nil, err
	}
	s.ExpiresAt, s.RevokedAt, s.DisabledAt = fromMicros(expires), nullMicros(revoked), nullMicros(disabled)
	return &s, nil
}
