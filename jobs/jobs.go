// Package jobs runs derbes's periodic work — the retention sweep, notices,
// reminders, journal verification — exactly once per period, however many
// nodes share the store.
//
// Use New, Register every job (every node must register all of them), then
// Start; Stop before closing the store. Schedules lists the shared state
// for the CLI, the API and metrics.
//
// How exactly-once works: each job has one row in the store's job_schedule
// table. A node claims a due job with a single conditional UPDATE (due, and
// no unexpired lease), so among nodes racing for it exactly one wins. The
// winner holds a lease (10 minutes by default) that it renews while the
// job runs; if the node dies, the lease runs out and another node takes
// the run over. Completing writes the next due time and clears the lease;
// a job that can should do it in the transaction of its last write with
// Run.Complete, so that the work and the end of the period commit
// together. A claim that was lost (the lease ran out and another node took
// it) can no longer complete: Complete fails with ErrLeaseLost and the
// job's transaction rolls back. A failure is kept (attempts, last error),
// and the job is retried after 1, 2, 4 … minutes, at most its period or an
// hour.
//
// Why not riverqueue/river, which the issue suggested: its PostgreSQL
// driver is served here at v0.51.1, but its SQLite driver only at v0.31.0,
// which does not compile against it (see STACK.md); so the embedded store
// would need a scheduler of its own anyway. river would add its own
// tables, migrations and LISTEN/NOTIFY (which breaks behind pgbouncer in
// transaction mode) for a handful of periodic jobs; one small scheduler
// over the store's own transactions runs the same code on both stores and
// gives the same transactional completion as river's JobCompleteTx.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/derbes/derbes/store"
)

// ErrLeaseLost means the run's claim is no longer this node's: its lease
// ran out and another node took the run over.
var ErrLeaseLost = errors.New("jobs: the lease on this run was lost to another node")

// Job is a periodic job.
type Job struct {
	// Name identifies the job in the store; every node uses the same.
	Name string
	// Every is the period.
	Every time.Duration
	// Run does one period's work and says what it did (counts, never
	// personal data). It may call r.Complete in its last transaction.
	Run func(ctx context.Context, r *Run) (summary string, err error)
}

// Options tune a Scheduler; zero values take the defaults.
type Options struct {
	// Node names this process in leases and in the runs' history.
	Node string
	// Lease is how long a claim holds without renewal (10 minutes); it is
	// renewed every third of it while the job runs.
	Lease time.Duration
	// Poll is how often due jobs are looked for (15 seconds).
	Poll time.Duration
	// MaxBackoff caps the wait before retrying a failed job (1 hour; never
	// more than the job's period).
	MaxBackoff time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
	// Log receives failures (slog.Default()).
	Log *slog.Logger
}

// Scheduler runs registered jobs when they are due.
type Scheduler struct {
	store *store.Store
	opt   Options
	jobs  []*Job

	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
	running  sync.Map // job name → struct{}: runs on this node
}

