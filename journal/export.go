package journal

import (
	"bufio"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
)

// The export format is JSON Lines: a header line with the journal's public
// key, one line per entry, and a trailer with the checkpoints and the signed
// head. It verifies offline with Verify, given a public key obtained from
// the operator (the header's key is shown for comparison, not trusted).

type exportLine struct {
	Kind        string            `json:"kind"` // header | entry | trailer
	Format      int               `json:"format,omitempty"`
	PublicKey   ed25519.PublicKey `json:"public_key,omitempty"`
	Entry       *Entry            `json:"entry,omitempty"`
	Checkpoints []Head            `json:"checkpoints,omitempty"`
	Head        *Head             `json:"head,omitempty"`
}

// ExportWriter writes an export.
type ExportWriter struct {
	enc *json.Encoder
	bw  *bufio.Writer
}

// NewExportWriter returns a writer to w.
func NewExportWriter(w io.Writer) *ExportWriter {
	bw := bufio.NewWriter(w)
	return &ExportWriter{enc: json.NewEncoder(bw), bw: bw}
}

// Begin writes the header.
func (x *ExportWriter) Begin(pub ed25519.PublicKey) error {
	return x.enc.Encode(exportLine{Kind: "header", Format: 1, PublicKey: pub})
}

// Entry writes one entry.
func (x *ExportWriter) Entry(e *Entry) error {
	return x.enc.Encode(exportLine{Kind: "entry", Entry: e})
}

// End writes the trailer and flushes.
func (x *ExportWriter) End(cps []Head, head *Head) error {
	if head != nil && head.Size == 0 {
		head = nil
	}
	if err := x.enc.Encode(exportLine{Kind: "trailer", Checkpoints: cps, Head: head}); err != nil {
		return err
	}
	return x.bw.Flush()
}

// Export is a journal read back from an export file.
type Export struct {
	PublicKey   ed25519.PublicKey
	Entries     []*Entry
	Checkpoints []Head
	Head        *Head
}

// ReadExport reads an export. A file without its trailer is reported: it
// was cut short.
func ReadExport(r io.Reader) (*Export, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var x Export
	line := 0
	trailer := false
	for {
		var l exportLine
		err := dec.Decode(&l)
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("journal export line %d: %v", line, err)
		}
		switch {
		case trailer:
			return nil, fmt.Errorf("journal export line %d: data after the trailer", line)
		case l.Kind == "header" && line == 1:
			if l.Format != 1 {
				return nil, fmt.Errorf("journal export: format %d is not supported", l.Format)
			}
			x.PublicKey = l.PublicKey
		case l.Kind == "entry" && line > 1 && l.Entry != nil:
			x.Entries = append(x.Entries, l.Entry)
		case l.Kind == "trailer" && line > 1:
			x.Checkpoints, x.Head, trailer = l.Checkpoints, l.Head, true
		default:
			return nil, fmt.Errorf("journal export line %d: unexpected %q line", line, l.Kind)
		}
	}
	if line == 0 {
		return nil, errors.New("journal export: empty file")
	}
	if !trailer {
		return nil, errors.New("journal export: no trailer: the file was cut short")
	}
	return &x, nil
}

// All yields the export's entries for Verify.
func (x *Export) All() iter.Seq2[*Entry, error] {
	return func(yield func(*Entry, error) bool) {
		for _, e := range x.Entries {
			if !yield(e, nil) {
				return
			}
		}
	}
}
