package request_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/document/doctest"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/request"
)

// Kazakh strings the letters must print letter for letter. The operator's
// name alone holds each of the nine Kazakh letters ә ғ қ ң ө ұ ү һ і.
const (
	kkOperator  = "«Шаһар өңірлерін үйлестіру және ақпараттық қолдау ұлттық орталығы» ЖШС"
	kkAddressee = "Әлия Ғабитқызы Құнанбаева"
	kkPurpose   = "Өтініштерді қабылдау және өңдеу"
	kkValue     = "Шығыс Қазақстан облысы, Үржар ауданы, Мақаншы ауылы"
)

const letterID = "01960c2a-3b4d-7e5f-8a9b-0c1d2e3f4a5b"

// The instants of the letters: received on the evening of 17 March UTC,
// which is already 18 March in Astana; answered at 20:30 UTC on 20 March,
// which is 01:30 on 21 March in Astana.
var (
	receivedAt = time.Date(2026, 3, 17, 19, 30, 0, 0, time.UTC)
	dueAt      = time.Date(2026, 3, 25, 13, 0, 0, 0, time.UTC)
	answeredAt = time.Date(2026, 3, 20, 20, 30, 0, 0, time.UTC)
)

func text(kk, ru, en string) policy.Text { return policy.Text{KK: kk, RU: ru, EN: en} }

func item(id string, t policy.Text) request.Item { return request.Item{ID: id, Title: t} }

// baseLetter is the letter of kind and outcome with the operator and the
// addressee filled in.
func baseLetter(kind, outcome string) *request.Letter {
	return &request.Letter{
		Schema:    "derbes-answer/1",
		RequestID: letterID,
		Kind:      kind,
		Outcome:   outcome,
		Received:  receivedAt,
		Due:       dueAt,
		Answered:  answeredAt,
		Operator: request.LetterOperator{
			Name: text(kkOperator,
				"ТОО «Национальный центр координации городских регионов и информационной поддержки»",
				"National Centre for City Regions Coordination and Information Support LLP"),
			BIN:         "210240012345",
			Address:     "Астана қ., Мәңгілік Ел даңғылы, 55/22, 010000",
			Responsible: "Нұрлан Болатұлы Сейітқали",
			Contact:     "dpo@shahar.kz, +7 7172 55 00 00",
		},
		Addressee: kkAddressee,
	}
}

// informationLetter answers an information request with two records: the
// first with values, recipients and a consent; the second blocked, with
// kinds of data only and no recipients.
func informationLetter() *request.Letter {
	l := baseLetter(request.Information, request.Fulfilled)
	l.Held = []request.HeldRecord{
		{
			Record:    "01960b8e-0000-7000-8000-000000000001",
			Purpose:   item("appeals", text(kkPurpose, "Приём и обработка обращений", "Receiving and handling requests")),
			Ground:    item("consent", text("Дербес деректер субъектісінің келісімі", "Согласие субъекта персональных данных", "Consent of the data subject")),
			Channel:   item("website", text("Сайттағы өтініш нысаны", "Форма обращения на сайте", "Request form on the website")),
			Collected: time.Date(2025, 11, 3, 21, 15, 0, 0, time.UTC), // 04.11.2025 in Astana
			State:     "active",
			Data: []request.HeldField{
				{Item: item("full_name", text("Тегі, аты, әкесінің аты", "Фамилия, имя, отчество", "Full name")), Value: kkAddressee},
				{Item: item("birthplace", text("Туған жері", "Место рождения", "Place of birth")), Value: kkValue},
				{Item: item("phone", text("Ұялы телефон нөмірі", "Номер мобильного телефона", "Mobile phone number")), Value: "+7 701 234 56 78"},
			},
			Recipients: []request.Item{
				item("akimat", text("Астана қаласының әкімдігі", "Акимат города Астаны", "Akimat of Astana")),
			},
			Retention: "Өтініш қаралғаннан кейін 3 жыл сақталады, содан кейін жойылады.",
		},
		{
			Record:    "01960b8e-0000-7000-8000-000000000002",
			Purpose:   item("newsletter", text("Жаңалықтар таратылымы", "Рассылка новостей", "Newsletter")),
			Ground:    item("consent", text("Дербес деректер субъектісінің келісімі", "Согласие субъекта персональных данных", "Consent of the data subject")),
			Channel:   item("website", text("Сайттағы өтініш нысаны", "Форма обращения на сайте", "Request form on the website")),
			Collected: time.Date(2026, 1, 10, 6, 0, 0, 0, time.UTC),
			State:     "blocked",
			Data: []request.HeldField{
				{Item: item("email", text("Электрондық пошта мекенжайы", "Адрес электронной почты", "E-mail address"))},
			},
			Retention: "Келісім кері қайтарып алынғанға дейін.",
		},
	}
	l.Transfers = []request.HeldTransfer{{
		Recipient: item("akimat", text("Астана қаласының әкімдігі", "Акимат города Астаны", "Akimat of Astana")),
		Purpose:   item("appeals", text(kkPurpose, "Приём и обработка обращений", "Receiving and handling requests")),
		Ground:    item("consent", text("Дербес деректер субъектісінің келісімі", "Согласие субъекта персональных данных", "Consent of the data subject")),
		Fields:    []request.Item{item("full_name", text("Тегі, аты, әкесінің аты", "Фамилия, имя, отчество", "Full name"))},
		Country:   "KZ",
		At:        time.Date(2025, 12, 1, 19, 0, 0, 0, time.UTC), // 02.12.2025 in Astana
	}}
	return l
}

