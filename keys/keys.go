// Package keys holds derbes's key hierarchy and the few operations on it.
//
// A keyring (a file created by `derbes keys init`, mode 0600, kept apart
// from the data) holds:
//
//   - master keys, numbered; the newest wraps new data keys. Each subject has
//     its own random data key, stored wrapped by a master key in the key store
//     (a separate file or schema). Destroying a subject deletes its data key,
//     after which its ciphertexts cannot be opened by anyone.
//   - the blind-index keys: HMAC-SHA256 over normalised identifiers, so that
//     a person can be found by IIN, phone or e-mail without storing them in
//     plaintext. They are separate from the master keys so that rotating one
//     does not touch the other. One is current; during a rotation a second
//     one is held, first as incoming (lookups try it, nothing is indexed
//     under it yet) then, once current, the old one as retiring (lookups
//     try it until every identifier is re-indexed): see BeginIndexRotation.
//   - the journal key: Ed25519, signing the journal's head and checkpoints.
//
// All encryption is AES-256-GCM with associated data that binds each
// ciphertext to where it belongs (a data key to its subject, a field value to
// its record and field name): a ciphertext copied elsewhere fails to open.
//
// Use Generate or Load to get a Ring; use Seal and Open with a DataKey.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Errors.
var (
	// ErrOpen means a ciphertext did not open: wrong key, or a ciphertext that
	// was altered or moved from where it belongs.
	ErrOpen = errors.New("keys: ciphertext does not open with this key and context")
	// ErrUnknownMaster means a data key is wrapped by a master key version the
	// keyring does not hold.
	ErrUnknownMaster = errors.New("keys: the keyring has no master key of this version")
)

// DataKey is a subject's (or record's) own AES-256 key.
type DataKey [32]byte

// Ring is a loaded keyring. It is safe for concurrent use.
type Ring struct {
	mu      sync.RWMutex
	path    string // where it was loaded from; reloaded to learn new masters
	masters map[uint32][]byte
	made    map[uint32]time.Time // when each master key was created
	current uint32
	journal ed25519.PrivateKey
	created time.Time

	// index is the current blind-index key; during a rotation, incoming
	// is the one that will replace it, and after the switch retiring is
	// the one replaced (at most one of the two is set).
	index, incoming, retiring *indexKey
	// checked is when the keyring file was last read for a newer index
	// key (Unix nanoseconds): other processes rotate the index key, and a
	// node must follow within a second. The file is read whole rather
	// than its modification time trusted: two saves within one tick of
	// the file system's clock look alike.
	checked atomic.Int64

	// aeads holds an AES-GCM instance per master version, made once: they
	// are immutable and safe for concurrent use. Data keys get none: a
	// data key is used for a few fields and then forgotten, and a cache
	// would keep a shredded key alive in memory.
	aeads map[uint32]cipher.AEAD
}

// indexKey is a blind-index key with its HMACs, reused after Reset (which
// restores the keyed state without hashing the key again).
type indexKey struct {
	version uint32
	key     []byte
	created time.Time
	hmacs   sync.Pool
}

func newIndexKey(version uint32, key []byte, created time.Time) *indexKey {
	k := &indexKey{version: version, key: key, created: created}
	k.hmacs.New = func() any { return hmac.New(sha256.New, k.key) }
	return k
}

func (k *indexKey) sum(kind, normalised string) []byte {
	m := k.hmacs.Get().(hash.Hash)
	defer k.hmacs.Put(m)
	m.Reset()
	io.WriteString(m, kind)
	m.Write([]byte{0})
	io.WriteString(m, normalised)
	return m.Sum(nil)
}

// file is the keyring's on-disk form.
type file struct {
	Format  int       `json:"format"`
	Created time.Time `json:"created"`
	Masters []master  `json:"masters"`
	// Index is the blind-index key of keyrings written before index keys
	// were versioned: read as version 1, never written.
	Index     []byte     `json:"index_key,omitempty"`
	IndexKeys []indexRec `json:"index_keys,omitempty"`
	Journal   []byte     `json:"journal_seed"`
}

