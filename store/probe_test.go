package store_test

import (
	"context"
	"os"
	"testing"

	"github.com/derbes/derbes/store/storetest"
)

// The commit probe of derbes bench commits rows from concurrent clients
// and leaves nothing behind in the operator's store: no file in the data
// directory, no table in the schema.
func TestCommitProbeCommitsAndLeavesNothing(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := storetest.Open(t, d)
			ctx := context.Background()
			p, err := env.Store.CommitProbe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			errs := make(chan error, 4)
			for range 4 {
				go func() {
					for range 10 {
						if err := p.Commit(ctx); err != nil {
							errs <- err
							return
						}
					}
					errs <- nil
				}()
			}
			for range 4 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			switch d {
			case "sqlite":
				ents, err := os.ReadDir(env.Dir)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range ents {
					if e.IsDir() {
						t.Errorf("the probe left %s in the data directory", e.Name())
					}
				}
			case "postgres":
				var n int
				if err := env.Raw.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'commit_probe'", env.Schema).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Error("the probe left its table in the schema")
				}
			}
		})
	}
}
