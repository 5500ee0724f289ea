package retention_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/derbes/derbes/document/doctest"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/retention"
)

// actKKPurpose is the Kazakh title of the first purpose; it holds each of
// the nine Kazakh letters ә ғ қ ң ө ұ ү һ і, and takes several lines of
// the purpose column.
const actKKPurpose = "Шаһардың әкімдігіне түскен ұсыныстар мен өтініштерді қабылдау және оған жауап беру"

const actID = "01960c2a-3b4d-7e5f-8a9b-0c1d2e3f4a5b"

// The act started at 19:30 UTC on 17 March, which is 00:30 on 18 March in
// Astana, and was sealed at 19:42 UTC (00:42).
var (
	actStarted = time.Date(2026, 3, 17, 19, 30, 0, 0, time.UTC)
	actSealed  = time.Date(2026, 3, 17, 19, 42, 0, 0, time.UTC)
)

// actTitles are the policy's titles of the ids the test act names.
var actTitles = map[string]policy.Text{
	"purpose/appeals":    {KK: actKKPurpose, RU: "Приём обращений", EN: "Receiving appeals"},
	"purpose/newsletter": {KK: "Жаңалықтар таратылымы", RU: "Рассылка новостей", EN: "Newsletter"},
	"category/citizens":  {KK: "Азаматтар", RU: "Граждане", EN: "Citizens"},
	"ground/consent":     {KK: "Келісім", RU: "Согласие", EN: "Consent"},
}

func actTitle(kind, id string) policy.Text { return actTitles[kind+"/"+id] }

// actSummary is an act of a retention sweep with three lines, seven
// records in all.
func actSummary() *retention.ActSummary {
	return &retention.ActSummary{
		ID:        actID,
		Kind:      "retention-sweep",
		StartedAt: actStarted,
		SealedAt:  actSealed,
		Records:   7,
		Counts: []retention.ActCount{
			{Purpose: "appeals", Category: "citizens", Ground: "consent", Action: policy.ThenDestroy, Rule: "retention-end", Records: 4},
			{Purpose: "appeals", Category: "citizens", Ground: "consent", Action: policy.ThenDepersonalise, Rule: "retention-end", Records: 2},
			{Purpose: "newsletter", Category: "subscribers", Ground: "consent", Action: policy.ThenDestroy, Rule: "consent-withdrawn", Records: 1},
		},
		RecordIDs: strings.Repeat("ab", 32),
	}
}

// actSigned returns the context of s signed with a fresh key, as the vault
// signs it: Ed25519 over the summary's JSON.
func actSigned(t testing.TB, s *retention.ActSummary) retention.ActContext {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return retention.ActContext{
		Operator: policy.Operator{
			Name: policy.Text{
				KK: "«Шаһар өңірлерін үйлестіру және ақпараттық қолдау ұлттық орталығы» ЖШС",
				RU: "ТОО «Национальный центр координации городских регионов»",
				EN: "National Centre for City Regions Coordination LLP",
			},
			BIN:         "210240012345",
			Address:     "Астана қ., Мәңгілік Ел даңғылы, 55/22",
			Responsible: policy.Responsible{Name: "Нұрлан Болатұлы Сейітқали", Position: "DPO", Email: "dpo@shahar.kz"},
		},
		Titles:    actTitle,
		Signature: ed25519.Sign(priv, b),
		PublicKey: pub,
		Summary:   b,
	}
}

func actFingerprint(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])[:16]
}