type indexRec struct {
	Version uint32    `json:"version"`
	Key     []byte    `json:"key"`
	Created time.Time `json:"created"`
	// Incoming marks the key a rotation will make current; Retiring the
	// key it replaced.
	Incoming bool `json:"incoming,omitempty"`
	Retiring bool `json:"retiring,omitempty"`
}

type master struct {
	Version uint32    `json:"version"`
	Key     []byte    `json:"key"`
	Created time.Time `json:"created"`
}

// Generate returns a new keyring with one master key.
func Generate() (*Ring, error) {
	f := file{Format: 1, Created: time.Now().UTC()}
	f.Masters = []master{{Version: 1, Key: random(32), Created: f.Created}}
	f.IndexKeys = []indexRec{{Version: 1, Key: random(32), Created: f.Created}}
	f.Journal = random(ed25519.SeedSize)
	return fromFile(f)
}

func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("keys: no randomness: " + err.Error())
	}
	return b
}

func fromFile(f file) (*Ring, error) {
	if f.Format != 1 {
		return nil, fmt.Errorf("keys: keyring format %d is not supported", f.Format)
	}
	if len(f.IndexKeys) == 0 && len(f.Index) == 32 {
		f.IndexKeys = []indexRec{{Version: 1, Key: f.Index, Created: f.Created}}
	}
	if len(f.Masters) == 0 || len(f.IndexKeys) == 0 || len(f.Journal) != ed25519.SeedSize {
		return nil, errors.New("keys: keyring is incomplete (needs master keys, an index key and a journal key)")
	}
	r := &Ring{masters: map[uint32][]byte{}, made: map[uint32]time.Time{}, journal: ed25519.NewKeyFromSeed(f.Journal), created: f.Created,
		aeads: map[uint32]cipher.AEAD{}}
	for _, k := range f.IndexKeys {
		if len(k.Key) != 32 || k.Version == 0 {
			return nil, fmt.Errorf("keys: index key %d is malformed", k.Version)
		}
		switch {
		case (k.Retiring || k.Incoming) && (r.retiring != nil || r.incoming != nil):
			return nil, errors.New("keys: keyring has two index keys in rotation")
		case k.Retiring:
			r.retiring = newIndexKey(k.Version, k.Key, k.Created)
		case k.Incoming:
			r.incoming = newIndexKey(k.Version, k.Key, k.Created)
		case r.index == nil || k.Version > r.index.version:
			r.index = newIndexKey(k.Version, k.Key, k.Created)
		}
	}
	if r.index == nil || (r.retiring != nil && r.retiring.version >= r.index.version) || (r.incoming != nil && r.incoming.version <= r.index.version) {
		return nil, errors.New("keys: keyring's index keys are inconsistent (a retiring key must be older than the current one, an incoming one newer)")
	}
	for _, m := range f.Masters {
		if len(m.Key) != 32 || m.Version == 0 {
			return nil, fmt.Errorf("keys: master key %d is malformed", m.Version)
		}
		r.masters[m.Version] = m.Key
		r.made[m.Version] = m.Created
		r.current = max(r.current, m.Version)
	}
	return r, nil
}

// Parse reads a keyring from its JSON form (as in the file or in the
// DERBES_KEYRING environment variable).
func Parse(b []byte) (*Ring, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, errors.New("keys: keyring is not valid JSON")
	}
	return fromFile(f)
}

// Load reads the keyring file at path. It refuses a file that others can
// read.
func Load(path string) (*Ring, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("keys: no keyring at %s (create one with `derbes keys init`)", path)
		}
		return nil, fmt.Errorf("keys: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keys: keyring %s is readable by others (mode %o); chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	r, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	r.path = path
	r.checked.Store(time.Now().UnixNano())
	return r, nil
}

