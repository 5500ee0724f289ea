package access

import (
	"strings"
	"unicode/utf8"

	"github.com/derbes/derbes/policy"
)

// Mask shows a value the way a role that sees it masked may see it: enough
// to confirm whom one is talking to, not enough to copy the value.
//
//	phone  +77011234567      → +7 701 *** ** 67
//	iin    950312405675      → 95031*******
//	email  aigerim@mail.kz   → a******@mail.kz
//	name   Айгерім Тестқызы  → А****** Т*******
//	other  anything          → ***
func Mask(fieldType, value string) string {
	switch fieldType {
	case policy.TypePhone:
		if len(value) == 12 && strings.HasPrefix(value, "+7") {
			return "+7 " + value[2:5] + " *** ** " + value[10:]
		}
	case policy.TypeIIN, policy.TypeBIN:
		if len(value) == 12 {
			return value[:5] + strings.Repeat("*", 7)
		}
	case policy.TypeEmail:
		if at := strings.LastIndexByte(value, '@'); at > 0 {
			first, size := utf8.DecodeRuneInString(value)
			return string(first) + strings.Repeat("*", utf8.RuneCountInString(value[size:at])) + value[at:]
		}
	case policy.TypeName:
		words := strings.Fields(value)
		for i, w := range words {
			first, size := utf8.DecodeRuneInString(w)
			words[i] = string(first) + strings.Repeat("*", utf8.RuneCountInString(w[size:]))
		}
		return strings.Join(words, " ")
	}
	return "***"
}
