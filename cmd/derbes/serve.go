package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/api"
	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/vault"
	"github.com/derbes/derbes/web"
)

// ServeCmd serves the API.
type ServeCmd struct {
	Listen string `help:"Address to listen on." default:"127.0.0.1:8080" env:"DERBES_LISTEN"`
	Policy string `help:"Policy file to activate." required:"" type:"existingfile" env:"DERBES_POLICY"`

	// Portal is where the subject portal's one-time codes go.
	Portal PortalNotify `embed:""`
}

// Run serves until interrupted.
func (c *ServeCmd) Run(g *Globals) error {
	p, src, err := policy.LoadFile(c.Policy)
	if err != nil {
		return &exitError{2, err.Error()}
	}
	return serve(g, c.Listen, p, src, false, c.Portal, nil)
}

// serve opens derbes, activates the policy and serves the API until a
// signal. dev is development mode (derbes demo): the portal's one-time
// codes go to the log. ready, if set, is called with the base URL once
// listening.
func serve(g *Globals, listen string, p *policy.Policy, src []byte, dev bool, pn PortalNotify, ready func(ctx context.Context, in *instance, base string) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := g.logger()
	in, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	act, err := in.vault.Activate(ctx, vault.System, p, src)
	if err != nil {
		return err
	}
	n, err := notify.FromURL(g.Notify, log)
	if err != nil {
		return err
	}
	codes, err := pn.notifier(n, log)
	if err != nil {
		return err
	}
	staff := access.NewStaff(in.store, in.ring, nil)
	srv := &http.Server{
		Handler: web.Mount(api.New(in.vault, access.NewKeys(in.store), log, func(ctx context.Context) error { _, err := in.store.Size(ctx); return err }).
			WithStaff(staff), web.New(in.vault, in.store, log, web.Options{Staff: staff, Notifier: codes, Development: dev})),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	go background(ctx, in, n, log)
	log.Info("serving", slog.String("url", base), slog.String("store", in.store.Dialect()), slog.Int64("policy_version", act.Version), slog.String("policy", p.Version))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		if err := ready(ctx, in, base); err != nil {
			srv.Close()
			return err
		}
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// background runs the scheduled work of a serving node until ctx ends: the
// retention sweep every hour (a lease lets one node of several sweep at a
// time) and the notices of transfers every five minutes. Failures are
// logged and retried at the next tick; nothing is lost, because what is due
// stays due in the store.
func background(ctx context.Context, in *instance, n notify.Notifier, log *slog.Logger) {
	node := nodeName()
	sweep := time.NewTicker(time.Hour)
	notices := time.NewTicker(5 * time.Minute)
	defer sweep.Stop()
	defer notices.Stop()
	run := func(what string, fn func() (string, error)) {
		started := time.Now()
		summary, err := fn()
		if err != nil && ctx.Err() != nil {
			return // cut short by shutdown: the work stays due for the next start
		}
		if err != nil && !errors.Is(err, vault.ErrSweepRunning) {
			log.Warn("scheduled work failed; it will be retried", slog.String("job", what), slog.String("error", err.Error()))
		}
		if rerr := in.vault.RecordJobRun(context.Background(), what, node, started, err, summary); rerr != nil {
			log.Warn("could not record a job run", slog.String("job", what), slog.String("error", rerr.Error()))
		}
	}
	doSweep := func() (string, error) {
		res, err := in.vault.Sweep(ctx, node)
		if err != nil {
			return "", err
		}
		if res.Act != "" {
			log.Info("retention sweep", slog.String("act", res.Act), slog.Int("destroyed", res.Destroyed), slog.Int("depersonalised", res.Depersonalised))
		}
		return fmt.Sprintf("destroyed %d, depersonalised %d, consents expired %d, act %s", res.Destroyed, res.Depersonalised, res.Expired, orNone(res.Act)), nil
	}
	doNotices := func() (string, error) {
		sent, waiting, err := in.vault.NotifyTransfers(ctx, n)
		if sent+waiting > 0 {
			log.Info("transfer notices", slog.Int("sent", sent), slog.Int("waiting", waiting))
		}
		return fmt.Sprintf("sent %d, waiting %d", sent, waiting), err
	}
	run("retention-sweep", doSweep)
	run("transfer-notices", doNotices)
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			run("retention-sweep", doSweep)
		case <-notices.C:
			run("transfer-notices", doNotices)
		}
	}
}
