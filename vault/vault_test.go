package vault_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/keys"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/store/storetest"
	"github.com/derbes/derbes/vault"
)

// Known values the tests store and then look for where they must not be.
const (
	iin     = "950312405675"
	phone   = "+77011234567"
	email   = "aigerim.test@example.kz"
	name    = "Айгерім Тестқызы"
	address = "Астана, Сарыарқа ауданы, 7-үй"
	text    = "Подъездегі жарық үш күн бойы жоқ"
)

var app = vault.Actor{ID: "apikey:test", Role: "app"}

type bundle struct {
	env   *storetest.Env
	vault *vault.Vault
	pol   *policy.Policy
}

func setup(t *testing.T, dialect string) *bundle {
	t.Helper()
	env := storetest.Open(t, dialect)
	return open(t, env)
}

func open(t *testing.T, env *storetest.Env) *bundle { return openTB(t, env) }

func openTB(t testing.TB, env *storetest.Env) *bundle {
	t.Helper()
	ctx := context.Background()
	src, err := os.ReadFile("../policy/testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("minimal.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(ctx, env.Store, env.Ring)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Activate(ctx, vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	return &bundle{env: env, vault: v, pol: p}
}

// each runs a test on every store.
func each(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, d))
		})
	}
}

// appealConsent is the consent a resident gives on the appeals page.
func appealConsent() *consent.Request {
	return &consent.Request{
		SubjectName: name, Purposes: []string{"appeals"},
		Fields: []string{"iin", "full_name", "phone", "email", "address", "appeal_text"},
		Form:   consent.Form{Kind: consent.FormWebsite, Page: "https://example.kz/appeal", ClientIP: "203.0.113.7"},
	}
}

func newAppeal() vault.NewSubject {
	return vault.NewSubject{
		Category: "applicant", Purpose: "appeals", Consent: appealConsent(),
		Identifiers: map[string]string{"iin": iin, "phone": "8 (701) 123-45-67", "email": email},
		Record: &vault.NewRecord{Channel: "call", Fields: map[string]string{
			"full_name": name, "address": address, "appeal_text": text,
		}},
	}
}

func code(err error) string {
	if p, ok := vault.AsProblem(err); ok {
		return p.Code
	}
	if err == nil {
		return "<nil>"
	}
	return "error: " + err.Error()
}

func journalOf(t *testing.T, b *bundle) []*journal.Entry {
	t.Helper()
	var out []*journal.Entry
	err := b.env.Store.Read(context.Background(), func(r *store.Reader) error {
		for e, err := range r.JournalAll(context.Background()) {
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestASubjectIsStoredFoundAndReadForItsPurpose(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		for kind, value := range map[string]string{"iin": iin, "phone": "+7 701 123 45 67", "email": email} {
			ids, err := b.vault.Lookup(ctx, app, "appeals", kind, value)
			if err != nil || len(ids) != 1 || ids[0] != sid {
				t.Fatalf("lookup by %s = %v, %v; want [%s]", kind, ids, err, sid)
			}
		}
		r, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Fields["full_name"] != name || r.Fields["appeal_text"] != text || r.Ground != "consent" {
			t.Fatalf("record read back as %+v", r)
		}
		s, err := b.vault.GetSubject(ctx, app, sid, "appeals")
		if err != nil {
			t.Fatal(err)
		}
		if s.Identifiers["phone"] != phone || s.Identifiers["iin"] != iin || len(s.Records) != 1 {
			t.Fatalf("subject read back as %+v", s)
		}
		var actions []string
		for _, e := range journalOf(t, b) {
			actions = append(actions, e.Action)
		}
		want := "policy.activate subject.create consent.give record.create subject.lookup subject.lookup subject.lookup record.read subject.read"
		if got := strings.Join(actions, " "); got != want {
			t.Fatalf("journal holds\n  %s\nwant\n  %s", got, want)
		}
	})
}

func TestAnalystSeesOnlyItsFieldsAndPurpose(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		_, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		analyst := vault.Actor{ID: "apikey:analyst", Role: "analyst"}
		_, err = b.vault.GetRecord(ctx, analyst, rid, "appeals", nil)
		if code(err) != "purpose-not-allowed" {
			t.Fatalf("analyst reading for appeals: %v", code(err))
		}
		_, err = b.vault.GetRecord(ctx, analyst, rid, "stats", nil)
		if code(err) != "purpose-mismatch" {
			t.Fatalf("reading an appeals record for stats: %v", code(err))
		}
		_, err = b.vault.GetRecord(ctx, app, rid, "appeals", []string{"health"})
		if code(err) != "field-not-visible" {
			t.Fatalf("asking for a field the role does not see: %v", code(err))
		}
		denied := 0
		for _, e := range journalOf(t, b) {
			if e.Outcome == journal.Denied {
				denied++
				if e.Actor == "" || e.Detail == "" {
					t.Fatalf("denial without actor or reason: %+v", e)
				}
			}
		}
		if denied != 3 {
			t.Fatalf("%d denials journaled, want 3", denied)
		}
	})
}

