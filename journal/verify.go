package journal

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"iter"
)

// Result is the outcome of verifying a journal.
type Result struct {
	// Entries is how many entries were read.
	Entries int64
	// Checkpoints is how many signed checkpoints matched.
	Checkpoints int
	// Problem describes the first thing found wrong; empty when the journal
	// verifies.
	Problem string
	// FirstBad is the sequence number of the first bad entry (or of the
	// first missing one); 0 when the journal verifies.
	FirstBad int64
}

// OK reports whether the journal verified.
func (r Result) OK() bool { return r.Problem == "" }

func (r Result) String() string {
	if r.OK() {
		return fmt.Sprintf("journal OK: %d entries, %d checkpoints verified", r.Entries, r.Checkpoints)
	}
	return fmt.Sprintf("journal BROKEN at entry %d: %s", r.FirstBad, r.Problem)
}

// Verify walks the entries in sequence order and checks the chain, the signed
// checkpoints and the signed head against pub. It stops at the first problem.
// entries yields (entry, nil) or (nil, err) on a read error.
func Verify(entries iter.Seq2[*Entry, error], checkpoints []Head, head *Head, pub ed25519.PublicKey) (Result, error) {
	var r Result
	byS := make(map[int64]Head, len(checkpoints))
	for _, c := range checkpoints {
		if !c.Valid(pub) {
			return Result{Problem: fmt.Sprintf("checkpoint at size %d has no valid signature", c.Size), FirstBad: c.Size}, nil
		}
		byS[c.Size] = c
	}
	if head != nil && !head.Valid(pub) {
		return Result{Problem: "the journal head has no valid signature", FirstBad: head.Size}, nil
	}
	prev := Genesis
	want := int64(1)
	for e, err := range entries {
		if err != nil {
			return r, err
		}
		switch {
		case e.Seq > want:
			r.FirstBad, r.Problem = want, fmt.Sprintf("entry %d is missing (the next entry is %d): deleted", want, e.Seq)
			return r, nil
		case e.Seq < want:
			r.FirstBad, r.Problem = e.Seq, fmt.Sprintf("entry %d appears out of order or twice", e.Seq)
			return r, nil
		}
		h := Chain(prev, e)
		if !bytes.Equal(h, e.Hash) {
			r.FirstBad, r.Problem = e.Seq, fmt.Sprintf("entry %d does not match its hash: edited, inserted or reordered", e.Seq)
			return r, nil
		}
		if c, ok := byS[e.Seq]; ok {
			if !bytes.Equal(c.Hash, h) {
				r.FirstBad, r.Problem = e.Seq, fmt.Sprintf("entry %d differs from the signed checkpoint at that size", e.Seq)
				return r, nil
			}
			r.Checkpoints++
		}
		r.Entries++
		prev = h
		want++
	}
	// Every signed state must be reached: a checkpoint or head beyond the
	// last entry means entries were cut from the tail.
	last := want - 1
	for size := range byS {
		if size > last {
			r.FirstBad, r.Problem = last+1, fmt.Sprintf("a signed checkpoint covers %d entries but the journal ends at %d: truncated", size, last)
			return r, nil
		}
	}
	if head != nil {
		switch {
		case head.Size > last:
			r.FirstBad, r.Problem = last+1, fmt.Sprintf("the signed head covers %d entries but the journal ends at %d: truncated", head.Size, last)
		case head.Size < last:
			r.FirstBad, r.Problem = head.Size+1, fmt.Sprintf("entries after %d are not covered by the signed head: appended behind derbes's back", head.Size)
		case head.Size > 0 && !bytes.Equal(head.Hash, prev):
			r.FirstBad, r.Problem = last, "the last entry differs from the signed head"
		}
	}
	return r, nil
}
