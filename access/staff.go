package access

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/store"
)

// Errors of staff sign-in. ErrLogin does not say whether the login, the
// password or the code was wrong.
var (
	ErrLogin  = errors.New("access: wrong login, password or code")
	ErrLocked = errors.New("access: too many failed attempts; the account is locked for a while")
)

// Lockout policy: after MaxFailures failed sign-ins an account is locked
// for LockFor, on every node (the count is in the store).
const (
	MaxFailures = 5
	LockFor     = 15 * time.Minute
	// SessionFor is how long a session lasts.
	SessionFor = 8 * time.Hour
)

// Argon2 are the argon2id parameters of new password hashes (each hash
// keeps its own, so they can be raised later).
type Argon2 struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultArgon2 costs about 0.1-0.3 s on this kind of machine.
var DefaultArgon2 = Argon2{Time: 1, Memory: 64 * 1024, Threads: 2}

// Staff manages staff accounts and their sessions.
type Staff struct {
	store  *store.Store
	ring   *keys.Ring
	params Argon2
	now    func() time.Time
	// hashing bounds concurrent argon2 work: a flood of sign-ins must not
	// exhaust memory.
	hashing chan struct{}
}

// NewStaff returns the staff service; params nil means DefaultArgon2.
func NewStaff(s *store.Store, ring *keys.Ring, params *Argon2) *Staff {
	p := DefaultArgon2
	if params != nil {
		p = *params
	}
	return &Staff{store: s, ring: ring, params: p, now: time.Now, hashing: make(chan struct{}, 2)}
}

func (s *Staff) hash(password string, salt []byte, p Argon2) []byte {
	s.hashing <- struct{}{}
	defer func() { <-s.hashing }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
}

// encode gives the PHC string form: $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func encode(p Argon2, salt, sum []byte) string {
	b := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads, b.EncodeToString(salt), b.EncodeToString(sum))
}

func decode(h string) (Argon2, []byte, []byte, error) {
	parts := strings.Split(h, "$")
	var p Argon2
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("access: malformed password hash")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errors.New("access: malformed password hash")
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	sum, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return p, nil, nil, errors.New("access: malformed password hash")
	}
	return p, salt, sum, nil
}

// NewAccount is a staff account to create.
type NewAccount struct {
	Login    string
	Name     string
	Role     string
	Password string
	// TOTP enables the second factor; the secret is returned once.
	TOTP bool
}

// Created is what creating an account returns, once.
type Created struct {
	Login string `json:"login"`
	// TOTPSecret (base32) and TOTPURL (otpauth://) set up the
	// authenticator app.
	TOTPSecret string `json:"totp_secret,omitempty"`
	TOTPURL    string `json:"totp_url,omitempty"`
}

