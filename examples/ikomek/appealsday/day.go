package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/derbes/derbes/client"
)

// The executors' fields: what each of them needs to resolve an appeal and
// call the resident back, and no more (seed 004 §5, §8). Never the IIN.
var executorFields = []string{"full_name", "phone", "address", "appeal_text"}

// grantFor is how long an executor may read an appeal: three days, unless
// the appeal is closed sooner.
const grantFor = 72 * time.Hour

// evidence is how each channel proves the resident's consent (seed 004
// §7-8: contacting the centre through its resources is consent).
var evidence = map[string]string{
	"call-109":   "109 call recording",
	"website":    "appeal form on ikomekastana.kz",
	"social":     "message to the centre's social-network account",
	"mobile-app": "appeal sent in the iKomek mobile app",
	"chatbot":    "chat-bot conversation log",
	"email":      "e-mail received by the centre",
}

// day is what the operators working at once share.
type day struct {
	crm *client.Client // the centre's CRM, with its API key
	url string         // for the executors' systems
	hc  *http.Client
	mu  sync.Mutex
	rep *report
}

// count changes the report under the lock.
func (d *day) count(f func(r *report)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(d.rep)
}

// fail records something unexpected. derbes's errors never hold personal
// data, so they can be printed as they are.
func (d *day) fail(a appeal, step string, err error) {
	d.count(func(r *report) {
		r.Errors = append(r.Errors, fmt.Sprintf("contact %d (%s): %s: %v", a.N, a.Channel, step, err))
	})
}

// handle is one contact, from the call to its closure.
func (d *day) handle(ctx context.Context, a appeal) {
	d.count(func(r *report) { r.Contacts++; r.ByChannel[a.Channel]++ })
	if a.Consultation {
		d.consult(ctx, a)
		return
	}

	// 1. Register the appeal: the resident, their consent and the appeal
	// itself, in one request.
	subject, record, err := d.register(ctx, a)
	if err != nil {
		d.fail(a, "register", err)
		return
	}

	// 2. Pass it to the executor that fits the topic: this appeal only,
	// the fields the executor needs only, on the resident's consent, with
	// a grant that lets the executor's system read them for 72 hours.
	x, err := d.crm.CreateTransfer(ctx, client.TransferIn{
		Subject:   subject,
		Recipient: a.Topic.Recipient,
		Purpose:   "appeals",
		Records:   []string{record},
		Fields:    executorFields,
		Ground:    "consent",
		Grant:     grantFor,
	})
	if err == nil && x.Grant == nil {
		err = errors.New("no grant was issued")
	}
	if err != nil {
		d.fail(a, "transfer to "+a.Topic.Recipient, err)
		return
	}
	d.count(func(r *report) { r.Transferred[a.Topic.Recipient]++ })

	// The executor's system has no API key of derbes: only the grant
	// token, which the centre sends it with the appeal.
	executor := client.NewRecipient(d.url, x.Grant.Token, client.WithHTTPClient(d.hc))

	// 3. The executor reads the resident's contact data and the appeal.
	shared, err := executor.Shared(ctx)
	if err == nil {
		err = checkShared(shared, a)
	}
	if err != nil {
		d.fail(a, "executor read", err)
		return
	}
	d.count(func(r *report) { r.Reads++ })

	// 4. It reaches for the resident's IIN, which it was not given: derbes
	// refuses (403 field-not-granted) and journals the refusal.
	d.count(func(r *report) { r.OutsideTry++ })
	_, err = executor.Shared(ctx, "iin")
	switch {
	case err == nil:
		d.fail(a, "executor read of the IIN", errors.New("derbes passed a field that was not transferred"))
	case refused(err, "field-not-granted"):
		d.count(func(r *report) { r.OutsideDeny++ })
	default:
		d.fail(a, "executor read of the IIN", err)
	}

	// 5. The executor reports the problem fixed: the operator closes the
	// appeal and revokes the grant at once, without waiting 72 hours.
	// The executor can read no more.
	if a.Closed {
		if err := d.crm.RevokeTransfer(ctx, x.ID); err != nil {
			d.fail(a, "revoke", err)
			return
		}
		d.count(func(r *report) { r.Closed++; r.AfterTry++ })
		_, err = executor.Shared(ctx)
		switch {
		case err == nil:
			d.fail(a, "executor read after closure", errors.New("derbes still answered a revoked grant"))
		case refused(err, "grant-invalid"):
			d.count(func(r *report) { r.AfterDeny++ })
		default:
			d.fail(a, "executor read after closure", err)
		}
	}

	// 6. Some residents then ask what the centre holds about them.
	if a.AsksWhatIsHeld {
		d.askWhatIsHeld(ctx, a, subject)
	}
}

// consult registers a consultation: a question answered during the call.
// It needs no IIN and no address and goes to nobody: the purpose
// consultation has the one channel call-109 and no recipients.
func (d *day) consult(ctx context.Context, a appeal) {
	p := a.Resident
	_, err := d.crm.CreateSubject(ctx, client.SubjectIn{
		Category:    "applicant",
		Purpose:     "consultation",
		Identifiers: map[string]string{"phone": p.Phone},
		Consent: &client.ConsentIn{
			SubjectName: p.FullName,
			Purposes:    []string{"consultation"},
			Fields:      []string{"full_name", "phone", "appeal_text"},
			ThirdParty:  false, // nothing of a consultation leaves the centre
			Form:        client.ConsentForm{Kind: client.FormOther, Reference: evidence[a.Channel]},
		},
		Record: &client.RecordIn{
			Channel: a.Channel,
			Fields:  map[string]string{"full_name": p.FullName, "appeal_text": a.Text},
		},
	})
	if err != nil {
		d.fail(a, "register consultation", err)
		return
	}
	d.count(func(r *report) { r.Consults++ })
}

