package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// BackupCmd copies the embedded store while it serves.
type BackupCmd struct {
	Dir  string `arg:"" help:"An empty directory for the copy." type:"path"`
	Keys bool   `help:"Also copy the key store (keys.db). Keep that copy apart from the data copies and short-lived: with an old data copy it brings destroyed people back."`
}

// Run writes the copy.
func (c *BackupCmd) Run(g *Globals) error {
	ctx := context.Background()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	if err := in.store.Backup(ctx, c.Dir, c.Keys); err != nil {
		return err
	}
	fmt.Printf("backup written to %s (data%s). The keyring is not in it: back it up apart.\n", c.Dir, map[bool]string{true: " and key store", false: " only"}[c.Keys])
	return nil
}

// RestoreCmd puts a backup back into the data directory; derbes must be
// stopped.
type RestoreCmd struct {
	Dir   string `arg:"" help:"The backup directory." type:"existingdir"`
	Force bool   `help:"Replace the current data directory's files."`
}

// Run restores. The key store stays the current one unless the backup has
// one: then the data of subjects destroyed since the backup can be read
// again, which the law forbids; derbes refuses unless --force says the
// operator knows.
func (c *RestoreCmd) Run(g *Globals) error {
	if g.DB != "" {
		return fmt.Errorf("restore a PostgreSQL store with pg_restore (see docs/operations.md)")
	}
	// Check everything first, so that a refusal leaves nothing half-restored.
	var names []string
	for _, name := range []string{"keys.db", "derbes.db"} {
		if _, err := os.Stat(filepath.Join(c.Dir, name)); err != nil {
			continue
		}
		if name == "keys.db" && !c.Force {
			return fmt.Errorf("the backup holds a key store: restoring it brings back subjects destroyed since the backup; use --force only to recover from losing the key store itself")
		}
		if _, err := os.Stat(filepath.Join(g.DataDir, name)); err == nil && !c.Force {
			return fmt.Errorf("%s exists; stop derbes and use --force to replace it", filepath.Join(g.DataDir, name))
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return fmt.Errorf("%s holds no backup (derbes.db)", c.Dir)
	}
	if err := os.MkdirAll(g.DataDir, 0o700); err != nil {
		return err
	}
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(c.Dir, name))
		if err != nil {
			return err
		}
		dst := filepath.Join(g.DataDir, name)
		for _, suffix := range []string{"-wal", "-shm"} {
			os.Remove(dst + suffix)
		}
		// Write beside and rename: a crash leaves the old file or the new one.
		if err := os.WriteFile(dst+".restoring", b, 0o600); err != nil {
			return err
		}
		if err := os.Rename(dst+".restoring", dst); err != nil {
			return err
		}
		fmt.Printf("restored %s\n", dst)
	}
	return nil
}
