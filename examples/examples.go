// Package examples ships the policies of the two operators derbes was born
// from, so that `derbes demo` runs without any file of the user's:
//
//   - ikomek/policy.yaml: the Astana appeals centre iKomek 109 (seed 004);
//   - toptips/policy.yaml: PRO IT COMPANY LLP, toptips.kz (seed 000).
package examples

import "embed"

// Files holds the example policies.
//
//go:embed ikomek/policy.yaml toptips/policy.yaml
var Files embed.FS
