package importing

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/store"
)

// Journal actions of an import. Each row's own entries (subject.create,
// consent.give, record.create, subject.lookup) are the vault's, under the
// actor "import:<id>"; these two frame them.
const (
	ActionStart = "import.start"
	ActionEnd   = "import.end"
)

// Journal is what an import needs of the journal: its current length, a
// way to write the import's start and end, and a way to read back what an
// interrupted run stored.
type Journal interface {
	Head(ctx context.Context) (int64, error)
	Append(ctx context.Context, e *journal.Entry) error
	Range(ctx context.Context, after int64, limit int) ([]*journal.Entry, error)
}

// StoreJournal is the Journal of a store. It writes entries through the
// store as the access package does for API keys and staff: the vault has
// no method for an entry of its own.
type StoreJournal struct{ Store *store.Store }

// Head returns the number of entries in the journal.
func (j StoreJournal) Head(ctx context.Context) (int64, error) {
	var n int64
	err := j.Store.Read(ctx, func(r *store.Reader) error {
		h, err := r.JournalHead(ctx)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		n = h.Size
		return err
	})
	return n, err
}

// Append writes an entry in a transaction of its own.
func (j StoreJournal) Append(ctx context.Context, e *journal.Entry) error {
	return j.Store.Write(ctx, func(tx *store.Tx) error { return tx.JournalAppend(ctx, e) })
}

// Range returns up to limit entries after seq.
func (j StoreJournal) Range(ctx context.Context, after int64, limit int) ([]*journal.Entry, error) {
	var out []*journal.Entry
	err := j.Store.Read(ctx, func(r *store.Reader) error {
		var err error
		out, err = r.JournalRange(ctx, after, limit)
		return err
	})
	return out, err
}

func detail(m map[string]any) string {
	b, err := json.Marshal(m)
	if err != nil {
		panic("importing: detail: " + err.Error())
	}
	return string(b)
}

// footprints are what an import's actor stored, read from the journal:
// the subjects it created, and for every subject the records it added to
// it apart from the one created with it (merges).
type footprints struct {
	created map[string]bool
	merges  map[string]int
}

// readFootprints reads the journal after seq for the actor's entries.
func readFootprints(ctx context.Context, j Journal, actor string, after int64) (*footprints, error) {
	fp := &footprints{created: map[string]bool{}, merges: map[string]int{}}
	// A creation is one transaction, so its entries are consecutive:
	// subject.create, then consent.give, then record.create of the same
	// subject. A record.create that does not follow its subject's
	// subject.create that way is a merge.
	var prev, prev2 *journal.Entry
	for {
		page, err := j.Range(ctx, after, 5000)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if e.Actor == actor && e.Outcome == journal.OK {
				switch e.Action {
				case journal.SubjectCreate:
					fp.created[e.Subject] = true
				case journal.RecordCreate:
					withCreate := func(x *journal.Entry) bool {
						return x != nil && x.Seq == e.Seq-1 && x.Actor == actor && x.Subject == e.Subject && x.Action == journal.SubjectCreate
					}
					consentThenCreate := prev != nil && prev.Seq == e.Seq-1 && prev.Actor == actor && prev.Subject == e.Subject && prev.Action == "consent.give" &&
						prev2 != nil && prev2.Seq == e.Seq-2 && prev2.Actor == actor && prev2.Subject == e.Subject && prev2.Action == journal.SubjectCreate
					if !withCreate(prev) && !consentThenCreate {
						fp.merges[e.Subject]++
					}
				}
			}
			prev2, prev = prev, e
		}
		if len(page) < 5000 {
			return fp, nil
		}
		after = page[len(page)-1].Seq
	}
}
