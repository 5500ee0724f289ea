package keys_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/derbes/derbes/keys"
)

func TestAKeyringFromBeforeVersionedIndexKeysKeepsItsIndexes(t *testing.T) {
	t.Parallel()
	ring, _ := keys.Generate()
	path := filepath.Join(t.TempDir(), "keyring.json")
	if err := ring.Save(path); err != nil {
		t.Fatal(err)
	}
	// Rewrite it as the first format wrote it: one "index_key".
	var f map[string]any
	b, _ := os.ReadFile(path)
	json.Unmarshal(b, &f)
	f["index_key"] = f["index_keys"].([]any)[0].(map[string]any)["key"]
	delete(f, "index_keys")
	b, _ = json.Marshal(f)
	os.WriteFile(path, b, 0o600)
	old, err := keys.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old.Index("iin", "950312405675"), ring.Index("iin", "950312405675")) {
		t.Fatal("the blind index changed with the file format")
	}
	if cur, retiring := old.IndexVersions(); cur != 1 || retiring != 0 {
		t.Fatalf("versions %d, %d", cur, retiring)
	}
}

func TestAnIndexRotationKeepsTheRetiringKeyUntilItFinishes(t *testing.T) {
	t.Parallel()
	ring, _ := keys.Generate()
	before := ring.Index("phone", "+77011234567")
	from, to, resumed := ring.BeginIndexRotation()
	if from != 1 || to != 2 || resumed {
		t.Fatalf("begin: %d → %d resumed %v", from, to, resumed)
	}
	if from, to, resumed := ring.BeginIndexRotation(); from != 1 || to != 2 || !resumed {
		t.Fatalf("a second begin does not resume: %d → %d %v", from, to, resumed)
	}
	bs := ring.Blinds("phone", "+77011234567")
	if len(bs) != 2 || bs[0].Version != 2 || bs[1].Version != 1 || !bytes.Equal(bs[1].Hash, before) || bytes.Equal(bs[0].Hash, before) {
		t.Fatalf("blinds during the rotation: %+v", bs)
	}
	path := filepath.Join(t.TempDir(), "keyring.json")
	if err := ring.Save(path); err != nil {
		t.Fatal(err)
	}
	again, err := keys.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cur, retiring := again.IndexVersions(); cur != 2 || retiring != 1 {
		t.Fatalf("reloaded mid-rotation: %d, %d", cur, retiring)
	}
	ring.FinishIndexRotation()
	if bs := ring.Blinds("phone", "+77011234567"); len(bs) != 1 || bs[0].Version != 2 {
		t.Fatalf("blinds after the rotation: %+v", bs)
	}
}

func TestAnotherProcessFollowsARotationOfTheIndexKey(t *testing.T) {
	t.Parallel()
	ring, _ := keys.Generate()
	path := filepath.Join(t.TempDir(), "keyring.json")
	if err := ring.Save(path); err != nil {
		t.Fatal(err)
	}
	node, err := keys.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ring.BeginIndexRotation()
	if err := ring.Save(path); err != nil {
		t.Fatal(err)
	}
	// The node looks at the file at most once a second.
	deadline := time.Now().Add(5 * keys.RefreshEvery)
	for {
		if cur, retiring := node.IndexVersions(); cur == 2 && retiring == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the node never saw the new index key")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !bytes.Equal(node.Index("iin", "950312405675"), ring.Index("iin", "950312405675")) {
		t.Fatal("the node indexes under another key")
	}
}
