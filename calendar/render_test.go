package calendar_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/derbes/derbes/calendar"
)

func TestRender(t *testing.T) {
	t.Parallel()
	cal := calendar.Default()
	for _, tc := range []struct {
		name string
		year int
		lang string
		want []string
	}{
		{"the Kazakh grid of March 2026 marks holidays, moved days off and working days", 2026, "kk", []string{
			"2026 жылғы өндірістік күнтізбе",
			"Наурыз (18)",
			"Дс Сс Ср Бс Жм Сб Жс",
			" 2   3   4   5   6   7-  8*", // 8 March, a Sunday holiday
			" 9- 10  11  12  13  14- 15-", // its day off on Monday 9 March
			"23* 24- 25- 26  27  28- 29-", // Nauryz and its moved days off
			"Жылдағы жұмыс күндері: 246",
			"  27.05 Ср * Kurban Ait",
		}},
		{"the Russian grid has Russian headers and month names", 2026, "ru", []string{
			"Производственный календарь на 2026 год",
			"Пн Вт Ср Чт Пт Сб Вс",
			"Март (18)",
			"Рабочих дней в году: 246",
		}},
		{"the English grid of 2025 marks Sunday 5 January as a worked weekend", 2025, "en", []string{
			"January (20)",
			"         1*  2*  3-  4-  5+",
			"Worked weekends:",
			"  05.01 Su + Transfer order",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := cal.Render(tc.year, tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("rendering lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, "NOT CONFIRMED") || strings.Contains(got, "!!") {
				t.Errorf("an official year is rendered as unconfirmed:\n%s", got)
			}
		})
	}

	t.Run("a generated year renders with a warning and says it is not confirmed", func(t *testing.T) {
		t.Parallel()
		got, err := cal.Lenient().Render(2027, "en")
		if !calendar.IsWarning(err) {
			t.Fatalf("error = %v, want a warning", err)
		}
		if !strings.Contains(got, "NOT CONFIRMED") || !strings.Contains(got, "Kurban Ait unknown") {
			t.Errorf("rendering does not say it is unconfirmed:\n%s", got)
		}
	})

	t.Run("a missing year and an unknown language are refused", func(t *testing.T) {
		t.Parallel()
		if _, err := cal.Render(2027, "en"); !errors.Is(err, calendar.ErrYearMissing) {
			t.Errorf("Render(2027): error = %v, want ErrYearMissing", err)
		}
		if _, err := cal.Render(2026, "de"); err == nil {
			t.Error(`Render(2026, "de") gave no error`)
		}
	})

	t.Run("every line of the grid is at most 87 characters wide", func(t *testing.T) {
		t.Parallel()
		for _, lang := range []string{"kk", "ru", "en"} {
			got, err := cal.Render(2026, lang)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(got, "\n")
			total := slices.IndexFunc(lines, func(l string) bool { return strings.HasSuffix(l, ": 246") })
			if total < 0 {
				t.Fatalf("%s: no total line", lang)
			}
			for _, line := range lines[3:total] { // after the title, source and legend

				if n := len([]rune(line)); n > 87 {
					t.Errorf("%s: line %q is %d wide", lang, line, n)
				}
			}
		}
	})
}