// identityRefusal refuses an information request that lacks the identity
// document and the signature.
func identityRefusal() *request.Letter {
	l := baseLetter(request.Information, request.Refused)
	l.Reason = request.RefusedIdentity
	l.Missing = []string{request.ReqIDDocument, request.ReqSignature}
	return l
}

// correctionDone is a correction carried out, with what was done in lang.
func correctionDone(lang string) *request.Letter {
	l := baseLetter(request.Correction, request.Fulfilled)
	l.Representative = "Гауһар Серікқызы Үмбетова"
	l.Done = map[string]string{
		"kk": "Туған жеріңіз ұсынылған құжатқа сәйкес түзетілді.",
		"ru": "Место рождения исправлено по представленному документу.",
		"en": "Your place of birth was corrected to match the document you sent.",
	}[lang]
	return l
}

// lateRefusal refuses a destruction because a law forbids it, with an
// explanation, two days after the term.
func lateRefusal() *request.Letter {
	l := baseLetter(request.Destruction, request.Refused)
	l.Reason = request.RefusedByLaw
	l.Explanation = "Tax records are kept for five years under the Tax Code of the Republic of Kazakhstan."
	l.Answered = dueAt.Add(48 * time.Hour)
	return l
}

func TestLetterPDF(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name   string
		letter *request.Letter
		lang   string
		want   []string
		absent []string
	}{
		{
			name: "a Kazakh information answer keeps every Kazakh letter and dates in Astana time", letter: informationLetter(), lang: "kk",
			want: []string{
				kkOperator, "БСН 210240012345", "Кімге: " + kkAddressee, "Күні: 21.03.2026",
				"Дербес деректеріңіз туралы ақпарат беру туралы өтінішіңізге жауап",
				"Келіп түскен күні 18.03.2026", "25.03.2026 дейін (25-бап, 2-тармақ, 6-7-тармақшалар)",
				"21.03.2026, белгіленген мерзімде", "өтініш орындалды",
				"1. " + kkPurpose, "Дербес деректер субъектісінің келісімі", "Сайттағы өтініш нысаны", "04.11.2025",
				"өңделуде", "Туған жері: " + kkValue, "Тегі, аты, әкесінің аты: " + kkAddressee,
				"Астана қаласының әкімдігі", "Өтініш қаралғаннан кейін 3 жыл сақталады, содан кейін жойылады.",
				"2. Жаңалықтар таратылымы", "бұғатталған",
				"Дербес деректеріңізді беру", "1. 02.12.2025, алушы: Астана қаласының әкімдігі", "Алушының елі KZ", "Электрондық пошта мекенжайы", "деректер ешкімге берілмейді",
				"Дербес деректерді өңдеуді ұйымдастыруға жауапты тұлға: Нұрлан Болатұлы Сейітқали, dpo@shahar.kz, +7 7172 55 00 00",
				"Қазақстан Республикасының «Дербес деректер және оларды қорғау туралы» № 94-V Заңы",
			},
			absent: []string{"20.03.2026"},
		},
		{
			name: "a Russian information answer has Russian texts and titles", letter: informationLetter(), lang: "ru",
			want: []string{
				"ТОО «Национальный центр координации городских регионов и информационной поддержки»", "Кому: " + kkAddressee,
				"Дата: 21.03.2026", "Ответ на ваш запрос о предоставлении сведений о персональных данных",
				"до 25.03.2026 (ст. 25 п. 2 пп. 6-7)", "21.03.2026, в установленный срок",
				"1. Приём и обработка обращений", "Согласие субъекта персональных данных", "обрабатываются", "заблокированы",
				"Место рождения: " + kkValue, "Акимат города Астаны", "данные никому не передаются",
				"Передача ваших персональных данных", "1. 02.12.2025, получатель: Акимат города Астаны",
				"Ответственный за организацию обработки персональных данных: Нұрлан Болатұлы Сейітқали",
				"Закон Республики Казахстан № 94-V «О персональных данных и их защите»",
			},
		},
		{
			name: "an English information answer has English texts and titles", letter: informationLetter(), lang: "en",
			want: []string{
				"National Centre for City Regions Coordination and Information Support LLP", "To: " + kkAddressee,
				"Date: 21.03.2026", "Answer to your request for information about your personal data",
				"Received 18.03.2026", "by 25.03.2026 (Art. 25 p.2 sp.6-7)", "21.03.2026, within the term",
				"1. Receiving and handling requests", "Request form on the website", "processed", "blocked",
				"Place of birth: " + kkValue, "no recipients", "Retention",
				"Transfers of your personal data", "1. 02.12.2025, to Akimat of Astana", "Data passed • Full name", "Recipient's country KZ",
				"Person responsible for organising the processing of personal data: Нұрлан Болатұлы Сейітқали, dpo@shahar.kz",
				"Law No. 94-V of the Republic of Kazakhstan", letterID,
			},
		},
		{
			name: "a Kazakh refusal for an incomplete identity lists what is missing", letter: identityRefusal(), lang: "kk",
			want: []string{
				"Дәлелді бас тарту: дербес деректеріңіз туралы ақпарат беру туралы өтінішіңіз бойынша",
				"өтінішті орындаудан бас тартылды", "Бас тарту негіздері",
				"Өтінішіңізде жеке басыңызды анықтауға қажетті мәліметтер жоқ:",
				"• жеке басты куәландыратын құжат (нөмірі, берілген күні, берген орган)", "• қолыңыз",
				"Осы мәліметтер көрсетілген өтінішті қайта жіберуіңізді сұраймыз.", "Күні: 21.03.2026",
			},
			absent: []string{"тегі, аты, әкесінің аты", "ЖСН", "1. " + kkPurpose},
		},
		{
			name: "a Russian refusal for an incomplete identity lists what is missing", letter: identityRefusal(), lang: "ru",
			want: []string{
				"Мотивированный отказ по вашему запросу о предоставлении сведений о персональных данных",
				"в выполнении запроса отказано", "Основания отказа",
				"Ваш запрос не содержит сведений, необходимых для установления вашей личности:",
				"• документ, удостоверяющий личность (номер, дата выдачи, кем выдан)", "• подпись",
				"Пожалуйста, направьте запрос, содержащий эти сведения.",
			},
			absent: []string{"фамилия, имя, отчество", "ИИН"},
		},
		{
			name: "an English refusal for an incomplete identity lists what is missing", letter: identityRefusal(), lang: "en",
			want: []string{
				"Reasoned refusal of your request for information about your personal data", "Reasons for the refusal",
				"Your request does not contain the details needed to identify you:",
				"• identity document (number, date of issue, issuer)", "• signature",
				"Please send us a request that contains them.", "Date: 21.03.2026",
			},
			absent: []string{"full name", "IIN", "Personal data we hold"},
		},
		{
			name: "a Kazakh correction answer says what was done", letter: correctionDone("kk"), lang: "kk",
			want: []string{
				"Дербес деректеріңізді өзгерту және толықтыру туралы өтінішіңізге жауап",
				"өкілі (дербес деректер субъектісі: Гауһар Серікқызы Үмбетова)",
				"25.03.2026 дейін (25-бап, 2-тармақ, 8-тармақша)", "Не істелді",
				"Туған жеріңіз ұсынылған құжатқа сәйкес түзетілді.", "Күні: 21.03.2026",
			},
		},
		{
			name: "a Russian correction answer says what was done", letter: correctionDone("ru"), lang: "ru",
			want: []string{
				"Ответ на ваш запрос об изменении и дополнении персональных данных",
				"представитель (субъект персональных данных: Гауһар Серікқызы Үмбетова)",
				"до 25.03.2026 (ст. 25 п. 2 пп. 8)", "Что сделано",
				"Место рождения исправлено по представленному документу.", "Дата: 21.03.2026",
			},
		},
		{
			name: "a late refusal explains itself and does not claim to be on time", letter: lateRefusal(), lang: "en",
			want: []string{
				"Reasoned refusal of your request to destroy your personal data", "Answered 27.03.2026", "refused",
				"The legislation of the Republic of Kazakhstan does not allow the operator to take the action requested.",
				"Tax records are kept for five years under the Tax Code of the Republic of Kazakhstan.",
			},
			absent: []string{"within the term", "What was done"},
		},
		{
			name: "an English correction answer says what was done", letter: correctionDone("en"), lang: "en",
			want: []string{
				"Answer to your request to correct your personal data", "representative of Гауһар Серікқызы Үмбетова",
				"by 25.03.2026 (Art. 25 p.2 sp.8)", "What was done",
				"Your place of birth was corrected to match the document you sent.", "Date: 21.03.2026",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			got, _ := renderLetter(t, tc.letter, tc.lang)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("the %s letter lacks %q; pdftotext gave:\n%s", tc.lang, w, got)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(got, a) {
					t.Errorf("the %s letter holds %q, which it should not; pdftotext gave:\n%s", tc.lang, a, got)
				}
			}
		})
	}
}