// Save writes the keyring to path with mode 0600, atomically: a crash leaves
// the old file or the new one, never half of either.
func (r *Ring) Save(path string) error {
	r.mu.RLock()
	f := file{Format: 1, Created: r.created, Journal: r.journal.Seed()}
	f.IndexKeys = append(f.IndexKeys, indexRec{Version: r.index.version, Key: r.index.key, Created: r.index.created})
	if r.retiring != nil {
		f.IndexKeys = append(f.IndexKeys, indexRec{Version: r.retiring.version, Key: r.retiring.key, Created: r.retiring.created, Retiring: true})
	}
	if r.incoming != nil {
		f.IndexKeys = append(f.IndexKeys, indexRec{Version: r.incoming.version, Key: r.incoming.key, Created: r.incoming.created, Incoming: true})
	}
	for _, v := range r.versions() {
		f.Masters = append(f.Masters, master{Version: v, Key: r.masters[v], Created: r.made[v]})
	}
	r.mu.RUnlock()
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keyring-*")
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	r.mu.Lock()
	r.path = path
	r.mu.Unlock()
	return nil
}

func (r *Ring) versions() []uint32 {
	vs := make([]uint32, 0, len(r.masters))
	for v := range r.masters {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// Current is the version of the master key that wraps new data keys.
func (r *Ring) Current() uint32 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.current
}

// Versions lists the master key versions the ring holds.
func (r *Ring) Versions() []uint32 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.versions()
}

// AddMaster adds a new master key and makes it current. The caller saves
// the ring and then re-wraps the data keys (see vault.RotateKeys).
func (r *Ring) AddMaster() uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.current++
	r.masters[r.current] = random(32)
	r.made[r.current] = time.Now().UTC()
	return r.current
}

// master returns the key of version v, reloading the keyring file once when
// the version is unknown: another process may have rotated it.
func (r *Ring) master(v uint32) ([]byte, error) {
	r.mu.RLock()
	k, ok := r.masters[v]
	path := r.path
	r.mu.RUnlock()
	if ok {
		return k, nil
	}
	if path == "" {
		return nil, ErrUnknownMaster
	}
	fresh, err := Load(path)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for ver, key := range fresh.masters {
		if _, have := r.masters[ver]; !have {
			r.masters[ver], r.made[ver] = key, fresh.made[ver]
		}
	}
	r.current = max(r.current, fresh.current)
	if k, ok := r.masters[v]; ok {
		return k, nil
	}
	return nil, ErrUnknownMaster
}

// masterAEAD returns the AES-GCM instance of master key v.
func (r *Ring) masterAEAD(v uint32) (cipher.AEAD, error) {
	r.mu.RLock()
	a, ok := r.aeads[v]
	r.mu.RUnlock()
	if ok {
		return a, nil
	}
	mk, err := r.master(v)
	if err != nil {
		return nil, err
	}
	a = gcm(mk)
	r.mu.Lock()
	r.aeads[v] = a
	r.mu.Unlock()
	return a, nil
}

// NewDataKey returns a fresh data key for owner (a subject or record id)
// and its wrapped form, to be stored in the key store.
func (r *Ring) NewDataKey(owner string) (DataKey, []byte, error) {
	var dk DataKey
	copy(dk[:], random(32))
	w, err := r.Wrap(owner, dk)
	return dk, w, err
}

// Wrap encrypts a data key under the current master key. The result starts
// with the master version (4 bytes, big-endian).
func (r *Ring) Wrap(owner string, dk DataKey) ([]byte, error) {
	v := r.Current()
	a, err := r.masterAEAD(v)
	if err != nil {
		return nil, err
	}
	prefix := binary.BigEndian.AppendUint32(nil, v)
	return sealWith(a, prefix, wrapAD(owner, v), dk[:]), nil
}

// Unwrap opens a wrapped data key of owner.
func (r *Ring) Unwrap(owner string, wrapped []byte) (DataKey, error) {
	var dk DataKey
	if len(wrapped) < 4 {
		return dk, ErrOpen
	}
	v := binary.BigEndian.Uint32(wrapped)
	a, err := r.masterAEAD(v)
	if err != nil {
		return dk, err
	}
	pt, err := openWith(a, wrapped[4:], wrapAD(owner, v))
	if err != nil || len(pt) != 32 {
		return dk, ErrOpen
	}
	copy(dk[:], pt)
	return dk, nil
}

