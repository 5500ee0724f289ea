package document_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	mrow "github.com/johnfercher/maroto/v2/pkg/components/row"
	mtext "github.com/johnfercher/maroto/v2/pkg/components/text"
	mfontstyle "github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"

	"github.com/derbes/derbes/document"
	"github.com/derbes/derbes/document/doctest"
)

func TestLines(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name       string
		s          string
		word, most int
		want       []string
	}{
		{name: "blank", s: " \n\t\n", word: 5, want: nil},
		{name: "white space folds, blank lines go", s: "  a \t b\n\n c  ", word: 5, want: []string{"a b", "c"}},
		{name: "a long word is cut into pieces", s: "xx abcdefghijk yy", word: 4, want: []string{"xx abcd efgh ijk yy"}},
		{name: "letters, not bytes, are counted", s: "әғқңөұүһі", word: 3, want: []string{"әғқ ңөұ үһі"}},
		{name: "a long line is broken between words", s: "aa bb cc dd", word: 5, most: 5, want: []string{"aa bb", "cc dd"}},
		{name: "a cut word is broken too", s: "abcdefgh", word: 3, most: 7, want: []string{"abc def", "gh"}},
	}
	for _, tc := range cases {
		if got := document.Lines(tc.s, tc.word, tc.most); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Lines(%q, %d, %d) = %q, want %q", tc.name, tc.s, tc.word, tc.most, got, tc.want)
		}
	}
}

func TestCut(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		s    string
		most int
		want string
	}{
		{"short", 5, "short"},
		{"Құнанбаева", 5, "Құна…"},
		{"ab   cdef", 6, "ab…"},
	} {
		if got := document.Cut(tc.s, tc.most); got != tc.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.s, tc.most, got, tc.want)
		}
	}
}

func TestAWordingKeepsItsFirstMissingText(t *testing.T) {
	t.Parallel()

	words := document.Words{
		"yes":  {KK: "Иә", RU: "Да", EN: "Yes"},
		"half": {KK: "жартысы"},
	}
	w := document.NewWording(words, "ru", "test: document")
	if got := w.T("yes"); got != "Да" || w.Err() != nil {
		t.Fatalf(`T("yes") = %q (error %v), want "Да"`, got, w.Err())
	}
	if got := w.T("half"); got != "" {
		t.Errorf(`T("half") in Russian = %q, want "" (no falling back to Kazakh)`, got)
	}
	first := w.Err()
	if first == nil || !strings.Contains(first.Error(), `"half"`) {
		t.Fatalf("after a missing text, Err() = %v, want an error naming it", first)
	}
	w.T("absent")
	if w.Err() != first {
		t.Errorf("a second missing text replaced the first error: %v", w.Err())
	}
	if w.Lang() != "ru" {
		t.Errorf("Lang() = %q, want ru", w.Lang())
	}
}

func TestLang(t *testing.T) {
	t.Parallel()

	for lang, want := range map[string]bool{"kk": true, "ru": true, "en": true, "": false, "KK": false, "kz": false, "de": false} {
		if got := document.Lang(lang); got != want {
			t.Errorf("Lang(%q) = %v, want %v", lang, got, want)
		}
	}
}

func TestTimesAreInAstana(t *testing.T) {
	t.Parallel()

	// 19:30 UTC on 17 March is 00:30 on 18 March in Astana (UTC+5).
	at := time.Date(2026, 3, 17, 19, 30, 0, 0, time.UTC)
	if got := document.Date(at); got != "18.03.2026" {
		t.Errorf("Date = %q, want 18.03.2026", got)
	}
	if got := document.DateTime(at); got != "18.03.2026 00:30" {
		t.Errorf("DateTime = %q, want 18.03.2026 00:30", got)
	}
	if document.Midnight(at) {
		t.Error("00:30 is taken for midnight")
	}
	if !document.Midnight(time.Date(2026, 3, 17, 19, 0, 0, 0, time.UTC)) {
		t.Error("19:00 UTC is not taken for midnight in Astana")
	}
}