func TestTheKazakhStringsCheckedHoldEveryKazakhLetter(t *testing.T) {
	t.Parallel()

	name := strings.ToLower(kkOperator)
	for _, r := range "әғқңөұүһі" {
		if !strings.ContainsRune(name, r) {
			t.Errorf("the operator's name does not hold %q", r)
		}
	}
}

func TestEveryKindHasItsOwnSubjectLineInEveryLanguage(t *testing.T) {
	t.Parallel()

	seen := map[string]string{}
	for _, kind := range request.Kinds {
		for _, outcome := range []string{request.Fulfilled, request.Refused} {
			l := baseLetter(kind, outcome)
			if outcome == request.Refused {
				l.Reason = request.RefusedNotConfirmed
			}
			for _, lang := range []string{"kk", "ru", "en"} {
				pdf, err := l.PDF(lang)
				if err != nil {
					t.Errorf("PDF(%q) of a %s %s letter: %v", lang, outcome, kind, err)
					continue
				}
				title := pdfTitle.FindSubmatch(pdf)
				if title == nil {
					t.Errorf("the %s %s letter in %s has no /Title", outcome, kind, lang)
					continue
				}
				if prev, dup := seen[string(title[1])]; dup {
					t.Errorf("the %s %s letter in %s has the same title as the %s", outcome, kind, lang, prev)
				}
				seen[string(title[1])] = fmt.Sprintf("%s %s letter in %s", outcome, kind, lang)
			}
		}
	}
}

