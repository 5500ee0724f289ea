package retention

import "time"

// ActSummary is the signed content of an act of destruction: what was
// destroyed or depersonalised (counts by purpose, subject category, ground,
// action and rule, and a hash of the record ids), when, and by which job.
// It names no values.
type ActSummary struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	StartedAt time.Time  `json:"started_at"`
	SealedAt  time.Time  `json:"sealed_at"`
	Records   int        `json:"records"`
	Counts    []ActCount `json:"counts"`
	// RecordIDs is the SHA-256 of the comma-joined ids of the records, in
	// the order the act lists them.
	RecordIDs string `json:"record_ids_sha256"`
}

// ActCount is how many records of one purpose, category, ground, action
// and rule an act covers.
type ActCount struct {
	Purpose  string `json:"purpose"`
	Category string `json:"category"`
	Ground   string `json:"ground"`
	Action   string `json:"action"`
	Rule     string `json:"rule"`
	Records  int    `json:"records"`
}
