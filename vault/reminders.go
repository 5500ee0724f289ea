package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/derbes/derbes/calendar"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/notify"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/store"
)

// Thresholds of a deadline reminder.
const (
	ReminderDueSoon = "due-soon" // due within one working day
	ReminderOverdue = "overdue"
)

// ErrNoResponsibleContact means a reminder is due but the policy gives the
// responsible person neither an e-mail address nor a phone number.
var ErrNoResponsibleContact = errors.New("vault: a deadline reminder is due, but the policy gives the responsible person no e-mail or phone (add operator.responsible.email or .phone)")

// reminder is one deadline the responsible person must hear about.
type reminder struct {
	kind, ref, what string // what: the request's kind, or "breach notice"
	due             time.Time
}

// RemindDeadlines tells the person responsible for processing (the
// policy's operator.responsible) of each open request and each incident's
// breach notice that is due within one working day, and of the policy's
// yearly review from PolicyReviewWarning before it, and again when each is
// overdue: once per request, incident or policy version and threshold,
// remembered in the store. A message names the request or incident by id, never the subject.
// A reminder that could not be sent is tried again at the next run.
func (v *Vault) RemindDeadlines(ctx context.Context, n notify.Notifier) (sent, waiting int, err error) {
	now := v.now()
	soon, cerr := v.cal.AddWorkingDays(now, 1)
	if cerr != nil && !calendar.IsWarning(cerr) {
		soon = now.Add(24 * time.Hour) // a year the calendar lacks: remind a day ahead
	}
	var due []reminder
	if err := v.store.Read(ctx, func(r *store.Reader) error {
		reqs, err := r.RequestList(ctx, store.RequestFilter{OverdueAt: soon, Limit: 1000})
		if err != nil {
			return err
		}
		for _, x := range reqs {
			if x.Due != nil { // a deadline the calendar could not count is shown by `requests due`
				due = append(due, reminder{"request", x.ID, x.Kind, *x.Due})
			}
		}
		incs, err := r.IncidentList(ctx, "open", 1000)
		if err != nil {
			return err
		}
		for _, x := range incs {
			if x.NoticeDue != nil && x.NoticeSentAt == nil && x.NoticeDue.Before(soon) {
				due = append(due, reminder{"incident", x.ID, "breach notice", *x.NoticeDue})
			}
		}
		if x, ok := v.policyReview(now); ok {
			due = append(due, x)
		}
		var kept []reminder
		for _, x := range due {
			threshold := x.threshold(now)
			done, err := r.ReminderSent(ctx, x.kind, x.ref, threshold)
			if err != nil {
				return err
			}
			if !done {
				kept = append(kept, x)
			}
		}
		due = kept
		return nil
	}); err != nil {
		return 0, 0, err
	}
	if len(due) == 0 {
		return 0, 0, nil
	}
	resp := v.active.Load().Policy.Operator.Responsible
	to := strings.TrimSpace(resp.Email)
	if to == "" {
		to = strings.TrimSpace(resp.Phone)
	}
	if to == "" {
		return 0, len(due), ErrNoResponsibleContact
	}
	var failed error
	for _, x := range due {
		threshold := x.threshold(now)
		if err := n.Notify(ctx, x.message(to, threshold)); err != nil {
			waiting++
			failed = err
			continue
		}
		if err := v.store.Write(ctx, func(tx *store.Tx) error {
			return tx.ReminderInsert(ctx, x.kind, x.ref, threshold, now)
		}); err != nil {
			return sent, waiting, err
		}
		sent++
	}
	if failed != nil {
		return sent, waiting, fmt.Errorf("vault: %d deadline reminders not sent: %w", waiting, failed)
	}
	return sent, waiting, nil
}

// PolicyReviewWarning is how long before the policy's review date the
// responsible person is reminded of it (the console and the published page
// show it from then too).
const PolicyReviewWarning = 30 * 24 * time.Hour

