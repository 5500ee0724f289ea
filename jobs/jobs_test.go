package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/derbes/derbes/jobs"
	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/store/storetest"
)

// clock is a time every node of a test shares and the test moves.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

type testBundle struct {
	env   *storetest.Env
	clock *clock
}

func setup(t *testing.T, dialect string) *testBundle {
	t.Helper()
	return &testBundle{env: storetest.Open(t, dialect), clock: newClock()}
}

// node returns a scheduler as one derbes node would run it: on PostgreSQL
// with its own connection pool, as a separate process would have; the
// embedded store has one process, so its nodes share it.
func (b *testBundle) node(t *testing.T, name string) (*jobs.Scheduler, *store.Store) {
	t.Helper()
	s := b.env.Store
	if b.env.Dialect == "postgres" {
		var err error
		s, err = store.Open(context.Background(), b.env.Config)
		noError(t, err)
		t.Cleanup(func() { s.Close() })
	}
	return jobs.New(s, jobs.Options{Node: name, Now: b.clock.now}), s
}

func schedule(t *testing.T, s *store.Store, name string) store.JobSchedule {
	t.Helper()
	all, err := jobs.Schedules(context.Background(), s)
	noError(t, err)
	for _, j := range all {
		if j.Name == name {
			return j
		}
	}
	t.Fatalf("no job %s in %v", name, all)
	return store.JobSchedule{}
}

