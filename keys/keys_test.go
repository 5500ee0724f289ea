package keys_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/derbes/derbes/keys"
)

func TestDataKeysOpenOnlyForTheirOwner(t *testing.T) {
	t.Parallel()
	ring, _ := keys.Generate()
	dk, wrapped, err := ring.NewDataKey("subject-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ring.Unwrap("subject-1", wrapped)
	if err != nil || got != dk {
		t.Fatalf("unwrap: %v", err)
	}
	if _, err := ring.Unwrap("subject-2", wrapped); !errors.Is(err, keys.ErrOpen) {
		t.Fatalf("a data key moved to another subject opened: %v", err)
	}
	flipped := bytes.Clone(wrapped)
	flipped[len(flipped)-1] ^= 1
	if _, err := ring.Unwrap("subject-1", flipped); !errors.Is(err, keys.ErrOpen) {
		t.Fatalf("a tampered data key opened: %v", err)
	}
	other, _ := keys.Generate()
	if _, err := other.Unwrap("subject-1", wrapped); !errors.Is(err, keys.ErrOpen) {
		t.Fatalf("another keyring opened the data key: %v", err)
	}
}

func TestFieldCiphertextsAreBoundToTheirContext(t *testing.T) {
	t.Parallel()
	ring, _ := keys.Generate()
	dk, _, _ := ring.NewDataKey("s")
	ct := keys.Seal(dk, []byte("record-1/full_name"), []byte("Айгерім"))
	if bytes.Contains(ct, []byte("Айгерім")) {
		t.Fatal("plaintext inside the ciphertext")
	}
	if pt, err := keys.Open(dk, []byte("record-1/full_name"), ct); err != nil || string(pt) != "Айгерім" {
		t.Fatalf("open: %q %v", pt, err)
	}
	for _, ad := range []string{"record-2/full_name", "record-1/address", ""} {
		if _, err := keys.Open(dk, []byte(ad), ct); !errors.Is(err, keys.ErrOpen) {
			t.Errorf("opened under %q: %v", ad, err)
		}
	}
	if _, err := keys.Open(dk, nil, ct[:5]); !errors.Is(err, keys.ErrOpen) {
		t.Errorf("a truncated ciphertext: %v", err)
	}
}

func TestRotationKeepsOldKeysReadableAndWrapsNewOnesWithTheNewMaster(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "keyring.json")
	ring, _ := keys.Generate()
	if err := ring.Save(path); err != nil {
		t.Fatal(err)
	}
	dk, old, _ := ring.NewDataKey("s")
	// Another process rotates the keyring file...
	admin, err := keys.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	v := admin.AddMaster()
	if err := admin.Save(path); err != nil {
		t.Fatal(err)
	}
	rewrapped, _ := admin.Wrap("s", dk)
	if keys.WrappedVersion(rewrapped) != v || keys.WrappedVersion(old) != 1 {
		t.Fatalf("versions: %d %d", keys.WrappedVersion(rewrapped), keys.WrappedVersion(old))
	}
	// ...and the serving process, still on the old ring, reads both.
	for _, w := range [][]byte{old, rewrapped} {
		if got, err := ring.Unwrap("s", w); err != nil || got != dk {
			t.Fatalf("unwrap version %d: %v", keys.WrappedVersion(w), err)
		}
	}
	if ring.Current() != v {
		t.Fatalf("the serving ring did not learn master %d", v)
	}
}

func TestTheKeyringFileIsPrivate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "keyring.json")
	ring, _ := keys.Generate()
	if err := ring.Save(path); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", st.Mode().Perm())
	}
	os.Chmod(path, 0o644)
	if _, err := keys.Load(path); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("a world-readable keyring loaded: %v", err)
	}
	if _, err := keys.Load(filepath.Join(dir, "none.json")); err == nil || !strings.Contains(err.Error(), "keys init") {
		t.Fatalf("a missing keyring: %v", err)
	}
	if _, err := keys.Parse([]byte(`{"format":1}`)); err == nil {
		t.Fatal("an empty keyring parsed")
	}
}

func TestBlindIndexesDependOnKindAndKey(t *testing.T) {
	t.Parallel()
	a, _ := keys.Generate()
	b, _ := keys.Generate()
	if !bytes.Equal(a.Index("iin", "950312405675"), a.Index("iin", "950312405675")) {
		t.Fatal("the same value indexes differently")
	}
	if bytes.Equal(a.Index("iin", "950312405675"), a.Index("phone", "950312405675")) {
		t.Fatal("kinds share an index")
	}
	if bytes.Equal(a.Index("iin", "950312405675"), b.Index("iin", "950312405675")) {
		t.Fatal("two keyrings give the same index")
	}
}
