package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/derbes/derbes/jobs"
	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/vault"
)

// scheduler returns the periodic work of a serving node. Every node
// registers every job; the scheduler runs each once per period among all
// nodes sharing the store. Journal checkpoints need no job: the store
// signs them as it commits.
func scheduler(in *instance, n notify.Notifier, log *slog.Logger) (*jobs.Scheduler, error) {
	s := jobs.New(in.store, jobs.Options{Node: nodeName(), Log: log})
	for _, j := range []jobs.Job{
		{Name: "retention-sweep", Every: time.Hour, Run: func(ctx context.Context, r *jobs.Run) (string, error) {
			res, err := in.vault.Sweep(ctx, r.Node())
			if errors.Is(err, vault.ErrSweepRunning) {
				// `derbes sweep` (or a node still finishing the last
				// period) is sweeping: what is due is being destroyed.
				return "skipped: another sweep is running", nil
			}
			if err != nil {
				return "", err
			}
			if res.Act != "" {
				log.Info("retention sweep", slog.String("act", res.Act), slog.Int("destroyed", res.Destroyed), slog.Int("depersonalised", res.Depersonalised))
			}
			return fmt.Sprintf("destroyed %d, depersonalised %d, consents expired %d, act %s", res.Destroyed, res.Depersonalised, res.Expired, orNone(res.Act)), nil
		}},
		{Name: "transfer-notices", Every: 5 * time.Minute, Run: func(ctx context.Context, r *jobs.Run) (string, error) {
			sent, waiting, err := in.vault.NotifyTransfers(ctx, n)
			if sent+waiting > 0 {
				log.Info("transfer notices", slog.Int("sent", sent), slog.Int("waiting", waiting))
			}
			return fmt.Sprintf("sent %d, waiting %d", sent, waiting), err
		}},
		{Name: "deadline-reminders", Every: 15 * time.Minute, Run: func(ctx context.Context, r *jobs.Run) (string, error) {
			sent, waiting, err := in.vault.RemindDeadlines(ctx, n)
			return fmt.Sprintf("sent %d, waiting %d", sent, waiting), err
		}},
		{Name: "blocked-limit", Every: time.Hour, Run: func(ctx context.Context, r *jobs.Run) (string, error) {
			n, err := in.vault.EnforceBlockedLimit(ctx)
			return fmt.Sprintf("queued for destruction %d", n), err
		}},
		{Name: "journal-verify", Every: 24 * time.Hour, Run: func(ctx context.Context, r *jobs.Run) (string, error) {
			// CheckJournal opens the suspected incident (once per break)
			// and alerts the responsible person; the job fails too, so
			// derbes jobs and /metrics show it.
			res, err := in.vault.CheckJournal(ctx)
			if err != nil {
				return "", err
			}
			if !res.OK() {
				return "", fmt.Errorf("the journal does not verify at entry %d: %s", res.FirstBad, res.Problem)
			}
			return fmt.Sprintf("%d entries, %d checkpoints verified", res.Entries, res.Checkpoints), nil
		}},
	} {
		if err := s.Register(j); err != nil {
			return nil, err
		}
	}
	return s, nil
}