func TestBadInputIsRefusedAndNothingIsStored(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		for _, tc := range []struct {
			name  string
			edit  func(*vault.NewSubject)
			code  string
			field string
		}{
			{"an invalid IIN", func(s *vault.NewSubject) { s.Identifiers["iin"] = "950312405676" }, "invalid-iin", "iin"},
			{"a field outside the purpose", func(s *vault.NewSubject) { s.Record.Fields["birth_date"] = "1995-03-12" }, "field-not-allowed", "birth_date"},
			{"a field of a forbidden category", func(s *vault.NewSubject) { s.Record.Fields["health"] = "diabetes" }, "forbidden-category", "health"},
			{"a field the policy does not know", func(s *vault.NewSubject) { s.Record.Fields["religion"] = "x" }, "unknown-field", "religion"},
			{"a bad phone", func(s *vault.NewSubject) { s.Identifiers["phone"] = "12345" }, "invalid-phone", "phone"},
			{"an unknown channel", func(s *vault.NewSubject) { s.Record.Channel = "pigeon" }, "unknown-channel", "channel"},
			{"a ground the purpose does not rest on", func(s *vault.NewSubject) { s.Record.Ground = "journalism" }, "ground-not-allowed", "ground"},
			{"an unknown category", func(s *vault.NewSubject) { s.Category = "alien" }, "unknown-category", "category"},
			{"no identifier", func(s *vault.NewSubject) { s.Identifiers = nil }, "identifier-required", "identifiers"},
		} {
			ns := newAppeal()
			tc.edit(&ns)
			_, _, err := split(b.vault.CreateSubject(ctx, app, ns))
			p, ok := vault.AsProblem(err)
			if !ok || p.Code != tc.code || p.Field != tc.field {
				t.Errorf("%s: got %v (field %q), want %s naming %q", tc.name, code(err), fieldOf(p), tc.code, tc.field)
			}
			if p != nil && (strings.Contains(p.Message, "950312405676") || strings.Contains(p.Message, "diabetes")) {
				t.Errorf("%s: the error repeats the value: %s", tc.name, p.Message)
			}
		}
		ids, err := b.vault.Lookup(ctx, app, "appeals", "email", email)
		if err != nil || len(ids) != 0 {
			t.Fatalf("a refused subject was stored: %v, %v", ids, err)
		}
		for _, e := range journalOf(t, b) {
			if e.Outcome == journal.OK && (e.Action == journal.SubjectCreate || e.Action == journal.RecordCreate) {
				t.Fatalf("a refused create left a journal entry: %+v", e)
			}
		}
	})
}

func fieldOf(p *vault.Problem) string {
	if p == nil {
		return ""
	}
	return p.Field
}

func TestTheSameIINIsOnePerson(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if _, _, err := split(b.vault.CreateSubject(ctx, app, newAppeal())); err != nil {
			t.Fatal(err)
		}
		ns := newAppeal()
		ns.Identifiers["email"] = "other@example.kz"
		if _, _, err := split(b.vault.CreateSubject(ctx, app, ns)); code(err) != "subject-exists" {
			t.Fatalf("second subject with the same IIN: %v", code(err))
		}
		if ids, _ := b.vault.Lookup(ctx, app, "appeals", "email", "other@example.kz"); len(ids) != 0 {
			t.Fatal("the refused subject's e-mail was indexed")
		}
	})
}