// pdfTitle finds the document title gofpdf writes (UTF-16 in a string).
var pdfTitle = regexp.MustCompile(`/Title \(((?:[^)\\]|\\.)*)\)`)

func TestALongAnswerRunsOnSeveralPagesAndCutsLongValues(t *testing.T) {
	t.Parallel()

	l := informationLetter()
	// A 72 KB value of ordinary words, ending in a word that must not be
	// printed; and one word of 5,000 letters with no space.
	long := strings.Repeat("ұзын мән ", 8000) + "СОҢЫ"
	l.Held[0].Data = append(l.Held[0].Data,
		request.HeldField{Item: item("note", text("Ескертпе", "Примечание", "Note")), Value: long},
		request.HeldField{Item: item("token", text("Токен", "Токен", "Token")), Value: strings.Repeat("ф", 5000)},
	)
	for i := range 30 {
		r := l.Held[1]
		r.Purpose = item("p"+strconv.Itoa(i), text("Мақсат "+strconv.Itoa(i+3), "Цель "+strconv.Itoa(i+3), "Purpose "+strconv.Itoa(i+3)))
		l.Held = append(l.Held, r)
	}
	l.Done = strings.Repeat("Ұзақ түсініктеме мәтіні. ", 3000)

	got, pages := renderLetter(t, l, "en")
	if !strings.Contains(got, "Note: ұзын мән ұзын мән") || !strings.Contains(got, "…") {
		t.Errorf("the long value is not printed cut with an ellipsis:\n%.3000s", got)
	}
	if strings.Contains(got, "СОҢЫ") {
		t.Error("the end of a 72 KB value is printed; it should be cut at about 500 characters")
	}
	for _, w := range []string{"32. Purpose 32", "page 1 of", "page 2 of", "Ұзақ түсініктеме мәтіні."} {
		if !strings.Contains(got, w) {
			t.Errorf("the long letter lacks %q", w)
		}
	}
	if pages >= 0 && pages < 3 {
		t.Errorf("the long letter has %d pages, want at least 3", pages)
	}
	if n := strings.Count(got, letterID); pages > 0 && n < pages {
		t.Errorf("the request id is printed %d times on %d pages, want it in every footer", n, pages)
	}
}

