package vault

import "time"

// SetClock replaces the vault's clock, for tests of deadlines.
func (v *Vault) SetClock(now func() time.Time) {
	v.now = func() time.Time { return now().UTC().Truncate(time.Microsecond) }
}