func TestConcurrentWritesCommitTogetherAndFailAlone(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		const n = 64
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ns := newAppeal()
				ns.Identifiers = map[string]string{"email": "p" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.kz"}
				if i%8 == 0 {
					ns.Identifiers = map[string]string{"iin": iin} // all but one of these must fail
				}
				_, _, errs[i] = split(b.vault.CreateSubject(ctx, app, ns))
			}()
		}
		wg.Wait()
		ok, dup := 0, 0
		for _, err := range errs {
			switch code(err) {
			case "<nil>":
				ok++
			case "subject-exists":
				dup++
			default:
				t.Fatalf("unexpected: %v", err)
			}
		}
		if ok != n-7 || dup != 7 {
			t.Fatalf("%d created, %d duplicates; want %d and 7", ok, dup, n-7)
		}
		creates := 0
		for _, e := range journalOf(t, b) {
			if e.Action == journal.SubjectCreate {
				creates++
			}
		}
		if creates != ok {
			t.Fatalf("%d subject.create entries for %d subjects", creates, ok)
		}
		if res, err := b.vault.VerifyJournal(ctx); err != nil || !res.OK() {
			t.Fatalf("journal after concurrent writes: %v %v", res, err)
		}
	})
}

func TestUpdateReplacesValuesAndChecksThem(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		_, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		newText := "Жарық қосылды"
		r, err := b.vault.UpdateRecord(ctx, app, rid, "appeals", map[string]*string{"appeal_text": &newText, "address": nil})
		if err != nil {
			t.Fatal(err)
		}
		if r.Fields["appeal_text"] != newText || r.Fields["address"] != "" || r.Fields["full_name"] != name {
			t.Fatalf("after update: %+v", r.Fields)
		}
		bad := "not-an-iin"
		if _, err := b.vault.UpdateRecord(ctx, app, rid, "appeals", map[string]*string{"health": &bad}); code(err) != "field-not-visible" {
			t.Fatalf("update of a field the role does not see: %v", code(err))
		}
		if _, err := b.vault.UpdateRecord(ctx, app, rid, "appeals", map[string]*string{"iin": &bad}); code(err) != "invalid-iin" {
			t.Fatalf("update with an invalid IIN: %v", code(err))
		}
		again, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil)
		if err != nil || again.Fields["appeal_text"] != newText {
			t.Fatalf("re-read after a refused update: %+v %v", again, err)
		}
	})
}

func TestDestroyedDataIsGoneForGood(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		// Keep what an attacker with the database would have kept.
		var wrapped, fields []byte
		b.env.Raw.QueryRow(b.env.Q("SELECT fields FROM records WHERE id = ?"), rid).Scan(&fields)
		err = b.env.Store.Write(ctx, func(tx *store.Tx) error {
			var err error
			wrapped, err = tx.DataKeyGet(ctx, sid)
			return err
		})
		if err != nil || len(wrapped) == 0 || len(fields) == 0 {
			t.Fatalf("could not read the stored key and ciphertext: %v", err)
		}

		if err := b.vault.DestroySubject(ctx, app, sid, "appeals", "subject-request"); err != nil {
			t.Fatal(err)
		}
		if ids, err := b.vault.Lookup(ctx, app, "appeals", "iin", iin); err != nil || len(ids) != 0 {
			t.Fatalf("lookup after destruction: %v %v", ids, err)
		}
		if _, err := b.vault.GetRecord(ctx, app, rid, "appeals", nil); code(err) != "destroyed" {
			t.Fatalf("read after destruction: %v", code(err))
		}
		var left []byte
		b.env.Raw.QueryRow(b.env.Q("SELECT fields FROM records WHERE id = ?"), rid).Scan(&left)
		if left != nil {
			t.Fatal("the ciphertext is still in the record")
		}
		err = b.env.Store.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.DataKeyGet(ctx, sid)
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the data key is still in the key store: %v", err)
		}
		err = b.env.Store.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.DataKeyGet(ctx, rid)
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the record's key is still in the key store: %v", err)
		}
		// Even the copy of the wrapped key opens only to a key that no
		// longer matters once it is gone from the key store; without that
		// copy nothing opens: a fresh data key, as anyone could try, fails.
		other, _, _ := b.env.Ring.NewDataKey(sid)
		if _, err := keys.Open(other, []byte("derbes field\x00"+rid+"\x00full_name"), fields); err == nil {
			t.Fatal("a ciphertext opened without its key")
		}
		var destroyed bool
		for _, e := range journalOf(t, b) {
			if e.Action == journal.SubjectDestroy && e.Subject == sid && strings.Contains(e.Detail, "subject-request") {
				destroyed = true
			}
		}
		if !destroyed {
			t.Fatal("the journal does not show the destruction")
		}
		if s, err := b.vault.GetSubject(ctx, app, sid, "appeals"); err != nil || s.State != "destroyed" || s.Identifiers != nil {
			t.Fatalf("the subject after destruction: %+v %v", s, err)
		}
	})
}

