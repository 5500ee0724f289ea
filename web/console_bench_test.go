package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/vault"
)

// BenchmarkConsole measures the console's two busiest pages on the
// embedded store: Today with a thousand open requests (one list query, no
// personal data), and a purpose-first lookup (a lookup, a subject read and
// a record read, each journaled in its own transaction).
//
//	go test ./web -run '^$' -bench Console -benchtime 200x
func BenchmarkConsole(b *testing.B) {
	c := setupConsole(b, "sqlite")
	ctx := context.Background()
	app := vault.Actor{ID: "apikey:bench", Role: "integration"}
	for range 999 {
		if _, err := c.vault.SubmitRequest(ctx, app, vault.NewRequest{Kind: request.Information, Channel: "letter", Lang: "kk", Subject: c.subject,
			Content: request.Content{Requester: request.Requester{FullName: residentName}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("today with 1000 open requests", func(b *testing.B) {
		br := c.aliya(b)
		for b.Loop() {
			if res, _ := br.get("/console/today"); res.StatusCode != http.StatusOK {
				b.Fatal(res.Status)
			}
		}
	})
	b.Run("lookup by IIN", func(b *testing.B) {
		br := c.operator(b)
		form := url.Values{"purpose": {"appeals"}, "kind": {"iin"}, "value": {residentIIN}}
		for b.Loop() {
			if res, _ := br.post("/console/lookup", form); res.StatusCode != http.StatusOK {
				b.Fatal(res.Status)
			}
		}
	})
}
