package vault

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/derbes/derbes/kz"
	"github.com/derbes/derbes/policy"
)

// MaxValueBytes bounds one field's value.
const MaxValueBytes = 64 << 10

// normalise validates a value against its field's type and returns the form
// that is stored. Errors name the field, never the value.
func normalise(f policy.Field, value string) (string, *Problem) {
	bad := func(code, format string, args ...any) (string, *Problem) {
		return "", problem(Invalid, code, f.ID, "field %q: "+format, append([]any{f.ID}, args...)...)
	}
	if !utf8.ValidString(value) {
		return bad("invalid-value", "not valid UTF-8")
	}
	if len(value) > MaxValueBytes {
		return bad("invalid-value", "longer than %d bytes", MaxValueBytes)
	}
	if strings.TrimSpace(value) == "" {
		return bad("invalid-value", "empty")
	}
	switch f.Type {
	case policy.TypeIIN:
		n, err := kz.ParseIIN(value)
		if err != nil {
			return bad("invalid-iin", "%v", err)
		}
		return n, nil
	case policy.TypeBIN:
		n, err := kz.ParseBIN(value)
		if err != nil {
			return bad("invalid-bin", "%v", err)
		}
		return n, nil
	case policy.TypePhone:
		n, err := kz.ParsePhone(value)
		if err != nil {
			return bad("invalid-phone", "%v", err)
		}
		return n, nil
	case policy.TypeEmail:
		n, err := kz.ParseEmail(value)
		if err != nil {
			return bad("invalid-email", "%v", err)
		}
		return n, nil
	case policy.TypeDate:
		if _, err := time.Parse(time.DateOnly, value); err != nil {
			return bad("invalid-value", "not a date (YYYY-MM-DD)")
		}
	case policy.TypeNumber:
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			return bad("invalid-value", "not a number")
		}
	case policy.TypeBool:
		if value != "true" && value != "false" {
			return bad("invalid-value", `must be "true" or "false"`)
		}
	}
	return strings.TrimSpace(value), nil
}

// checkFields checks that every field may be collected for the purpose and
// subject category, and normalises the values.
func checkFields(p *policy.Policy, pu policy.Purpose, category string, values map[string]string) (map[string]string, *Problem) {
	allowed, _ := pu.AllowedFields(category)
	out := make(map[string]string, len(values))
	for _, name := range fieldList(values) {
		f, ok := p.Field(name)
		switch {
		case !ok:
			return nil, problem(Invalid, "unknown-field", name, "field %q is not in the policy", name)
		case p.Forbidden(f):
			return nil, problem(Invalid, "forbidden-category", name, "field %q is of category %q, which the policy forbids collecting", name, f.Category)
		case !slices.Contains(allowed, name):
			return nil, problem(Invalid, "field-not-allowed", name, "field %q may not be collected for purpose %q about a %q", name, pu.ID, category)
		}
		n, perr := normalise(f, values[name])
		if perr != nil {
			return nil, perr
		}
		out[name] = n
	}
	return out, nil
}