// register stores an appeal: a new resident with their consent and the
// appeal or, for a resident the centre already knows by IIN, a new
// consent and the appeal added to them. It returns the subject and the
// appeal's record.
func (d *day) register(ctx context.Context, a appeal) (subject, record string, err error) {
	p := a.Resident
	ids := map[string]string{"iin": p.IIN, "phone": p.Phone}
	fields := []string{"iin", "full_name", "phone", "address", "appeal_text"}
	if p.Email != "" {
		ids["email"] = p.Email
		fields = append(fields, "email")
	}
	consent := client.ConsentIn{
		SubjectName: p.FullName,
		Purposes:    []string{"appeals"},
		Fields:      fields,
		// Seed 004 §8-9: the appeal goes to those who resolve it.
		ThirdParty: true,
		Form:       client.ConsentForm{Kind: client.FormOther, Reference: evidence[a.Channel]},
	}
	rec := client.RecordIn{
		Purpose: "appeals",
		Channel: a.Channel,
		Fields:  map[string]string{"full_name": p.FullName, "address": p.Address, "appeal_text": a.Text},
	}
	created, err := d.crm.CreateSubject(ctx, client.SubjectIn{
		Category: "applicant", Purpose: "appeals", Identifiers: ids, Consent: &consent, Record: &rec})
	if client.Code(err) != "subject-exists" {
		return created.Subject, created.Record, err
	}

	// An IIN belongs to one subject: the resident appealed before. Find
	// them, record this contact's consent, and add the appeal to them.
	found, err := d.crm.Lookup(ctx, "appeals", "iin", p.IIN)
	if err != nil {
		return "", "", err
	}
	if len(found) != 1 {
		return "", "", fmt.Errorf("a lookup by IIN found %d subjects", len(found))
	}
	if rec.Consent, err = d.crm.GiveConsent(ctx, found[0], consent); err != nil {
		return "", "", err
	}
	if created, err = d.crm.AddRecord(ctx, found[0], rec); err != nil {
		return "", "", err
	}
	d.count(func(r *report) { r.Known++ })
	return found[0], created.Record, nil
}

// askWhatIsHeld is a resident's request for information (Law 94-V Art.
// 24): a signed letter with their identity document, checked by staff and
// answered with what the centre holds, and to whom it passed it.
func (d *day) askWhatIsHeld(ctx context.Context, a appeal, subject string) {
	p := a.Resident
	lang, text := "ru", "Прошу сообщить, какие мои персональные данные у вас хранятся и кому они передавались."
	if p.Kazakh {
		lang, text = "kk", "Мен туралы қандай дербес деректер сақталатынын және кімге берілгенін хабарлауыңызды сұраймын."
	}
	d.count(func(r *report) { r.Asked++ })
	req, err := d.crm.SubmitRequest(ctx, client.RequestIn{
		Kind:      client.KindInformation,
		Channel:   "letter",
		Lang:      lang,
		Subject:   subject,
		Requester: client.Requester{FullName: p.FullName},
		Identity: client.Identity{FullName: p.FullName, IIN: p.IIN, Signature: true,
			IDDocument: &client.IDDocument{Number: p.IDCard, Issued: p.IDIssued, Issuer: "ҚР ІІМ / МВД РК"}},
		Text: text,
	})
	if err != nil {
		d.fail(a, "information request", err)
		return
	}
	// Staff compare the letter with the identity document and the
	// signature, then have derbes answer.
	checked := []string{client.RequisiteFullName, client.RequisiteIDDocument, client.RequisiteSignature}
	if _, err = d.crm.VerifyRequest(ctx, req.ID, client.VerifyIn{Checked: checked}); err == nil {
		_, err = d.crm.FulfilRequest(ctx, req.ID, client.FulfilIn{})
	}
	var letter *client.Letter
	if err == nil {
		letter, err = d.crm.Answer(ctx, req.ID)
	}
	if err == nil && letter.Outcome != client.OutcomeFulfilled {
		err = fmt.Errorf("answered %s", letter.Outcome)
	}
	if err == nil && !slices.ContainsFunc(letter.Transfers, func(t client.HeldTransfer) bool { return t.Recipient.ID == a.Topic.Recipient }) {
		err = fmt.Errorf("the answer does not say the appeal went to %s", a.Topic.Recipient)
	}
	if err != nil {
		d.fail(a, "information request", err)
		return
	}
	d.count(func(r *report) { r.Answered++ })
}

// checkShared checks that the executor got what it needs about this
// appeal, and not the IIN.
func checkShared(s *client.Shared, a appeal) error {
	if _, ok := s.Identifiers["iin"]; ok {
		return errors.New("the executor was shown the IIN")
	}
	if s.Identifiers["phone"] == "" {
		return errors.New("the executor got no phone number to call back")
	}
	if len(s.Records) != 1 {
		return fmt.Errorf("the executor got %d records, not the one appeal", len(s.Records))
	}
	f := s.Records[0].Fields
	if f["appeal_text"] != a.Text || f["full_name"] != a.Resident.FullName || f["address"] != a.Resident.Address {
		return errors.New("the executor did not get this appeal's data")
	}
	return nil
}

// refused reports whether err is derbes's 403 with the problem code.
func refused(err error, code string) bool {
	var p *client.Problem
	return errors.As(err, &p) && p.Status == http.StatusForbidden && p.Code() == code
}