// Create adds a staff account bound to a role (the caller checks the role
// exists in the policy).
func (s *Staff) Create(ctx context.Context, actor string, n NewAccount) (*Created, error) {
	if len(n.Login) < 2 || len(n.Login) > 64 || strings.Trim(n.Login, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != "" {
		return nil, errors.New("access: a login is 2-64 lower-case letters, digits, '.', '-' or '_'")
	}
	if len(n.Password) < 12 {
		return nil, errors.New("access: a password has at least 12 characters")
	}
	salt := random(16)
	acc := &store.Staff{Login: n.Login, Name: n.Name, Role: n.Role, PasswordHash: encode(s.params, salt, s.hash(n.Password, salt, s.params)), CreatedAt: s.now()}
	out := &Created{Login: n.Login}
	var wrapped []byte
	if n.TOTP {
		secret := random(20)
		out.TOTPSecret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
		out.TOTPURL = "otpauth://totp/derbes:" + url.PathEscape(n.Login) + "?secret=" + out.TOTPSecret + "&issuer=derbes"
		var dk keys.DataKey
		var err error
		if dk, wrapped, err = s.ring.NewDataKey("staff:" + n.Login); err != nil {
			return nil, err
		}
		acc.TOTP = keys.Seal(dk, []byte("derbes totp\x00"+n.Login), secret)
	}
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		if wrapped != nil {
			if err := tx.DataKeyInsert(ctx, "staff:"+n.Login, keys.WrappedVersion(wrapped), wrapped); err != nil {
				return err
			}
		}
		if err := tx.StaffInsert(ctx, acc); err != nil {
			return err
		}
		d, _ := json.Marshal(map[string]any{"login": n.Login, "role": n.Role, "totp": n.TOTP})
		return tx.JournalAppend(ctx, &journal.Entry{Actor: actor, Action: "staff.create", Outcome: journal.OK, Detail: string(d)})
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("access: login %q is taken", n.Login)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	return b
}

// Login checks a password (and the TOTP code when the account has one) and
// starts a session; every attempt is journaled, failures count towards a
// lockout.
func (s *Staff) Login(ctx context.Context, login, password, code string) (string, error) {
	now := s.now()
	var acc *store.Staff
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		acc, err = tx.StaffGet(ctx, login)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same time as a real check, so logins cannot be probed.
		s.hash(password, random(16), s.params)
		// The refusal is journaled, but not the name tried: it may be a
		// mistyped password or someone's personal data.
		if err := s.refused(ctx, "staff:unknown", map[string]any{"reason": "unknown-login"}); err != nil {
			return "", err
		}
		return "", ErrLogin
	}
	if err != nil {
		return "", err
	}
	fail := func(reason string, lock bool) error {
		until := acc.LockedUntil
		if lock || acc.Failures+1 >= MaxFailures {
			until = now.Add(LockFor)
		}
		return s.store.Write(ctx, func(tx *store.Tx) error {
			if err := tx.StaffLoginFailed(ctx, login, until); err != nil {
				return err
			}
			d, _ := json.Marshal(map[string]any{"login": login, "reason": reason, "failures": acc.Failures + 1})
			return tx.JournalAppend(ctx, &journal.Entry{Actor: "staff:" + login, Action: "staff.login", Outcome: journal.Denied, Detail: string(d)})
		})
	}
	if acc.DisabledAt != nil {
		if err := s.refused(ctx, "staff:"+login, map[string]any{"login": login, "reason": "disabled"}); err != nil {
			return "", err
		}
		return "", ErrLogin
	}
	if now.Before(acc.LockedUntil) {
		if err := s.refused(ctx, "staff:"+login, map[string]any{"login": login, "reason": "locked"}); err != nil {
			return "", err
		}
		return "", ErrLocked
	}
	p, salt, sum, err := decode(acc.PasswordHash)
	if err != nil {
		return "", err
	}
	if subtle.ConstantTimeCompare(s.hash(password, salt, p), sum) != 1 {
		if err := fail("password", false); err != nil {
			return "", err
		}
		return "", ErrLogin
	}
	var step int64
	if acc.TOTP != nil {
		var secret []byte
		var ok bool
		err := s.store.Write(ctx, func(tx *store.Tx) error {
			w, err := tx.DataKeyGet(ctx, "staff:"+login)
			if err != nil {
				return err
			}
			dk, err := s.ring.Unwrap("staff:"+login, w)
			if err != nil {
				return err
			}
			secret, err = keys.Open(dk, []byte("derbes totp\x00"+login), acc.TOTP)
			return err
		})
		if err != nil {
			return "", err
		}
		if step, ok = totpValid(secret, code, now); !ok {
			if err := fail("totp", false); err != nil {
				return "", err
			}
			return "", ErrLogin
		}
	}
	id, sec := hex.EncodeToString(random(6)), base64.RawURLEncoding.EncodeToString(random(32))
	h := sha256.Sum256([]byte(sec))
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if acc.TOTP != nil {
			// A code works once: one seen over a shoulder or replayed from
			// a captured request is refused, on every node.
			fresh, err := tx.StaffTOTPStepUse(ctx, login, step)
			if err != nil {
				return err
			}
			if !fresh {
				return errReplayed
			}
		}
		if err := tx.StaffLoginOK(ctx, login, now); err != nil {
			return err
		}
		if err := tx.SessionInsert(ctx, &store.Session{ID: id, Login: login, SecretHash: h[:], CreatedAt: now, ExpiresAt: now.Add(SessionFor)}); err != nil {
			return err
		}
		d, _ := json.Marshal(map[string]any{"login": login, "session": id})
		return tx.JournalAppend(ctx, &journal.Entry{Actor: "staff:" + login, Action: "staff.login", Outcome: journal.OK, Detail: string(d)})
	})
	if errors.Is(err, errReplayed) {
		if err := fail("totp-replayed", false); err != nil {
			return "", err
		}
		return "", ErrLogin
	}
	if err != nil {
		return "", err
	}
	return "dss_" + id + "_" + sec, nil
}

