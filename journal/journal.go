// Package journal is derbes's tamper-evident record of every action on
// personal data.
//
// Entries form a hash chain: each entry's hash covers the previous entry's
// hash and the entry's frozen binary encoding, so editing, deleting,
// inserting or reordering any entry changes every hash after it. The head of
// the chain (its size and last hash) is signed with the operator's Ed25519
// journal key after every commit, and a checkpoint is kept every
// CheckpointEvery entries, so cutting the tail is detected too: the signed
// head names a size the journal no longer reaches.
//
// Entries hold ids, actors, actions, purposes and outcomes, never personal
// data. Subject and record ids are random and reveal nothing by themselves.
package journal

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"
)

// Entry is one action recorded in the journal.
type Entry struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Purpose string    `json:"purpose,omitempty"`
	Subject string    `json:"subject,omitempty"`
	Record  string    `json:"record,omitempty"`
	Outcome string    `json:"outcome"`
	// Detail is a JSON object of non-personal facts: field names, role,
	// reason codes, policy version.
	Detail string `json:"detail,omitempty"`
	Hash   []byte `json:"hash"`
}

// Outcomes of an action.
const (
	OK     = "ok"
	Denied = "denied"
	Failed = "failed"
)

// Actions recorded. The names are part of the exported journal format.
const (
	SubjectCreate   = "subject.create"
	SubjectRead     = "subject.read"
	SubjectLookup   = "subject.lookup"
	SubjectDestroy  = "subject.destroy"
	RecordCreate    = "record.create"
	RecordRead      = "record.read"
	RecordList      = "record.list"
	RecordUpdate    = "record.update"
	RecordDestroy   = "record.destroy"
	PolicyActivate  = "policy.activate"
	KeysRotate      = "keys.rotate"
	KeysInit        = "keys.init"
	APIKeyCreate    = "apikey.create"
	APIKeyRevoke    = "apikey.revoke"
	JournalExport   = "journal.export"
	JournalVerified = "journal.verify"
)

// CheckpointEvery is how often (in entries) a signed checkpoint is kept.
const CheckpointEvery = 1000

// Genesis is the "previous hash" of the first entry.
var Genesis = make([]byte, sha256.Size)

// encodingVersion prefixes every hashed entry. The encoding below must never
// change, or the hashes of existing journals stop matching: golden vectors
// in journal_test.go pin it.
const encodingVersion = "derbes-journal-v1\x00"

// Encode returns the frozen binary encoding of an entry's content (without
// its hash): the sequence number and time as 8-byte big-endian integers
// (time in Unix microseconds, the precision both stores keep), then each
// string as a 4-byte big-endian length and its bytes.
func Encode(e *Entry) []byte {
	b := make([]byte, 0, 128+len(e.Detail))
	b = append(b, encodingVersion...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(e.At.UnixMicro()))
	for _, s := range []string{e.Actor, e.Action, e.Purpose, e.Subject, e.Record, e.Outcome, e.Detail} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// Chain returns the hash of e following an entry whose hash is prev.
func Chain(prev []byte, e *Entry) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(Encode(e))
	return h.Sum(nil)
}

// Head is the signed state of the journal: its size and last hash.
type Head struct {
	Size      int64     `json:"size"`
	Hash      []byte    `json:"hash"`
	At        time.Time `json:"at"`
	Signature []byte    `json:"signature"`
}

// SignedText is what a head's signature covers.
func (h *Head) SignedText() []byte {
	return fmt.Appendf(nil, "derbes journal head\n%d\n%s\n", h.Size, base64.StdEncoding.EncodeToString(h.Hash))
}

// Sign signs the head with the journal key.
func (h *Head) Sign(key ed25519.PrivateKey) {
	h.Signature = ed25519.Sign(key, h.SignedText())
}

// Valid reports whether the head's signature is by pub.
func (h *Head) Valid(pub ed25519.PublicKey) bool {
	return len(h.Signature) == ed25519.SignatureSize && ed25519.Verify(pub, h.SignedText(), h.Signature)
}
