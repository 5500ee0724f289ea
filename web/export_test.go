package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/derbes/derbes/store"
	"github.com/derbes/derbes/vault"
)

// NewAt is New with a clock, for tests of the review reminder.
func NewAt(v *vault.Vault, s *store.Store, log *slog.Logger, now func() time.Time) http.Handler {
	return newServer(v, s, log, Options{}, now)
}
