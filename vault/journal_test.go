package vault_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/store/storetest"
)

// Each case tampers with the journal directly in the database, as someone
// with SQL access would, and verification must name the first bad entry.
func TestJournalTamperingIsDetected(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		tamper   func(t *testing.T, env *storetest.Env)
		firstBad int64
		words    string
	}{
		{"an untouched journal verifies", func(*testing.T, *storetest.Env) {}, 0, ""},
		{"a changed field", func(t *testing.T, env *storetest.Env) {
			env.Exec(t, "UPDATE journal SET actor = 'someone-else' WHERE seq = 4")
		}, 4, "does not match its hash"},
		{"a deleted entry", func(t *testing.T, env *storetest.Env) {
			env.Exec(t, "DELETE FROM journal WHERE seq = 5")
		}, 5, "missing"},
		{"two swapped entries", func(t *testing.T, env *storetest.Env) {
			env.Exec(t, "UPDATE journal SET seq = -1 WHERE seq = 3")
			env.Exec(t, "UPDATE journal SET seq = 3 WHERE seq = 6")
			env.Exec(t, "UPDATE journal SET seq = 6 WHERE seq = -1")
		}, 3, "does not match its hash"},
		{"an inserted entry", func(t *testing.T, env *storetest.Env) {
			env.Exec(t, "UPDATE journal SET seq = seq + 100 WHERE seq >= 7")
			env.Exec(t, "UPDATE journal SET seq = seq - 99 WHERE seq >= 107")
			env.Exec(t, "INSERT INTO journal (seq, at, actor, action, purpose, subject, record, outcome, detail, hash) SELECT 7, at, actor, action, purpose, subject, record, outcome, detail, hash FROM journal WHERE seq = 6")
		}, 7, "does not match its hash"},
		{"a cut tail", func(t *testing.T, env *storetest.Env) {
			env.Exec(t, "DELETE FROM journal WHERE seq > 8")
		}, 9, "truncated"},
		{"an entry appended at the end", func(t *testing.T, env *storetest.Env) {
			env.Exec(t, "INSERT INTO journal (seq, at, actor, action, purpose, subject, record, outcome, detail, hash) SELECT seq + 1, at, actor, action, purpose, subject, record, outcome, detail, hash FROM journal WHERE seq = (SELECT MAX(seq) FROM journal)")
		}, 0, "entry 1"},
	}
	for _, d := range storetest.Dialects {
		for _, tc := range cases {
			t.Run(d+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, d)
				ctx := context.Background()
				sid, rid, err := split(b.vault.CreateSubject(ctx, app, newAppeal()))
				if err != nil {
					t.Fatal(err)
				}
				for range 3 {
					b.vault.GetRecord(ctx, app, rid, "appeals", nil)
					b.vault.GetSubject(ctx, app, sid, "appeals")
				}
				before := len(journalOf(t, b))
				if before < 9 {
					t.Fatalf("only %d entries", before)
				}
				tc.tamper(t, b.env)
				res, err := b.vault.VerifyJournal(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if tc.words == "" {
					if !res.OK() || res.Entries != int64(before) {
						t.Fatalf("untouched journal: %v", res)
					}
					return
				}
				if res.OK() || !strings.Contains(res.Problem, tc.words) || (tc.firstBad != 0 && res.FirstBad != tc.firstBad) {
					t.Fatalf("got %q (first bad %d), want %q at %d", res.Problem, res.FirstBad, tc.words, tc.firstBad)
				}
			})
		}
	}
}

// An export verifies offline with the journal's public key alone, and an
// edited export does not.
func TestJournalExportVerifiesOffline(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		for range 5 {
			ns := newAppeal()
			ns.Identifiers = map[string]string{"email": "x" + strings.Repeat("y", len(journalOf(t, b))) + "@example.kz"}
			if _, _, err := split(b.vault.CreateSubject(ctx, app, ns)); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := b.vault.Export(ctx, journal.NewExportWriter(&buf)); err != nil {
			t.Fatal(err)
		}
		x, err := journal.ReadExport(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		res, err := journal.Verify(x.All(), x.Checkpoints, x.Head, b.env.Ring.JournalPublicKey())
		if err != nil || !res.OK() || res.Entries != int64(len(journalOf(t, b))) {
			t.Fatalf("export: %v %v", res, err)
		}
		edited := bytes.Replace(buf.Bytes(), []byte(`"action":"record.create"`), []byte(`"action":"record.update"`), 1)
		x, err = journal.ReadExport(bytes.NewReader(edited))
		if err != nil {
			t.Fatal(err)
		}
		if res, _ := journal.Verify(x.All(), x.Checkpoints, x.Head, b.env.Ring.JournalPublicKey()); res.OK() || res.FirstBad != 4 {
			t.Fatalf("edited export: %v", res)
		}
		cut := buf.Bytes()[:bytes.LastIndexByte(buf.Bytes()[:buf.Len()-1], '\n')+1]
		if _, err := journal.ReadExport(bytes.NewReader(cut)); err == nil || !strings.Contains(err.Error(), "cut short") {
			t.Fatalf("an export without its trailer: %v", err)
		}
	})
}