func TestAnActOfDestructionPrintsInEachLanguage(t *testing.T) {
	t.Parallel()

	cases := []struct {
		lang   string
		want   []string
		total  *regexp.Regexp
		absent []string
	}{
		{
			lang: "kk",
			want: []string{
				"Дербес деректерді жою актісі", "№ " + actID, actKKPurpose, "Азаматтар", "Келісім",
				"жойылды", "иесіздендірілді", "сақтау мерзімі өтті", "subscribers",
				"сақтау мерзімі өткен деректерді жою", "18.03.2026 00:30", "18.03.2026 00:42",
				"12-бап, 2-тармақ; 18-бап; иесіздендіру: 17-бап", "қолтаңба расталды", "(қолы)",
			},
			total:  regexp.MustCompile(`Барлығы\s+7`),
			absent: []string{"РАСТАЛМАДЫ"},
		},
		{
			lang: "ru",
			want: []string{
				"Акт об уничтожении персональных данных", "Приём обращений", "Граждане", "уничтожены", "обезличены",
				"истёк срок хранения", "плановое уничтожение по истечении срока хранения", "18.03.2026 00:30",
				"ст. 12 п. 2, ст. 18; обезличивание: ст. 17", "подпись подтверждена", "криптографическое уничтожение",
			},
			total:  regexp.MustCompile(`Итого\s+7`),
			absent: []string{"НЕ ПОДТВЕРЖДЕНА"},
		},
		{
			lang: "en",
			want: []string{
				"Act of destruction of personal data", "Receiving appeals", "Citizens", "Consent",
				"destroyed", "depersonalised", "storage term ended", "retention sweep", "18.03.2026 00:30", "18.03.2026 00:42",
				"Art. 12 p.2, Art. 18; depersonalisation: Art. 17", "signature verified", "key shredding",
				strings.Repeat("ab", 32), "BIN 210240012345", "Нұрлан Болатұлы Сейітқали", "page 1 of 1",
			},
			total:  regexp.MustCompile(`Total\s+7`),
			absent: []string{"DOES NOT verify", "17.03.2026"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			t.Parallel()
			s := actSummary()
			p := actSigned(t, s)
			got := actRender(t, s, p, tc.lang)
			want := append(tc.want, actFingerprint(p.PublicKey), actFingerprint(p.Signature))
			for _, w := range want {
				if !actHas(got, w) {
					t.Errorf("the %s act lacks %q; pdftotext gave:\n%s", tc.lang, w, got)
				}
			}
			if !tc.total.MatchString(got) {
				t.Errorf("the %s act has no total of 7 (%s); pdftotext gave:\n%s", tc.lang, tc.total, got)
			}
			for _, a := range tc.absent {
				if strings.Contains(got, a) {
					t.Errorf("the %s act holds %q, which it should not", tc.lang, a)
				}
			}
		})
	}
}

func TestTheKazakhPurposeTitleHoldsEveryKazakhLetter(t *testing.T) {
	t.Parallel()

	for _, r := range "әғқңөұүһі" {
		if !strings.ContainsRune(strings.ToLower(actKKPurpose), r) {
			t.Errorf("the Kazakh purpose title lacks %q, so the act test does not check it", r)
		}
	}
}

func TestAnActWhoseSignatureDoesNotHoldSaysSo(t *testing.T) {
	t.Parallel()

	cases := map[string]func(s *retention.ActSummary, p *retention.ActContext){
		"a tampered summary": func(_ *retention.ActSummary, p *retention.ActContext) {
			p.Summary = bytes.Replace(p.Summary, []byte(`"records":7`), []byte(`"records":8`), 1)
		},
		"a summary that is not the act printed": func(s *retention.ActSummary, _ *retention.ActContext) {
			s.Counts[0].Records = 40
		},
		"another key":  func(_ *retention.ActSummary, p *retention.ActContext) { p.PublicKey, _, _ = ed25519.GenerateKey(nil) },
		"a short key":  func(_ *retention.ActSummary, p *retention.ActContext) { p.PublicKey = p.PublicKey[:8] },
		"no signature": func(_ *retention.ActSummary, p *retention.ActContext) { p.Signature = nil },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := actSummary()
			p := actSigned(t, s)
			spoil(s, &p)
			got := actRender(t, s, p, "en")
			if !strings.Contains(got, "signature DOES NOT verify") {
				t.Errorf("the act with %s does not say its signature fails; pdftotext gave:\n%s", name, got)
			}
			if strings.Contains(got, "signature verified") {
				t.Errorf("the act with %s says its signature is verified", name)
			}
		})
	}
}

func TestAnActWhoseLinesDoNotAddUpSaysSo(t *testing.T) {
	t.Parallel()

	s := actSummary()
	s.Records = 9
	got := actRender(t, s, actSigned(t, s), "en")
	if !strings.Contains(got, "The act states 9 records, but its lines add up to 7.") {
		t.Errorf("the act does not point out that its lines do not add up; pdftotext gave:\n%s", got)
	}
}

func TestAnActPrintsTheIDsItHasNoTitlesFor(t *testing.T) {
	t.Parallel()

	s := actSummary()
	s.Counts = append(s.Counts, retention.ActCount{Purpose: "tax-records", Category: "employees", Ground: "state-revenue", Action: "archive", Rule: "unlawful", Records: 3})
	s.Records += 3
	p := actSigned(t, s)
	p.Titles = nil
	got := actRender(t, s, p, "ru")
	for _, w := range []string{"tax-records", "employees", "Органы государственных доходов", "archive", "unlawful", "appeals", "Итого"} {
		if !actHas(got, w) {
			t.Errorf("the act without titles lacks %q; pdftotext gave:\n%s", w, got)
		}
	}
	if !regexp.MustCompile(`Итого\s+10`).MatchString(got) {
		t.Errorf("the act has no total of 10; pdftotext gave:\n%s", got)
	}
}

