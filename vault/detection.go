package vault

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/store"
)

// More incident kinds.
const (
	IncidentNetwork = "new-network" // an API key used from a network it was never used from
)

// Alerts says where a detection rule's new incident is announced.
type Alerts struct {
	// Notifier sends the alerts (webhook, SMTP, the log).
	Notifier notify.Notifier
	// To is the address alerted; empty: the e-mail of the person
	// responsible for organising processing, from the active policy.
	To string
	// Lang is the language of the alert: kk, ru (the default) or en.
	Lang string
	// Log receives the failures to alert (kind and incident id only).
	Log *slog.Logger
}

// alertWords are the texts of an alert; %[1]s is the rule, %[2]s the
// incident, %[3]s the detection time, %[4]s the notice deadline.
var alertWords = map[string][3]string{
	"kk": {"derbes: %s түріндегі оқиға ашылды",
		"Анықтау ережесі (%[1]s) %[3]s (Астана уақыты) %[2]s оқиғасын ашты.\nОны оқиғалар тізілімінде жіктеңіз: derbes incidents list немесе GET /v1/incidents/%[2]s.\nУәкілетті органға хабарлама мерзімі: %[4]s.\n",
		"%s дейін (Астана уақыты), егер бұзушылық расталса"},
	"ru": {"derbes: открыт инцидент вида %s",
		"Правило обнаружения (%[1]s) открыло инцидент %[2]s в %[3]s (время Астаны).\nКлассифицируйте его в реестре инцидентов: derbes incidents list или GET /v1/incidents/%[2]s.\nСрок уведомления уполномоченного органа: %[4]s.\n",
		"до %s (время Астаны), если нарушение подтвердится"},
	"en": {"derbes: incident %s opened",
		"A detection rule (%[1]s) opened incident %[2]s at %[3]s (Astana time).\nClassify it in the incident register: derbes incidents list, or GET /v1/incidents/%[2]s.\nNotice to the authorized body due: %[4]s.\n",
		"%s (Astana time), if the breach is confirmed"},
}

// SetAlerts makes every incident a detection rule opens send an alert
// through a.Notifier. The alert names the kind, the incident and its
// deadline, never the principal, the subjects or the description: it may
// travel through systems that must not hold personal data.
func (v *Vault) SetAlerts(a Alerts) {
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	v.alerts.Store(&a)
}

// alert announces a new incident; it never delays the request that
// triggered the rule.
func (v *Vault) alert(i *store.Incident) {
	a := v.alerts.Load()
	if a == nil || a.Notifier == nil {
		return
	}
	to := a.To
	if to == "" {
		if act := v.active.Load(); act != nil {
			to = act.Operator.Responsible.Email
		}
	}
	lang := a.Lang
	if _, ok := alertWords[lang]; !ok {
		lang = "ru"
	}
	w := alertWords[lang]
	due := "-"
	if i.NoticeDue != nil {
		due = fmt.Sprintf(w[2], i.NoticeDue.In(calendar.Location()).Format("02.01.2006 15:04"))
	}
	m := notify.Message{Kind: "incident-alert", Ref: i.ID, To: to, Lang: lang,
		Subject: fmt.Sprintf(w[0], i.Kind),
		Body:    fmt.Sprintf(w[1], i.Source, i.ID, i.DetectedAt.In(calendar.Location()).Format("02.01.2006 15:04"), due)}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := a.Notifier.Notify(ctx, m); err != nil {
			a.Log.Warn("incident alert not sent", slog.String("incident", i.ID), slog.String("kind", i.Kind), slog.String("error", err.Error()))
		}
	}()
}

// network returns the network an address belongs to for the new-network
// rule: its /24 (IPv4) or /48 (IPv6); ok false for what is not an address.
func network(addr string) (string, bool) {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", false
	}
	ip = ip.Unmap().WithZone("")
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return "", false
	}
	return p.String(), true
}

// ObserveNetwork notes the address an API key's request came from (remote
// is host:port or a bare address). The first network of a key is learnt;
// any later new one opens an incident, because a key copied out of an
// application is used from somewhere else. The networks are kept in the
// store, so every node knows them; each node writes a network once.
func (v *Vault) ObserveNetwork(ctx context.Context, a Actor, remote string) {
	keyID, ok := strings.CutPrefix(a.ID, "apikey:")
	if !ok {
		return
	}
	nw, ok := network(remote)
	if !ok {
		return
	}
	seen := keyID + "|" + nw
	v.det.mu.Lock()
	known := v.det.networks[seen]
	v.det.mu.Unlock()
	if known {
		return
	}
	var added bool
	var count int64
	err := v.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		added, count, err = tx.KeyNetworkAdd(ctx, keyID, nw, v.now())
		return err
	})
	if err != nil {
		return // tried again at the key's next request
	}
	v.det.mu.Lock()
	if len(v.det.networks) > 10000 {
		v.det.networks = map[string]bool{}
	}
	v.det.networks[seen] = true
	v.det.mu.Unlock()
	if added && count > 1 {
		v.openIncident(IncidentNetwork, "rule:new_network", a, nil,
			fmt.Sprintf("%s (role %s) was used from %s, a network it was never used from before", a.ID, a.Role, nw),
			IncidentNetwork+"|"+keyID+"|"+nw)
	}
}

// CheckJournal verifies the journal and, when it does not verify, opens a
// suspected incident (kind journal): once per break, however often it is
// checked. The daily job, `derbes journal verify` and GET
// /v1/journal/verify call it.
func (v *Vault) CheckJournal(ctx context.Context) (journal.Result, error) {
	res, err := v.VerifyJournal(ctx)
	if err != nil || res.OK() {
		return res, err
	}
	_, err = v.openIncident(IncidentJournal, "rule:journal_verify", System, nil,
		fmt.Sprintf("the journal does not verify at entry %d: %s", res.FirstBad, res.Problem),
		fmt.Sprintf("%s|%d", IncidentJournal, res.FirstBad))
	return res, err
}