// WrappedVersion returns the master version a wrapped key was made with.
func WrappedVersion(wrapped []byte) uint32 {
	if len(wrapped) < 4 {
		return 0
	}
	return binary.BigEndian.Uint32(wrapped)
}

func wrapAD(owner string, v uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte("derbes data key\x00"+owner+"\x00"), v)
}

// CheckValue is stored with the data when a master key is first used; a
// keyring that cannot open it is the wrong keyring for this data.
func (r *Ring) CheckValue(v uint32) ([]byte, error) {
	mk, err := r.master(v)
	if err != nil {
		return nil, err
	}
	return seal(mk, nil, []byte("derbes key check"), []byte("derbes")), nil
}

// Check reports whether master key v opens a stored check value.
func (r *Ring) Check(v uint32, check []byte) error {
	mk, err := r.master(v)
	if err != nil {
		return err
	}
	if _, err := open(mk, check, []byte("derbes key check")); err != nil {
		return ErrOpen
	}
	return nil
}

// Index returns the blind index of a normalised identifier of the given kind
// ("iin", "phone", "email") under the current index key.
func (r *Ring) Index(kind, normalised string) []byte {
	_, h := r.Blind(kind, normalised)
	return h
}

// Blind returns the blind index of a normalised identifier under the
// current index key, and that key's version, to be stored together.
func (r *Ring) Blind(kind, normalised string) (uint32, []byte) {
	cur, _ := r.indexKeys()
	return cur.version, cur.sum(kind, normalised)
}

// BlindIndex is a blind index and the version of the key that made it.
type BlindIndex struct {
	Version uint32
	Hash    []byte
}

// Blinds returns the blind indexes a lookup tries: under the current key,
// then, during a rotation, under the incoming or the retiring one.
func (r *Ring) Blinds(kind, normalised string) []BlindIndex {
	cur, old := r.indexKeys()
	out := []BlindIndex{{cur.version, cur.sum(kind, normalised)}}
	if old != nil {
		out = append(out, BlindIndex{old.version, old.sum(kind, normalised)})
	}
	return out
}

// IndexWith returns the blind index of a normalised identifier under the
// index key of version, if the ring holds it (the current key, or one in
// rotation).
func (r *Ring) IndexWith(version uint32, kind, normalised string) ([]byte, bool) {
	cur, old := r.indexKeys()
	switch {
	case cur.version == version:
		return cur.sum(kind, normalised), true
	case old != nil && old.version == version:
		return old.sum(kind, normalised), true
	}
	return nil, false
}

// IndexVersions returns the version of the current index key and of the
// other one a rotation holds, incoming or retiring (0 outside a rotation).
func (r *Ring) IndexVersions() (current, other uint32) {
	cur, o := r.indexKeys()
	if o != nil {
		other = o.version
	}
	return cur.version, other
}

// indexKeys returns the current index key and the other one a rotation
// holds (incoming or retiring, or nil), first re-reading
// the keyring file if it changed, at most once a second: another process
// may have begun or finished a rotation.
func (r *Ring) indexKeys() (cur, old *indexKey) {
	r.refresh()
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.incoming != nil {
		return r.index, r.incoming
	}
	return r.index, r.retiring
}

// stage orders the states of the index keys: each step of a rotation
// (incoming, switched, finished) ranks above the one before, so that a ring
// re-reading its file never goes back.
func (r *Ring) stage() uint64 {
	s := uint64(r.index.version) * 4
	switch {
	case r.retiring != nil:
		return s
	case r.incoming != nil:
		return s + 2
	}
	return s + 1
}

// RefreshEvery bounds how often a ring looks at its file for new index
// keys.
const RefreshEvery = time.Second