// SignInExternal starts a session for an account whose owner a trusted
// identity provider (OpenID Connect) has signed in: no password or code
// here, the provider checked them. The account must exist in derbes, with
// its role, and not be disabled; method names the provider in the
// journal. A refusal is journaled like a failed sign-in, and answered
// ErrLogin.
func (s *Staff) SignInExternal(ctx context.Context, login, method string) (string, error) {
	var acc *store.Staff
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		acc, err = tx.StaffGet(ctx, login)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		if err := s.refused(ctx, "staff:unknown", map[string]any{"reason": "unknown-login", "method": method}); err != nil {
			return "", err
		}
		return "", ErrLogin
	}
	if err != nil {
		return "", err
	}
	if acc.DisabledAt != nil {
		if err := s.refused(ctx, "staff:"+login, map[string]any{"login": login, "reason": "disabled", "method": method}); err != nil {
			return "", err
		}
		return "", ErrLogin
	}
	now := s.now()
	id, sec := hex.EncodeToString(random(6)), base64.RawURLEncoding.EncodeToString(random(32))
	h := sha256.Sum256([]byte(sec))
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.StaffLoginOK(ctx, login, now); err != nil {
			return err
		}
		if err := tx.SessionInsert(ctx, &store.Session{ID: id, Login: login, SecretHash: h[:], CreatedAt: now, ExpiresAt: now.Add(SessionFor)}); err != nil {
			return err
		}
		d, _ := json.Marshal(map[string]any{"login": login, "session": id, "method": method})
		return tx.JournalAppend(ctx, &journal.Entry{Actor: "staff:" + login, Action: "staff.login", Outcome: journal.OK, Detail: string(d)})
	})
	if err != nil {
		return "", err
	}
	return "dss_" + id + "_" + sec, nil
}

// errReplayed is a TOTP code used a second time.
var errReplayed = errors.New("access: TOTP code already used")

// refused journals a refused sign-in that counts towards no account.
func (s *Staff) refused(ctx context.Context, actor string, detail map[string]any) error {
	d, _ := json.Marshal(detail)
	return s.store.Write(ctx, func(tx *store.Tx) error {
		return tx.JournalAppend(ctx, &journal.Entry{Actor: actor, Action: "staff.login", Outcome: journal.Denied, Detail: string(d)})
	})
}

// Logout ends the session of token at once; ErrBadKey if the token is not
// a live session.
func (s *Staff) Logout(ctx context.Context, token string) error {
	p, err := s.AuthenticateSession(ctx, token)
	if err != nil {
		return err
	}
	id := token[4:16]
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SessionRevoke(ctx, id, s.now()); err != nil {
			return err
		}
		d, _ := json.Marshal(map[string]any{"login": strings.TrimPrefix(p.ID, "staff:"), "session": id})
		return tx.JournalAppend(ctx, &journal.Entry{Actor: p.ID, Action: "staff.logout", Outcome: journal.OK, Detail: string(d)})
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrBadKey // ended by a concurrent sign-out
	}
	return err
}

// AuthenticateSession checks a session token.
func (s *Staff) AuthenticateSession(ctx context.Context, token string) (Principal, error) {
	rest, ok := strings.CutPrefix(token, "dss_")
	if !ok || len(rest) != 12+1+43 || rest[12] != '_' {
		return Principal{}, ErrBadKey
	}
	id, sec := rest[:12], rest[13:]
	h := sha256.Sum256([]byte(sec))
	var sess *store.Session
	err := s.store.Read(ctx, func(r *store.Reader) error {
		var err error
		sess, err = r.SessionGet(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrBadKey
	}
	if err != nil {
		return Principal{}, err
	}
	if subtle.ConstantTimeCompare(sess.SecretHash, h[:]) != 1 || sess.RevokedAt != nil || sess.DisabledAt != nil || !s.now().Before(sess.ExpiresAt) {
		return Principal{}, ErrBadKey
	}
	return Principal{ID: "staff:" + sess.Login, Role: sess.Role}, nil
}

// Disable disables an account; its sessions end at once.
func (s *Staff) Disable(ctx context.Context, actor, login string) error {
	return s.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.StaffDisable(ctx, login, s.now()); err != nil {
			return err
		}
		d, _ := json.Marshal(map[string]any{"login": login})
		return tx.JournalAppend(ctx, &journal.Entry{Actor: actor, Action: "staff.disable", Outcome: journal.OK, Detail: string(d)})
	})
}

// TOTP returns the RFC 6238 code (SHA-1, 30 s, 6 digits) of secret at t.
func TOTP(secret []byte, t time.Time) string {
	m := hmac.New(sha1.New, secret)
	binary.Write(m, binary.BigEndian, uint64(t.Unix()/30))
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", n%1000000)
}

// totpValid accepts the code of the current step or the one before or
// after (clocks drift), and returns the step it matched.
func totpValid(secret []byte, code string, now time.Time) (int64, bool) {
	var step int64
	ok := 0
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		t := now.Add(d)
		if subtle.ConstantTimeCompare([]byte(TOTP(secret, t)), []byte(code)) == 1 {
			ok, step = 1, t.Unix()/30
		}
	}
	return step, ok == 1 && len(code) == 6
}
