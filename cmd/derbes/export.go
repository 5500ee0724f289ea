package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/derbes/derbes/vault"
)

// ExportSubjectCmd writes a subject's data for a purpose as JSON.
type ExportSubjectCmd struct {
	ID      string `arg:"" help:"The subject's id."`
	Purpose string `help:"The purpose of this read (the subject's records of it are exported)." required:""`
	Role    string `help:"The policy role you act in (it needs the read action and the purpose)." required:""`
	Output  string `help:"Write to this file (mode 0600, never overwritten) instead of standard output." short:"o" type:"path"`
}

// Run writes the export.
func (c *ExportSubjectCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.openActive(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	p, err := in.vault.ExportSubject(ctx, vault.Actor{ID: "cli", Role: c.Role}, c.ID, c.Purpose)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if c.Output == "" {
		_, err = os.Stdout.Write(b)
		return err
	}
	return writeNew(c.Output, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// ExportPurposeCmd writes every subject of a purpose as JSON Lines.
type ExportPurposeCmd struct {
	Purpose string `help:"The purpose whose subjects and records to export." required:""`
	Role    string `help:"The policy role you act in (it needs the admin and read actions and the purpose)." required:""`
	Out     string `help:"The file to write (JSON Lines, mode 0600, never overwritten)." required:"" type:"path"`
}

// Run writes the export, one subject per line.
func (c *ExportPurposeCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.openActive(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	var n int
	err = writeNew(c.Out, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		n, err = in.vault.ExportPurpose(ctx, vault.Actor{ID: "cli", Role: c.Role}, c.Purpose, func(p *vault.Portable) error { return enc.Encode(p) })
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "exported %d subjects of purpose %s to %s\n", n, c.Purpose, c.Out)
	return nil
}

// writeNew writes a file that must not exist yet, mode 0600, all or
// nothing: the content goes to path+".partial" and is linked into place
// only once complete (a link, unlike a rename, never replaces a file that
// appeared meanwhile). A failure leaves neither file behind.
func writeNew(path string, write func(io.Writer) error) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists; an export never overwrites a file", path)
	}
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists: another export is writing it, or one was cut short (remove it)", tmp)
		}
		return err
	}
	defer os.Remove(tmp)
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists; an export never overwrites a file", path)
		}
		return err
	}
	return nil
}