func TestPairsPrintADashForNoValue(t *testing.T) {
	t.Parallel()

	vp := document.ValueProps(mfontstyle.Normal, document.ValueSize)
	if got := len(document.Pairs(8, "label", nil, vp)); got != 1 {
		t.Errorf("Pairs of no value gave %d rows, want 1", got)
	}
	if got := len(document.Pairs(8, "label", []string{"a", "b", "c"}, vp)); got != 3 {
		t.Errorf("Pairs of three texts gave %d rows, want 3", got)
	}
}

// render prints a document of pages pages of the house rows, Kazakh
// letters included, each page's section kept whole on its page.
func render(pages int) ([]byte, error) {
	at := time.Date(2026, 3, 17, 19, 30, 0, 0, time.UTC)
	m, err := document.New(document.Spec{
		Title:      "Сынақ құжаты",
		Author:     "derbes",
		Created:    at,
		PageNumber: "бет {current} / {total}",
		Footer:     document.Footer("Қазақстан Республикасының № 94-V Заңы", ""),
	})
	if err != nil {
		return nil, err
	}
	m.AddRows(document.Letterhead("«Шаһар үйлестіру орталығы» ЖШС", "БСН 210240012345", "")...)
	value := document.ValueProps(mfontstyle.Normal, document.ValueSize)
	for i := range pages {
		if i > 0 {
			// Fill the page but for 15 to 20 millimetres: room for the
			// section's bar, not for the rows that follow it, so Keep must
			// put it on the next page.
			for m.FitlnCurrentPage(20) {
				m.AddRows(mrow.New(5))
			}
		}
		document.Keep(m, document.HeadRoom)
		m.AddRows(document.Section("Бөлім "+string(rune('A'+i)), 3, 1)...)
		m.AddRows(document.Pairs(8, "Аты-жөні", document.Lines("Әлия Ғабитқызы Құнанбаева", 40, 0), value)...)
		m.AddRows(mrow.New().Add(document.Item(document.Grid, "•", "Өтініштерді қабылдау", value, value)...))
		m.AddRows(mtext.NewAutoRow("Күні: "+document.Date(at), document.BodyProps(mfontstyle.Normal)))
	}
	doc, err := m.Generate()
	if err != nil {
		return nil, err
	}
	return doc.GetBytes(), nil
}

func sample(t testing.TB, pages int) []byte {
	t.Helper()
	pdf, err := render(pages)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

func TestADocumentPrintsKazakhLettersInTheHouseFont(t *testing.T) {
	t.Parallel()

	pdf := sample(t, 2)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 16)])
	}
	got := doctest.Text(t, pdf)
	for _, w := range []string{
		"«Шаһар үйлестіру орталығы» ЖШС", "БСН 210240012345", "Аты-жөні", "Әлия Ғабитқызы Құнанбаева",
		"• Өтініштерді қабылдау", "Күні: 18.03.2026", "Қазақстан Республикасының № 94-V Заңы", "бет 1 / 2", "бет 2 / 2",
	} {
		if !strings.Contains(strings.Join(strings.Fields(got), " "), w) {
			t.Errorf("the document lacks %q; pdftotext gave:\n%s", w, got)
		}
	}
	pages := strings.Split(got, "\f")
	if len(pages) < 2 || strings.Contains(pages[0], "Бөлім B") || !strings.Contains(pages[1], "Бөлім B") {
		t.Errorf("the second section is not kept to the second page; pdftotext gave:\n%s", got)
	}
	if n := doctest.Pages(t, pdf); n >= 0 && n != 2 {
		t.Errorf("the document has %d pages, want 2", n)
	}
}

func TestDocumentsPrintedAtTheSameTimeDoNotShareTheirFonts(t *testing.T) {
	t.Parallel()

	// gofpdf writes into the font bytes it is given; under -race this
	// catches documents that share them.
	want := sample(t, 1)
	for _, got := range doctest.Concurrently(t, 6, func(int) ([]byte, error) { return render(1) }) {
		if len(got) != len(want) {
			t.Errorf("a concurrent render gave %d bytes, a lone one %d", len(got), len(want))
		}
	}
}
