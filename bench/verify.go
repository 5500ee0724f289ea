package bench

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/store"
)

// Verify is the verification of the whole journal after the workloads, as
// `derbes journal verify` runs it (Vault.CheckJournal: the entries read
// from the store in order, each hash recomputed, the checkpoints' and the
// head's signatures checked).
type Verify struct {
	Entries int64
	// Bytes is what the verification hashes: for each entry its frozen
	// encoding (journal.Encode) and the 32-byte hash of the entry before
	// it, which journal.Chain hashes with it.
	Bytes   int64
	Elapsed time.Duration
	// Hashing is the time journal.Chain alone takes over the same entries
	// (measured in the second pass): the rest of Elapsed is reading the
	// entries from the store.
	Hashing time.Duration
}

func (v Verify) String() string {
	s := v.Elapsed.Seconds()
	return fmt.Sprintf("%-22s %8.0f entries/s  %.1f MB/s  (%d entries, %.1f MB hashed: each entry's encoding and the previous hash; in %s, of which hashing %s: %.0f MB/s)",
		"journal verify", float64(v.Entries)/s, float64(v.Bytes)/1e6/s, v.Entries, float64(v.Bytes)/1e6, v.Elapsed.Round(time.Millisecond),
		v.Hashing.Round(time.Millisecond), float64(v.Bytes)/1e6/v.Hashing.Seconds())
}

// verifyJournal times the verification of the whole journal, then counts
// the bytes it hashed, and times the hashing alone, in a second pass. A journal that
// does not verify after the benchmark is an error.
func (e *Env) verifyJournal(ctx context.Context) (*Verify, error) {
	t0 := time.Now()
	res, err := e.w.v.CheckJournal(ctx)
	elapsed := time.Since(t0)
	if err != nil {
		return nil, err
	}
	if !res.OK() {
		return nil, fmt.Errorf("bench: the journal does not verify after the benchmark: %s", res)
	}
	v := &Verify{Entries: res.Entries, Elapsed: elapsed}
	err = e.Store.Read(ctx, func(r *store.Reader) error {
		prev := journal.Genesis
		for en, err := range r.JournalAll(ctx) {
			if err != nil {
				return err
			}
			v.Bytes += sha256.Size + int64(len(journal.Encode(en)))
			t := time.Now()
			prev = journal.Chain(prev, en)
			v.Hashing += time.Since(t)
		}
		return nil
	})
	return v, err
}
