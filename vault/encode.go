package vault

import (
	"encoding/binary"
	"errors"
	"slices"

	"github.com/derbes/derbes/keys"
)

// Field values are stored as one blob per record (and one per subject for
// its identifiers): for each field, in name order, its name and its
// ciphertext, each preceded by its length as a uvarint. Each ciphertext is
// bound to its owner and field name, so a value moved to another field or
// row does not open.

func fieldAD(kind, owner, field string) []byte {
	return []byte("derbes " + kind + "\x00" + owner + "\x00" + field)
}

func sealFields(dk keys.DataKey, kind, owner string, values map[string]string) []byte {
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, n := range names {
		ct := keys.Seal(dk, fieldAD(kind, owner, n), []byte(values[n]))
		b = binary.AppendUvarint(b, uint64(len(n)))
		b = append(b, n...)
		b = binary.AppendUvarint(b, uint64(len(ct)))
		b = append(b, ct...)
	}
	return b
}

var errBlob = errors.New("vault: encrypted fields are malformed")

// openFields decrypts the fields of a blob for which want returns true.
func openFields(dk keys.DataKey, kind, owner string, blob []byte, want func(string) bool) (map[string]string, error) {
	n, k := binary.Uvarint(blob)
	if k <= 0 || n > 1024 {
		return nil, errBlob
	}
	blob = blob[k:]
	out := make(map[string]string, n)
	for range n {
		name, rest, err := chunk(blob)
		if err != nil {
			return nil, err
		}
		ct, rest, err := chunk(rest)
		if err != nil {
			return nil, err
		}
		blob = rest
		if !want(string(name)) {
			continue
		}
		pt, err := keys.Open(dk, fieldAD(kind, owner, string(name)), ct)
		if err != nil {
			return nil, err
		}
		out[string(name)] = string(pt)
	}
	return out, nil
}

func chunk(b []byte) ([]byte, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return nil, nil, errBlob
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}