func TestACiphertextMovedToAnotherRecordDoesNotOpen(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sid, r1, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
		if err != nil {
			t.Fatal(err)
		}
		r2, err := b.vault.AddRecord(ctx, app, sid, vault.NewRecord{Purpose: "appeals", Channel: "call", Fields: map[string]string{"appeal_text": "second"}})
		if err != nil {
			t.Fatal(err)
		}
		b.env.Exec(t, "UPDATE records SET fields = (SELECT fields FROM records WHERE id = ?), field_names = (SELECT field_names FROM records WHERE id = ?) WHERE id = ?", r1, r1, r2)
		if _, err := b.vault.GetRecord(ctx, app, r2, "appeals", nil); !errors.Is(err, keys.ErrOpen) {
			t.Fatalf("a moved ciphertext was read: %v", err)
		}
		if r, err := b.vault.GetRecord(ctx, app, r1, "appeals", nil); err != nil || r.Fields["full_name"] != name {
			t.Fatalf("the original still reads: %v", err)
		}
	})
}

func TestAWrongKeyringDoesNotOpenTheData(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setup(t, d)
			if _, _, err := split(b.vault.CreateSubject(context.Background(), app, newAppeal())); err != nil {
				t.Fatal(err)
			}
			b.env.Store.Close()
			other, _ := keys.Generate()
			cfg := b.env.Config
			cfg.Signer = other.JournalKey()
			s, err := store.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := vault.Open(context.Background(), s, other); !errors.Is(err, store.ErrWrongKeys) {
				t.Fatalf("opening with another keyring: %v", err)
			}
		})
	}
}

func TestNoPlaintextAtRest(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		for range 3 {
			ns := newAppeal()
			if _, _, err := split(b.vault.CreateSubject(ctx, app, ns)); err != nil && code(err) != "subject-exists" {
				t.Fatal(err)
			}
		}
		c, err := b.vault.CreateSubject(ctx, app, vault.NewSubject{Category: "applicant", Purpose: "appeals", Consent: appealConsent(),
			Identifiers: map[string]string{"email": "second@example.kz"}, Record: &vault.NewRecord{Channel: "call", Fields: map[string]string{"full_name": name, "address": address}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.vault.GetRecord(ctx, app, c.Record, "appeals", nil); err != nil {
			t.Fatal(err)
		}
		b.vault.Lookup(ctx, app, "appeals", "iin", iin)
		secrets := []string{iin, phone, "7011234567", email, name, address, text, "Айгерім", "Тестқызы", "203.0.113.7", "example.kz/appeal"}
		for _, s := range secrets {
			for _, hay := range dump(t, b) {
				if bytes.Contains(hay.data, []byte(s)) {
					t.Errorf("%q found in %s", s, hay.name)
				}
			}
		}
	})
}

type haystack struct {
	name string
	data []byte
}

// dump returns everything the store keeps: the files of the embedded store,
// or every row of both PostgreSQL schemas as text.
func dump(t *testing.T, b *bundle) []haystack {
	t.Helper()
	b.env.Store.Close() // flush the WAL into the files too (and keep the WAL)
	var out []haystack
	if b.env.Dialect == "sqlite" {
		files, _ := filepath.Glob(filepath.Join(b.env.Dir, "*"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, haystack{filepath.Base(f), data})
		}
		if len(out) < 2 {
			t.Fatalf("only %d files in the data directory", len(out))
		}
		return out
	}
	for _, schema := range []string{b.env.Schema, b.env.Schema + "_keys"} {
		rows, err := b.env.Raw.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			tables = append(tables, n)
		}
		rows.Close()
		for _, tbl := range tables {
			// Every column of every row, bytea as raw bytes, text as text.
			rows, err := b.env.Raw.Query(`SELECT * FROM ` + schema + "." + tbl)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			var data []byte
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					switch x := v.(type) {
					case []byte:
						data = append(data, x...)
					case string:
						data = append(data, x...)
					}
					data = append(data, 0)
				}
			}
			rows.Close()
			out = append(out, haystack{schema + "." + tbl, data})
		}
	}
	if len(out) < 8 {
		t.Fatalf("only %d tables dumped", len(out))
	}
	return out
}

// split unpacks a create for the tests that want the ids one by one.
func split(c vault.Created, err error) (string, string, error) { return c.Subject, c.Record, err }