func (r *Ring) refresh() {
	now := time.Now().UnixNano()
	last := r.checked.Load()
	if now-last < int64(RefreshEvery) || !r.checked.CompareAndSwap(last, now) {
		return
	}
	r.mu.RLock()
	path := r.path
	r.mu.RUnlock()
	if path == "" {
		return
	}
	fresh, err := Load(path)
	if err != nil {
		// A keyring being replaced is renamed into place whole; any other
		// failure leaves the keys in memory as they were, and the next
		// look a second later tries again.
		return
	}
	r.adopt(fresh)
}

// adopt takes the index keys of a fresher copy of the keyring, and any
// master keys this ring lacks.
func (r *Ring) adopt(fresh *Ring) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fresh.stage() > r.stage() {
		r.index, r.incoming, r.retiring = fresh.index, fresh.incoming, fresh.retiring
	}
	for ver, key := range fresh.masters {
		if _, have := r.masters[ver]; !have {
			r.masters[ver], r.made[ver] = key, fresh.made[ver]
		}
	}
	r.current = max(r.current, fresh.current)
}

// BeginIndexRotation adds a new index key as incoming: lookups try it,
// nothing is indexed under it yet. The caller saves the ring, waits for
// every node to read it, then calls SwitchIndexKey. When a rotation is
// already under way (one was interrupted) it changes nothing and reports
// resumed. from and to are the versions of the old key and the new.
func (r *Ring) BeginIndexRotation() (from, to uint32, resumed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.incoming != nil:
		return r.index.version, r.incoming.version, true
	case r.retiring != nil:
		return r.retiring.version, r.index.version, true
	}
	r.incoming = newIndexKey(r.index.version+1, random(32), time.Now().UTC())
	return r.index.version, r.incoming.version, false
}

// SwitchIndexKey makes the incoming index key current and keeps the old
// one as retiring: new indexes are made under the new key, lookups still
// try the old one. It reports whether there was an incoming key. The
// caller saves the ring, waits for every node to read it, and re-indexes
// every identifier.
func (r *Ring) SwitchIndexKey() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.incoming == nil {
		return false
	}
	r.index, r.retiring, r.incoming = r.incoming, r.index, nil
	return true
}

// FinishIndexRotation forgets the retiring index key. The caller saves the
// ring once no identifier is indexed under it any more.
func (r *Ring) FinishIndexRotation() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retiring = nil
}

// JournalKey returns the journal signing key.
func (r *Ring) JournalKey() ed25519.PrivateKey { return r.journal }

// JournalPublicKey returns the key that verifies the journal's signatures.
func (r *Ring) JournalPublicKey() ed25519.PublicKey {
	return r.journal.Public().(ed25519.PublicKey)
}

// Seal encrypts plaintext under dk, bound to ad.
func Seal(dk DataKey, ad, plaintext []byte) []byte {
	return seal(dk[:], nil, ad, plaintext)
}

// Open decrypts a ciphertext made by Seal with the same dk and ad.
func Open(dk DataKey, ad, ciphertext []byte) ([]byte, error) {
	return open(dk[:], ciphertext, ad)
}

func gcm(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic("keys: " + err.Error()) // only for a key of the wrong length: a bug
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic("keys: " + err.Error())
	}
	return a
}

// seal returns prefix || nonce || ciphertext.
func seal(key, prefix, ad, plaintext []byte) []byte {
	return sealWith(gcm(key), prefix, ad, plaintext)
}

func sealWith(a cipher.AEAD, prefix, ad, plaintext []byte) []byte {
	out := make([]byte, len(prefix), len(prefix)+a.NonceSize()+len(plaintext)+a.Overhead())
	copy(out, prefix)
	nonce := random(a.NonceSize())
	out = append(out, nonce...)
	return a.Seal(out, nonce, plaintext, ad)
}

func open(key, ct, ad []byte) ([]byte, error) {
	return openWith(gcm(key), ct, ad)
}

func openWith(a cipher.AEAD, ct, ad []byte) ([]byte, error) {
	if len(ct) < a.NonceSize()+a.Overhead() {
		return nil, ErrOpen
	}
	pt, err := a.Open(nil, ct[:a.NonceSize()], ct[a.NonceSize():], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