func TestScheduler(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()

			t.Run("four nodes run each due job exactly once per period", func(t *testing.T) {
				t.Parallel()
				b := setup(t, dialect)
				ctx := context.Background()
				var hourly, fiveMin atomic.Int64
				var nodes []*jobs.Scheduler
				for i := range 4 {
					n, _ := b.node(t, fmt.Sprintf("node-%d", i))
					noError(t, n.Register(jobs.Job{Name: "hourly", Every: time.Hour, Run: func(ctx context.Context, r *jobs.Run) (string, error) {
						hourly.Add(1)
						return "", nil
					}}))
					noError(t, n.Register(jobs.Job{Name: "five-minutes", Every: 5 * time.Minute, Run: func(ctx context.Context, r *jobs.Run) (string, error) {
						fiveMin.Add(1)
						return "", nil
					}}))
					noError(t, n.Ensure(ctx))
					nodes = append(nodes, n)
				}
				// Two hours in five-minute steps; at each step every node
				// looks for due jobs at the same moment, several times.
				for step := range 25 {
					var wg sync.WaitGroup
					for _, n := range nodes {
						for range 3 {
							wg.Go(func() {
								_, err := n.RunDue(ctx)
								noError(t, err)
							})
						}
					}
					wg.Wait()
					equal(t, int64(step+1), fiveMin.Load(), fmt.Sprintf("five-minute job at step %d", step))
					equal(t, int64(step/12+1), hourly.Load(), fmt.Sprintf("hourly job at step %d", step))
					b.clock.advance(5 * time.Minute)
				}
			})

			t.Run("a failure stays visible and is retried after 1, 2, 4 minutes", func(t *testing.T) {
				t.Parallel()
				b := setup(t, dialect)
				ctx := context.Background()
				n, s := b.node(t, "node")
				fail := 3
				noError(t, n.Register(jobs.Job{Name: "flaky", Every: time.Hour, Run: func(ctx context.Context, r *jobs.Run) (string, error) {
					if fail > 0 {
						fail--
						return "", errors.New("the mail server said no")
					}
					return "sent 1", nil
				}}))
				noError(t, n.Ensure(ctx))
				for attempt, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
					ran, err := n.RunDue(ctx)
					noError(t, err)
					equal(t, 1, ran)
					j := schedule(t, s, "flaky")
					equal(t, attempt+1, j.Attempts)
					equal(t, "the mail server said no", j.LastError)
					equal(t, b.clock.now().Add(wait), j.NextRunAt)
					equal(t, true, j.LastOK.IsZero(), "a failed job has a last success")

					b.clock.advance(wait - time.Second)
					ran, err = n.RunDue(ctx)
					noError(t, err)
					equal(t, 0, ran, "retried before its backoff ended")
					b.clock.advance(time.Second)
				}
				ran, err := n.RunDue(ctx)
				noError(t, err)
				equal(t, 1, ran)
				j := schedule(t, s, "flaky")
				equal(t, 0, j.Attempts)
				equal(t, "", j.LastError)
				equal(t, b.clock.now(), j.LastOK)
				runs, err := func() (out []store.JobRun, err error) {
					err = s.Read(ctx, func(r *store.Reader) error { out, err = r.JobRuns(ctx, 10); return err })
					return
				}()
				noError(t, err)
				equal(t, 4, len(runs))
				equal(t, "ok", runs[0].Outcome)
				equal(t, "sent 1", runs[0].Summary)
				equal(t, "failed", runs[1].Outcome)
			})

			t.Run("a dead node's run is taken over when its lease ends, and it can no longer complete", func(t *testing.T) {
				t.Parallel()
				b := setup(t, dialect)
				ctx := context.Background()
				n, s := b.node(t, "alive")
				var ran atomic.Int64
				noError(t, n.Register(jobs.Job{Name: "sweep", Every: time.Hour, Run: func(ctx context.Context, r *jobs.Run) (string, error) {
					ran.Add(1)
					return "", nil
				}}))
				noError(t, n.Ensure(ctx))
				// A node claims the run and dies (no renewal, no end).
				noError(t, s.Write(ctx, func(tx *store.Tx) error {
					_, err := tx.JobClaim(ctx, "sweep", "dead/1", b.clock.now(), b.clock.now().Add(10*time.Minute))
					return err
				}))
				got, err := n.RunDue(ctx)
				noError(t, err)
				equal(t, 0, got, "ran while another node's lease holds")

				b.clock.advance(10*time.Minute + time.Second)
				got, err = n.RunDue(ctx)
				noError(t, err)
				equal(t, 1, got)
				equal(t, int64(1), ran.Load())

				err = s.Write(ctx, func(tx *store.Tx) error {
					return tx.JobComplete(ctx, "sweep", "dead/1", b.clock.now().Add(time.Hour), b.clock.now())
				})
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("a lost claim completed: %v", err)
				}
				j := schedule(t, s, "sweep")
				equal(t, b.clock.now().Add(-10*time.Minute-time.Second).Add(time.Hour), j.NextRunAt)
			})

			t.Run("a job that completes in its own transaction commits its work and its period together", func(t *testing.T) {
				t.Parallel()
				b := setup(t, dialect)
				ctx := context.Background()
				n, s := b.node(t, "node")
				rollback := true
				noError(t, n.Register(jobs.Job{Name: "work", Every: time.Hour, Run: func(ctx context.Context, r *jobs.Run) (string, error) {
					err := s.Write(ctx, func(tx *store.Tx) error {
						if err := tx.JobRunInsert(ctx, store.JobRun{Job: "work-effect", StartedAt: r.Due(), FinishedAt: r.Due(), Node: "n", Outcome: "ok", Summary: "the work"}); err != nil {
							return err
						}
						if err := r.Complete(ctx, tx); err != nil {
							return err
						}
						if rollback {
							return errors.New("the last write failed")
						}
						return nil
					})
					return "", err
				}}))
				noError(t, n.Ensure(ctx))
				effects := func() int {
					var runs []store.JobRun
					noError(t, s.Read(ctx, func(r *store.Reader) error {
						var err error
						runs, err = r.JobRuns(ctx, 100)
						return err
					}))
					k := 0
					for _, r := range runs {
						if r.Job == "work-effect" {
							k++
						}
					}
					return k
				}

				_, err := n.RunDue(ctx)
				noError(t, err)
				equal(t, 0, effects(), "the work of a failed transaction was kept")
				j := schedule(t, s, "work")
				equal(t, 1, j.Attempts, "the period was completed though its work rolled back")

				rollback = false
				b.clock.advance(time.Minute)
				_, err = n.RunDue(ctx)
				noError(t, err)
				equal(t, 1, effects())
				j = schedule(t, s, "work")
				equal(t, 0, j.Attempts)
				equal(t, true, j.NextRunAt.After(b.clock.now()), "the next run is not in the future")
			})
		})
	}
}

func TestStopIsSafeTwiceAndGivesARunBack(t *testing.T) {
	t.Parallel()
	env := storetest.Open(t, "sqlite")
	started := make(chan struct{})
	n := jobs.New(env.Store, jobs.Options{Node: "node", Poll: time.Millisecond})
	noError(t, n.Register(jobs.Job{Name: "long", Every: time.Hour, Run: func(ctx context.Context, r *jobs.Run) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	}}))
	noError(t, n.Start(context.Background()))
	<-started
	n.Stop()
	n.Stop()
	j := schedule(t, env.Store, "long")
	equal(t, "", j.LeaseOwner, "a stopped node kept its lease")
	equal(t, 0, j.Attempts, "a shutdown counted as a failure")
	equal(t, false, j.NextRunAt.After(time.Now()), "the unfinished run is no longer due")
}

func noError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func equal[T comparable](t *testing.T, want, got T, why ...any) {
	t.Helper()
	if w, ok := any(want).(time.Time); ok && w.Equal(any(got).(time.Time)) {
		return
	}
	if want != got {
		t.Fatalf("want %v, got %v %s", want, got, fmt.Sprint(why...))
	}
}