func TestALongActRunsOnSeveralPagesAndRepeatsItsTableHead(t *testing.T) {
	t.Parallel()

	s := actSummary()
	s.Counts = nil
	s.Records = 0
	for i := range 90 {
		s.Counts = append(s.Counts, retention.ActCount{
			Purpose: "purpose-" + strconv.Itoa(i), Category: "citizens", Ground: "consent",
			Action: policy.ThenDestroy, Rule: "retention-end", Records: i + 1,
		})
		s.Records += i + 1
	}
	// A title of one word far wider than its column is cut, not run
	// into the next.
	s.Counts[0].Purpose = strings.Repeat("ф", 200)
	got, pages := actRenderPages(t, s, actSigned(t, s), "en")
	if pages >= 0 && pages < 3 {
		t.Errorf("the act of 90 lines has %d pages, want at least 3", pages)
	}
	for _, w := range []string{"purpose-89", "signature verified", "page 1 of", "page 3 of"} {
		if !strings.Contains(got, w) {
			t.Errorf("the long act lacks %q", w)
		}
	}
	if !regexp.MustCompile(`Total\s+4095`).MatchString(got) {
		t.Error("the long act has no total of 4095")
	}
	for i, page := range strings.Split(got, "\f") {
		if strings.Contains(page, "purpose-") && !strings.Contains(page, "Subject category") {
			t.Errorf("page %d holds lines of the table but not its head", i+1)
		}
	}
	if strings.Contains(got, strings.Repeat("ф", 30)) {
		t.Error("a 200-letter word is printed whole; it should be cut to fit its column")
	}
}

func TestActsRenderedAtTheSameTimeGiveTheSamePages(t *testing.T) {
	t.Parallel()

	// gofpdf writes into the font bytes it is given; under -race this
	// catches a render that shares them with another.
	const n = 6
	s := actSummary()
	p := actSigned(t, s)
	want, err := s.PDF(p, "kk")
	if err != nil {
		t.Fatal(err)
	}
	pdfs := doctest.Concurrently(t, n, func(i int) ([]byte, error) {
		pdf, err := s.PDF(p, []string{"kk", "ru", "en"}[i%3])
		if i%3 != 0 {
			pdf = nil
		}
		return pdf, err
	})
	for _, got := range pdfs {
		// The bytes differ only in the modification date gofpdf stamps.
		if got != nil && len(got) != len(want) {
			t.Errorf("a concurrent render gave %d bytes, a lone one %d", len(got), len(want))
		}
	}
}

func TestAnActInAnUnknownLanguageIsRefused(t *testing.T) {
	t.Parallel()

	s := actSummary()
	p := actSigned(t, s)
	for _, lang := range []string{"", "de", "KK", "kz"} {
		if pdf, err := s.PDF(p, lang); err == nil {
			t.Errorf("PDF(%q) gave %d bytes, want an error", lang, len(pdf))
		}
	}
	var none *retention.ActSummary
	if _, err := none.PDF(p, "kk"); err == nil {
		t.Error("a nil act was printed, want an error")
	}
}

// actRender renders s in lang, checks it is a PDF and returns its text.
func actRender(t *testing.T, s *retention.ActSummary, p retention.ActContext, lang string) string {
	t.Helper()
	got, _ := actRenderPages(t, s, p, lang)
	return got
}

// actRenderPages renders s in lang and returns its text and page count
// (-1 without pdfinfo).
func actRenderPages(t *testing.T, s *retention.ActSummary, p retention.ActContext, lang string) (string, int) {
	t.Helper()
	pdf, err := s.PDF(p, lang)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("the %s act does not start with %%PDF-: %q", lang, pdf[:min(len(pdf), 16)])
	}
	return doctest.Text(t, pdf), doctest.Pages(t, pdf)
}

// actHas reports whether text, as pdftotext -layout lays it out, holds
// phrase: on one line, or in one table cell wrapped over several lines.
func actHas(text, phrase string) bool {
	if strings.Contains(text, phrase) {
		return true
	}
	for _, col := range actColumns(text) {
		if strings.Contains(col, phrase) {
			return true
		}
	}
	return false
}

// actColumns gathers the pieces of text of each page that start at the
// same character offset of their lines (pieces being separated by gaps
// of two spaces or more), joined by spaces: the lines of a wrapped table
// cell then read as one text.
func actColumns(text string) []string {
	piece := regexp.MustCompile(`\S+(?: \S+)*`)
	var out []string
	for _, page := range strings.Split(text, "\f") {
		cols := map[int][]string{}
		var starts []int
		for _, ln := range strings.Split(page, "\n") {
			for _, loc := range piece.FindAllStringIndex(ln, -1) {
				at := utf8.RuneCountInString(ln[:loc[0]])
				if _, ok := cols[at]; !ok {
					starts = append(starts, at)
				}
				cols[at] = append(cols[at], ln[loc[0]:loc[1]])
			}
		}
		for _, at := range starts {
			out = append(out, strings.Join(cols[at], " "))
		}
	}
	return out
}