// policyReview is the reminder of the active policy's yearly review (seed
// 004 §12), from PolicyReviewWarning before its review date; ok is false
// when it is not near yet. The review is due at the start of that day in
// Astana; a new policy version with a later review_by ends the reminders.
func (v *Vault) policyReview(now time.Time) (reminder, bool) {
	p := v.active.Load().Policy
	d, ok := p.ReviewDate()
	if !ok {
		return reminder{}, false
	}
	due := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, calendar.Location())
	if due.Sub(now) > PolicyReviewWarning {
		return reminder{}, false
	}
	return reminder{"policy", p.Version, "seed 004 §12", due}, true
}

func (x reminder) threshold(now time.Time) string {
	if now.After(x.due) {
		return ReminderOverdue
	}
	return ReminderDueSoon
}

// message is the reminder in Kazakh and Russian, as the responsible
// person's other notices are.
func (x reminder) message(to, threshold string) notify.Message {
	at := x.due.In(calendar.Location()).Format("02.01.2006 15:04")
	kk, ru := "мерзімі жақындады", "срок истекает"
	if threshold == ReminderOverdue {
		kk, ru = "мерзімі өтіп кетті", "срок истёк"
	}
	what := map[string][2]string{"request": {"Өтініш", "Обращение"}, "incident": {"Оқиға (бұзушылық туралы хабарлама)", "Инцидент (уведомление о нарушении)"},
		"policy": {"Дербес деректер саясатын қайта қарау, нұсқа", "Пересмотр политики персональных данных, версия"}}[x.kind]
	return notify.Message{Kind: "deadline-reminder", Ref: x.ref, To: to, Lang: "kk",
		Subject: fmt.Sprintf("%s %s: %s / %s %s: %s", what[0], x.ref, kk, what[1], x.ref, ru),
		Body: fmt.Sprintf("%s %s (%s): %s — %s.\n%s %s (%s): %s — %s.\n\n(Law 94-V Art. 25)",
			what[0], x.ref, x.what, kk, at, what[1], x.ref, x.what, ru, at)}
}

// actionRecordBlockedLimit is the journal's action for a record queued for
// destruction because it stayed blocked longer than the policy allows.
const actionRecordBlockedLimit = "record.blocked-limit"

// EnforceBlockedLimit queues for destruction every record blocked longer
// than the policy's deadlines.blocked_limit, with its journal entry in the
// same transaction; the retention sweep then destroys it (rule
// "blocked-limit") with its line in the act. The law sets no such term —
// a block ends when the check ends (Art. 25 p.2 sp.8), and the deadline
// reminders chase that — so without a limit in the policy this does
// nothing. It returns how many records were queued.
func (v *Vault) EnforceBlockedLimit(ctx context.Context) (int, error) {
	p := v.active.Load().Policy
	if p.Deadlines.BlockedLimit == "" {
		return 0, nil
	}
	limit, err := policy.ParsePeriod(p.Deadlines.BlockedLimit)
	if err != nil {
		return 0, err // the policy was validated when activated
	}
	queued := 0
	for {
		n := 0
		err := v.store.Write(ctx, func(tx *store.Tx) error {
			n = 0
			now := v.now()
			// Blocked at or before now minus the limit: limit.After(at) <= now.
			before := now.AddDate(-limit.Years, -limit.Months, -limit.Days)
			recs, err := tx.RecordsBlockedBefore(ctx, before, 500)
			if err != nil {
				return err
			}
			for _, r := range recs {
				if limit.After(r.BlockedAt).After(now) {
					continue // AddDate is not symmetric at month ends
				}
				if err := tx.DestructionEnqueue(ctx, r.RecordID, r.SubjectID, "blocked-limit", now, &now); err != nil {
					return err
				}
				if err := tx.JournalAppend(ctx, &journal.Entry{Actor: System.ID, Action: actionRecordBlockedLimit, Subject: r.SubjectID, Record: r.RecordID, Outcome: journal.OK,
					Detail: detail(map[string]any{"blocked_limit": p.Deadlines.BlockedLimit})}); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return queued, err
		}
		queued += n
		if n < 500 {
			return queued, nil
		}
	}
}
