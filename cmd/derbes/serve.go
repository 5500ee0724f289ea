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
	"github.com/derbes/derbes/proxy"
	"github.com/derbes/derbes/vault"
	"github.com/derbes/derbes/web"
)

// ServeCmd serves the API.
type ServeCmd struct {
	Listen string `help:"Address to listen on." default:"127.0.0.1:8080" env:"DERBES_LISTEN"`
	Policy string `help:"Policy file to activate." required:"" type:"existingfile" env:"DERBES_POLICY"`

	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (see package proxy).
	TrustedProxies []string `help:"Reverse proxies or load balancers in front of derbes (addresses or CIDR prefixes, comma-separated) whose X-Forwarded-For and X-Forwarded-Proto are believed: the client's address for per-address limits and the new-network rule, HTTPS for Secure cookies. Empty: nobody's." env:"DERBES_TRUSTED_PROXIES" placeholder:"CIDR,..."`

	// MetricsToken closes /metrics to all but Prometheus.
	MetricsToken string `help:"Bearer token /metrics asks for (Prometheus: authorization.credentials); without it /metrics is open, for a monitoring network only." env:"DERBES_METRICS_TOKEN" placeholder:"TOKEN"`

	// Portal is where the subject portal's one-time codes go.
	Portal PortalNotify `embed:""`
}

// Run serves until interrupted.
func (c *ServeCmd) Run(g *Globals) error {
	p, src, err := policy.LoadFile(c.Policy)
	if err != nil {
		return &exitError{2, err.Error()}
	}
	proxies, err := proxy.Parse(c.TrustedProxies)
	if err != nil {
		return &exitError{2, err.Error()}
	}
	return serve(g, serving{listen: c.Listen, proxies: proxies, metricsToken: c.MetricsToken, portal: c.Portal}, p, src, nil)
}

// serving is how derbes serves: where it listens, the trusted reverse
// proxies (nil: none), the metrics token, where portal codes go, and dev
// for development mode (derbes demo: the portal's one-time codes go to
// the log).
type serving struct {
	listen       string
	proxies      *proxy.Trusted
	metricsToken string
	portal       PortalNotify
	dev          bool
}

// serve opens derbes, activates the policy and serves the API until a
// signal. ready, if set, is called with the base URL once listening.
func serve(g *Globals, how serving, p *policy.Policy, src []byte, ready func(ctx context.Context, in *instance, base string) error) error {
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
	in.vault.SetAlerts(vault.Alerts{Notifier: n, Log: log})
	codes, err := how.portal.notifier(n, log)
	if err != nil {
		return err
	}
	staff := access.NewStaff(in.store, in.ring, nil)
	oidc, err := openOIDC(ctx, staff)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: how.proxies.Handler(web.Mount(api.New(in.vault, access.NewKeys(in.store), log, func(ctx context.Context) error { _, err := in.store.Size(ctx); return err }).
			WithStaff(staff).WithOIDC(oidc).WithMetricsToken(how.metricsToken), web.New(in.vault, in.store, log, web.Options{Staff: staff, Notifier: codes, Development: how.dev}))),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", how.listen)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	sched, err := scheduler(in, n, log)
	if err != nil {
		return err
	}
	if err := sched.Start(ctx); err != nil {
		return err
	}
	defer sched.Stop() // before the store closes
	log.Info("serving", slog.String("url", base), slog.String("store", in.store.Dialect()),
		slog.Int64("policy_version", act.Version), slog.String("policy", p.Version),
		slog.String("trusted_proxies", how.proxies.String()), slog.Bool("metrics_token", how.metricsToken != ""))
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