func TestLettersRenderedAtTheSameTimeGiveTheSamePages(t *testing.T) {
	t.Parallel()

	// gofpdf writes into the font bytes it is given; under -race this
	// catches a render that shares them with another.
	const n = 6
	want, err := informationLetter().PDF("kk")
	if err != nil {
		t.Fatal(err)
	}
	pdfs := doctest.Concurrently(t, n, func(int) ([]byte, error) { return informationLetter().PDF("kk") })
	for _, got := range pdfs {
		// The bytes differ only in the modification date gofpdf stamps.
		if len(got) != len(want) {
			t.Errorf("a concurrent render gave %d bytes, a lone one %d", len(got), len(want))
		}
	}
}

func TestALetterInAnUnknownLanguageIsRefused(t *testing.T) {
	t.Parallel()

	for _, lang := range []string{"", "de", "KK", "kz"} {
		if pdf, err := informationLetter().PDF(lang); err == nil {
			t.Errorf("PDF(%q) gave %d bytes, want an error", lang, len(pdf))
		}
	}
}

func TestALetterThatCannotBeWordedIsRefused(t *testing.T) {
	t.Parallel()

	cases := map[string]func(l *request.Letter){
		"an unknown kind":              func(l *request.Letter) { l.Kind = "complaint" },
		"an unknown outcome":           func(l *request.Letter) { l.Outcome = "pending" },
		"a refusal without a reason":   func(l *request.Letter) { l.Reason = "" },
		"an unknown refusal reason":    func(l *request.Letter) { l.Reason = "too-busy" },
		"an unknown missing requisite": func(l *request.Letter) { l.Missing = append(l.Missing, "photo") },
		"no answer time":               func(l *request.Letter) { l.Answered = time.Time{} },
	}
	for name, spoil := range cases {
		l := identityRefusal()
		spoil(l)
		if pdf, err := l.PDF("en"); err == nil {
			t.Errorf("a letter with %s gave %d bytes, want an error", name, len(pdf))
		}
	}
	var nilLetter *request.Letter
	if _, err := nilLetter.PDF("en"); err == nil {
		t.Error("PDF of a nil letter succeeded, want an error")
	}
}

// renderLetter renders l in lang, checks it is a PDF, and returns its text
// as `pdftotext -layout` reads it with runs of white space folded to one
// space (so that a text wrapped across lines reads whole), and its page
// count (-1 without pdfinfo).
func renderLetter(t *testing.T, l *request.Letter, lang string) (string, int) {
	t.Helper()
	pdf, err := l.PDF(lang)
	if err != nil {
		t.Fatalf("PDF(%q): %v", lang, err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("PDF(%q) does not start with %%PDF: %q", lang, pdf[:min(len(pdf), 16)])
	}
	return strings.Join(strings.Fields(doctest.Text(t, pdf)), " "), doctest.Pages(t, pdf)
}
