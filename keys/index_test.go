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

func TestAnIndexRotationHoldsBothKeysUntilItFinishes(t *testing.T) {
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
	// Incoming: new indexes still under the old key, lookups try both.
	bs := ring.Blinds("phone", "+77011234567")
	if len(bs) != 2 || bs[0].Version != 1 || bs[1].Version != 2 || !bytes.Equal(bs[0].Hash, before) || bytes.Equal(bs[1].Hash, before) {
		t.Fatalf("blinds with an incoming key: %+v", bs)
	}
	if !ring.SwitchIndexKey() || ring.SwitchIndexKey() {
		t.Fatal("switch: the incoming key is switched once")
	}
	bs = ring.Blinds("phone", "+77011234567")
	if len(bs) != 2 || bs[0].Version != 2 || bs[1].Version != 1 || !bytes.Equal(bs[1].Hash, before) {
		t.Fatalf("blinds after the switch: %+v", bs)
	}
	if from, to, resumed := ring.BeginIndexRotation(); from != 1 || to != 2 || !resumed {
		t.Fatalf("begin after the switch does not resume: %d → %d %v", from, to, resumed)
	}
	path := filepath.Join(t.TempDir(), "keyring.json")
	if err := ring.Save(path); err != nil {
		t.Fatal(err)
	}
	again, err := keys.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cur, other := again.IndexVersions(); cur != 2 || other != 1 {
		t.Fatalf("reloaded mid-rotation: %d, %d", cur, other)
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
		if cur, incoming := node.IndexVersions(); cur == 1 && incoming == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the node never saw the new index key")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Each later step is followed too, never an earlier one.
	for _, step := range []func(){func() { ring.SwitchIndexKey() }, ring.FinishIndexRotation} {
		step()
		if err := ring.Save(path); err != nil {
			t.Fatal(err)
		}
		want := ring.Blinds("iin", "950312405675")
		deadline := time.Now().Add(5 * keys.RefreshEvery)
		for {
			got := node.Blinds("iin", "950312405675")
			if len(got) == len(want) && got[0].Version == want[0].Version && bytes.Equal(got[0].Hash, want[0].Hash) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the node did not follow: %+v, want %+v", got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
