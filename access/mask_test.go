package access_test

import (
	"strings"
	"testing"

	"github.com/derbes/derbes/access"
)

func TestMaskShowsTooLittleToCopy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ typ, in, want string }{
		{"phone", "+77011234567", "+7 701 *** ** 67"},
		{"iin", "950312405675", "95031*******"},
		{"email", "aigerim@mail.kz", "a******@mail.kz"},
		{"name", "Айгерім Тестқызы", "А****** Т*******"},
		{"address", "Астана, Сарыарқа ауданы, 7-үй", "***"},
		{"phone", "garbage", "***"},
	} {
		got := access.Mask(tc.typ, tc.in)
		if got != tc.want {
			t.Errorf("Mask(%s, %q) = %q, want %q", tc.typ, tc.in, got, tc.want)
		}
		if len(tc.in) > 6 && strings.Contains(got, tc.in[2:len(tc.in)-2]) {
			t.Errorf("Mask(%s) leaks the middle of the value: %q", tc.typ, got)
		}
	}
}