// New returns a scheduler over s.
func New(s *store.Store, opt Options) *Scheduler {
	if opt.Node == "" {
		opt.Node = "derbes"
	}
	if opt.Lease <= 0 {
		opt.Lease = 10 * time.Minute
	}
	if opt.Poll <= 0 {
		opt.Poll = 15 * time.Second
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	return &Scheduler{store: s, opt: opt}
}

// Register adds a job; call it before Start.
func (s *Scheduler) Register(j Job) error {
	if j.Name == "" || j.Every <= 0 || j.Run == nil {
		return fmt.Errorf("jobs: a job needs a name, a period and a function")
	}
	for _, k := range s.jobs {
		if k.Name == j.Name {
			return fmt.Errorf("jobs: job %q registered twice", j.Name)
		}
	}
	s.jobs = append(s.jobs, &j)
	return nil
}

// Start records the registered jobs in the store (a new job is due at
// once) and runs them when due until ctx ends or Stop is called.
func (s *Scheduler) Start(ctx context.Context) error {
	if err := s.Ensure(ctx); err != nil {
		return err
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.opt.Poll)
		defer t.Stop()
		for {
			if _, err := s.claimAndStart(ctx); err != nil && ctx.Err() == nil {
				s.opt.Log.Warn("jobs: could not look for due jobs", slog.String("error", err.Error()))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

// Stop ends the loop and waits for running jobs, which see their context
// cancelled and give their run back still due. It is safe to call twice.
func (s *Scheduler) Stop() {
	s.stopOnce.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
	})
	s.wg.Wait()
}

// Ensure records the registered jobs in the store; a job not yet there is
// due at once.
func (s *Scheduler) Ensure(ctx context.Context) error {
	now := s.opt.Now()
	return s.store.Write(ctx, func(tx *store.Tx) error {
		for _, j := range s.jobs {
			if err := tx.JobScheduleEnsure(ctx, j.Name, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// RunDue runs, once, every registered job that is due and not held by
// another node, and waits for them; it returns how many this node ran.
// Call Ensure first.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	runs, err := s.claimAndStart(ctx)
	for _, r := range runs {
		<-r.done
	}
	return len(runs), err
}

// claimAndStart claims the due jobs and starts each in its goroutine.
func (s *Scheduler) claimAndStart(ctx context.Context) ([]*Run, error) {
	var runs []*Run
	for _, j := range s.jobs {
		if _, busy := s.running.Load(j.Name); busy {
			continue
		}
		r, err := s.claim(ctx, j)
		if errors.Is(err, store.ErrNotFound) {
			continue // not due, or another node has it
		}
		if err != nil {
			return runs, err
		}
		s.running.Store(j.Name, struct{}{})
		runs = append(runs, r)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(r.done)
			defer s.running.Delete(j.Name)
			s.execute(ctx, r)
		}()
	}
	return runs, nil
}

func (s *Scheduler) claim(ctx context.Context, j *Job) (*Run, error) {
	var tag [6]byte
	rand.Read(tag[:])
	r := &Run{s: s, job: j, owner: s.opt.Node + "/" + hex.EncodeToString(tag[:]), done: make(chan struct{})}
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		now := s.opt.Now()
		c, err := tx.JobClaim(ctx, j.Name, r.owner, now, now.Add(s.opt.Lease))
		if err != nil {
			return err
		}
		r.claim, r.started = *c, now
		return nil
	})
	return r, err
}

// execute runs a claimed job, keeps its lease, and ends the run.
func (s *Scheduler) execute(ctx context.Context, r *Run) {
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(s.opt.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
			}
			err := s.store.Write(rctx, func(tx *store.Tx) error {
				return tx.JobRenew(rctx, r.job.Name, r.owner, s.opt.Now().Add(s.opt.Lease))
			})
			if errors.Is(err, store.ErrNotFound) {
				cancel(ErrLeaseLost)
				return
			}
		}
	}()
	summary, err := r.job.Run(rctx, r)
	cancel(nil)
	<-renewed

	// The run's end is written even while the node shuts down.
	fctx := context.WithoutCancel(ctx)
	now := s.opt.Now()
	var ferr error
	switch {
	case err != nil && ctx.Err() != nil:
		// Cut short by shutdown: not a failure, and still due.
		ferr = s.store.Write(fctx, func(tx *store.Tx) error { return tx.JobAbandon(fctx, r.job.Name, r.owner) })
	case err != nil:
		if errors.Is(context.Cause(rctx), ErrLeaseLost) {
			err = ErrLeaseLost
		}
		s.opt.Log.Warn("jobs: a job failed; it will be retried", slog.String("job", r.job.Name), slog.Int("attempts", r.claim.Attempts+1), slog.String("error", err.Error()))
		next := now.Add(s.backoff(r.job, r.claim.Attempts))
		ferr = s.store.Write(fctx, func(tx *store.Tx) error {
			if err := tx.JobRunInsert(fctx, store.JobRun{Job: r.job.Name, StartedAt: r.started, FinishedAt: now, Node: s.opt.Node, Outcome: "failed", Summary: err.Error()}); err != nil {
				return err
			}
			return tx.JobFail(fctx, r.job.Name, r.owner, err.Error(), next, now)
		})
	default:
		ferr = s.store.Write(fctx, func(tx *store.Tx) error {
			// Completing again changes nothing when the job's own
			// transaction did it (the claim is no longer anyone's); when
			// that transaction rolled back, this completes the run.
			err := tx.JobComplete(fctx, r.job.Name, r.owner, r.next(now), now)
			if err != nil && !(errors.Is(err, store.ErrNotFound) && r.completed.Load()) {
				return err
			}
			return tx.JobRunInsert(fctx, store.JobRun{Job: r.job.Name, StartedAt: r.started, FinishedAt: now, Node: s.opt.Node, Outcome: "ok", Summary: summary})
		})
	}
	if errors.Is(ferr, store.ErrNotFound) {
		ferr = ErrLeaseLost
	}
	if ferr != nil {
		s.opt.Log.Warn("jobs: could not end a run", slog.String("job", r.job.Name), slog.String("error", ferr.Error()))
	}
}

// backoff is how long to wait after a run that failed for the attempts+1st
// time in a row: 1, 2, 4 … minutes, at most MaxBackoff and the period.
func (s *Scheduler) backoff(j *Job, attempts int) time.Duration {
	limit := min(s.opt.MaxBackoff, j.Every)
	d := time.Minute
	for range attempts {
		if d >= limit {
			break
		}
		d *= 2
	}
	return min(d, limit)
}

// Schedules returns every registered job's shared state, by name.
func Schedules(ctx context.Context, s *store.Store) ([]store.JobSchedule, error) {
	var out []store.JobSchedule
	err := s.Read(ctx, func(r *store.Reader) error {
		var err error
		out, err = r.JobSchedules(ctx)
		return err
	})
	return out, err
}

// Run is one claimed run of a job.
type Run struct {
	s         *Scheduler
	job       *Job
	owner     string
	claim     store.Claim
	started   time.Time
	completed atomic.Bool
	done      chan struct{}
}

// Due is when this run was due: the start of the period it serves.
func (r *Run) Due() time.Time { return r.claim.Due }

// Node names the claim's holder, for leases of the job's own (such as the
// retention sweep's).
func (r *Run) Node() string { return r.owner }

// next is the start of the first period after now: missed periods (the
// nodes were down) are not run one by one.
func (r *Run) next(now time.Time) time.Time {
	next := r.claim.Due.Add(r.job.Every)
	if !next.After(now) {
		next = next.Add(now.Sub(next).Truncate(r.job.Every) + r.job.Every)
	}
	return next
}

// Complete ends the run in tx, the transaction of the job's last write, so
// that the work and the end of its period commit together. It returns
// ErrLeaseLost when another node has taken the run over; the job must then
// fail tx, which rolls its work back.
func (r *Run) Complete(ctx context.Context, tx *store.Tx) error {
	now := r.s.opt.Now()
	err := tx.JobComplete(ctx, r.job.Name, r.owner, r.next(now), now)
	if errors.Is(err, store.ErrNotFound) {
		return ErrLeaseLost
	}
	if err != nil {
		return err
	}
	// tx may still roll back; execute then completes the run itself.
	r.completed.Store(true)
	return nil
}
