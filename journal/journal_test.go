package journal_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"testing"
	"time"

	"github.com/derbes/derbes/journal"
)

// The encoding of entries is frozen: if this test fails, every existing
// journal stops verifying. Never update the vector; add a new encoding
// version instead.
func TestEntryEncodingIsFrozen(t *testing.T) {
	t.Parallel()
	e := &journal.Entry{
		Seq: 42, At: time.Date(2026, 3, 20, 9, 30, 0, 123456000, time.UTC),
		Actor: "apikey:0f3a9c2b7d11", Action: journal.RecordRead, Purpose: "appeals",
		Subject: "0194c1a2-7b3e-7c1d-9e2f-0a1b2c3d4e5f", Record: "0194c1a2-7b3e-7c1d-9e2f-0a1b2c3d4e60",
		Outcome: journal.OK, Detail: `{"fields":["full_name"],"role":"app"}`,
	}
	const encoding = "6465726265732d6a6f75726e616c2d763100000000000000002a00064d71543bf840000000136170696b65793a3066336139633262376431310000000b7265636f72642e726561640000000761707065616c730000002430313934633161322d376233652d376331642d396532662d3061316232633364346535660000002430313934633161322d376233652d376331642d396532662d306131623263336434653630000000026f6b000000257b226669656c6473223a5b2266756c6c5f6e616d65225d2c22726f6c65223a22617070227d"
	const hash = "c47b746ddb6cd109021fb5cb6d86cd55398ca8227a6418469fd27a12f13a527c"
	if got := hex.EncodeToString(journal.Encode(e)); got != encoding {
		t.Fatalf("entry encoding changed:\n got %s\nwant %s", got, encoding)
	}
	if got := hex.EncodeToString(journal.Chain(journal.Genesis, e)); got != hash {
		t.Fatalf("entry hash changed:\n got %s\nwant %s", got, hash)
	}
}

func TestVerifyFindsTheFirstBadEntry(t *testing.T) {
	t.Parallel()
	pub, priv, _ := ed25519.GenerateKey(nil)
	build := func(n int) ([]*journal.Entry, *journal.Head) {
		var es []*journal.Entry
		prev := journal.Genesis
		for i := 1; i <= n; i++ {
			e := &journal.Entry{Seq: int64(i), At: time.UnixMicro(int64(i) * 1000).UTC(), Actor: "a", Action: "x", Outcome: journal.OK}
			e.Hash = journal.Chain(prev, e)
			prev = e.Hash
			es = append(es, e)
		}
		h := &journal.Head{Size: int64(n), Hash: prev}
		h.Sign(priv)
		return es, h
	}
	seq := func(es []*journal.Entry) func(func(*journal.Entry, error) bool) {
		return func(yield func(*journal.Entry, error) bool) {
			for _, e := range es {
				if !yield(e, nil) {
					return
				}
			}
		}
	}
	es, head := build(10)
	if r, _ := journal.Verify(seq(es), nil, head, pub); !r.OK() || r.Entries != 10 {
		t.Fatalf("untouched journal: %v", r)
	}
	es[4].Actor = "b"
	if r, _ := journal.Verify(seq(es), nil, head, pub); r.FirstBad != 5 {
		t.Fatalf("edited entry 5: %v", r)
	}
	es, _ = build(10)
	if r, _ := journal.Verify(seq(es[:7]), nil, head, pub); r.FirstBad != 8 {
		t.Fatalf("cut after 7: %v", r)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if r, _ := journal.Verify(seq(es), nil, head, other); r.OK() {
		t.Fatal("a head signed by another key verified")
	}
}
