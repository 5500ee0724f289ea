package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/derbes/derbes/client"
)

func Example() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080", "dbs_0123456789ab_…",
		client.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))

	// A caller on line 109 gives their IIN: find them, or register them
	// with their appeal.
	ids, err := c.Lookup(ctx, "appeals", "iin", "900101300126")
	if err != nil {
		fmt.Println(err)
		return
	}
	var subject string
	if len(ids) > 0 {
		subject = ids[0]
	} else {
		// Appeals rest on consent: the caller's consent is recorded with
		// them, with the call's recording as its evidence.
		created, err := c.CreateSubject(ctx, client.SubjectIn{
			Category:    "applicant",
			Purpose:     "appeals",
			Identifiers: map[string]string{"iin": "900101300126"},
			Consent: &client.ConsentIn{
				SubjectName: "Айгерим Серикова",
				Purposes:    []string{"appeals"},
				Fields:      []string{"iin", "full_name", "appeal_text"},
				Form:        client.ConsentForm{Kind: client.FormOther, Reference: "109 call recording"},
			},
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		subject = created.Subject
	}
	created, err := c.AddRecord(ctx, subject, client.RecordIn{
		Purpose: "appeals",
		Channel: "call-109",
		Fields:  map[string]string{"full_name": "Айгерим Серикова", "appeal_text": "Не горит уличный фонарь"},
	})
	var p *client.Problem
	switch {
	case errors.As(err, &p) && p.Code() == "field-not-allowed":
		fmt.Printf("the policy does not allow collecting %s for appeals\n", p.Field)
		return
	case client.Code(err) == "consent-required" || client.Code(err) == "consent-lacks-field":
		// A subject found by IIN may have no consent in force for this:
		// ask for it, record it with c.GiveConsent, and try again.
		fmt.Println("ask the caller for their consent first")
		return
	case err != nil:
		fmt.Println(err)
		return
	}

	// Read it back, for the same purpose, asking only for what is needed.
	rec, err := c.Record(ctx, created.Record, "appeals", "full_name")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec.Fields["full_name"])
}

// A security officer signs in, looks at the open incidents and drafts the
// notice of a confirmed breach.
func ExampleLogin() {
	ctx := context.Background()
	const url = "https://derbes.internal"
	s, err := client.Login(ctx, url, "a.serikova", "the officer's password", "492039")
	switch client.Code(err) {
	case "":
	case "locked":
		fmt.Println("too many failed attempts: try again in 15 minutes")
		return
	default:
		fmt.Println(err)
		return
	}
	c := client.New(url, s.Token) // the session acts with the account's role until s.ExpiresAt

	open, err := c.Incidents(ctx, client.IncidentOpen)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, x := range open {
		if x.Kind != client.IncidentMassRead {
			continue
		}
		// Looked into: a key copied the base. Confirm, record the measure,
		// and draft the notice, due one working day after detection.
		if _, err := c.UpdateIncident(ctx, x.ID, client.IncidentChange{Classification: client.IncidentConfirmed, Measure: "the key was revoked"}); err != nil {
			fmt.Println(err)
			return
		}
		n, err := c.IncidentNotice(ctx, x.ID)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("notify the authorized body by", n.Due)
	}
}
