package consent_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/document/doctest"
	"github.com/derbes/derbes/policy"
)

// Kazakh strings the receipts must print letter for letter; together they
// hold each of the nine Kazakh letters ә ғ қ ң ө ұ ү һ і.
const (
	kkOperator       = "«Қалалық мониторинг және жедел әрекет ету орталығы» МКК"
	kkSubject        = "Әлия Ғабитқызы Құнанбаева"
	kkRepresentative = "Гауһар Серікқызы Үмбетова"
	kkPurpose        = "Өтініштерді қабылдау және өңдеу"
	kkDataItem       = "Туған күні"
)

// receiptItems makes n items titled "<prefix> 1", "<prefix> 2"… except for
// the first, which is first.
func receiptItems(id string, first policy.Text, n int, prefix policy.Text) []consent.ReceiptItem {
	items := []consent.ReceiptItem{{ID: id + "-1", Title: first}}
	for i := 2; i <= n; i++ {
		num := strconv.Itoa(i)
		items = append(items, consent.ReceiptItem{ID: id + "-" + num, Title: policy.Text{
			KK: prefix.KK + " " + num, RU: prefix.RU + " " + num, EN: prefix.EN + " " + num,
		}})
	}
	return items
}

// typicalReceipt is a consent given with 5 purposes and 10 kinds of data,
// every optional field set.
func typicalReceipt() *consent.Receipt {
	at := time.Date(2026, 3, 20, 4, 30, 0, 0, time.UTC)
	return &consent.Receipt{
		Schema:    "derbes-consent-receipt/1",
		ReceiptID: "01960b8e-5a2c-7d41-9b7e-3f2a1c0d9e84",
		ConsentID: "01960b8e-47f1-7c3a-8d2e-6b5a4c3d2e1f",
		Event:     consent.Given,
		EventTime: at,
		Operator: consent.ReceiptOperator{
			Name: policy.Text{
				KK: kkOperator,
				RU: "КГП «Центр городского мониторинга и оперативного реагирования»",
				EN: "City Monitoring and Rapid Response Centre (MSOE)",
			},
			BIN:         "210240012345",
			Address:     "Астана қ., Мәңгілік Ел даңғылы, 55/22, 010000",
			Responsible: "Нұрлан Болатұлы Сейітқали, дербес деректерді қорғау жөніндегі маман",
			Contact:     "dpo@monitoring.astana.kz, +7 7172 55 00 00",
		},
		Subject: consent.ReceiptSubject{
			ID:             "01960b7f-0e9d-7b2c-a1f0-9e8d7c6b5a49",
			FullName:       kkSubject,
			Representative: kkRepresentative,
			Authority:      "Сенімхат № 2026-0412, 12.03.2026, нотариус А. Тоқтарова",
		},
		Purposes: append(receiptItems("p",
			policy.Text{KK: kkPurpose, RU: "Приём и обработка обращений", EN: "Receiving and handling requests"}, 4,
			policy.Text{KK: "Қала тұрғындарына жедел қызмет көрсету сапасын бақылау", RU: "Контроль качества оперативного обслуживания жителей города", EN: "Monitoring the quality of rapid services to residents"}),
			consent.ReceiptItem{ID: "p-5", Title: policy.Text{
				KK: "Өтініш берушіге шешім туралы SMS және электрондық пошта арқылы хабарлау, сондай-ақ қанағаттану деңгейін бағалау",
				RU: "Уведомление заявителя о решении по SMS и электронной почте, а также оценка удовлетворённости",
				EN: "Telling the applicant of the decision by SMS and e-mail, and asking how satisfied they were",
			}}),
		Data: append(receiptItems("d",
			policy.Text{KK: kkDataItem, RU: "Дата рождения", EN: "Date of birth"}, 9,
			policy.Text{KK: "Ұялы телефон нөмірі", RU: "Номер мобильного телефона", EN: "Mobile phone number"}),
			consent.ReceiptItem{ID: "d-10", Title: policy.Text{KK: "Тұрғылықты мекенжайы", RU: "Адрес проживания", EN: "Home address"}}),
		ThirdPartyTransfer: true,
		NotifyTransfers:    true,
		OtherConditions:    "Деректер тек Қазақстан Республикасының аумағында сақталады.\nАудио жазбалар 90 күннен кейін жойылады.",
		Form: consent.ReceiptForm{
			Kind:           consent.FormWebsite,
			Reference:      "https://e-otinish.monitoring.astana.kz/consent/2026/03/20/form-7",
			DocumentSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Page:           "https://e-otinish.monitoring.astana.kz/otinish/new",
			ClientIPHash:   "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c",
			At:             at.Add(-2 * time.Minute),
		},
		Notice: consent.ReceiptNotice{PolicyVersion: 7, PolicyLabel: "2026-03"},
	}
}

// withdrawnReceipt is the same consent withdrawn, with a term and the
// withdrawal block: the longest receipt.
func withdrawnReceipt() *consent.Receipt {
	r := typicalReceipt()
	r.Event = consent.Withdrawn
	r.EventTime = time.Date(2026, 4, 1, 19, 5, 0, 0, time.UTC)
	until := time.Date(2027, 3, 20, 0, 0, 0, 0, time.FixedZone("", 5*3600))
	due := time.Date(2026, 4, 2, 19, 5, 0, 0, time.UTC)
	r.Until = &until
	r.Withdrawal = &consent.ReceiptWithdrawal{
		Due:    &due,
		Reason: "Субъект өтініші бойынша",
		Basis:  "94-V Заңның 8-бабының 7-тармағы",
	}
	return r
}

func TestReceiptPDF(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name    string
		receipt *consent.Receipt
		lang    string
		want    []string
	}{
		{
			name: "a Kazakh receipt keeps every Kazakh letter and shows Astana time", receipt: typicalReceipt(), lang: "kk",
			want: []string{
				"Келісім түбіртегі", kkOperator, kkSubject, kkRepresentative, kkPurpose, kkDataItem,
				"Ұялы телефон нөмірі 9", "Тұрғылықты мекенжайы",
				"20.03.2026 09:30 (Астана уақыты)", "20.03.2026 09:28 (Астана уақыты)",
				"өңдеу мақсаттарына қол жеткізілгенге дейін (8-бап, 5-6-тармақтар)",
				"Аудио жазбалар 90 күннен кейін жойылады.",
				"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				"2026-03 (7-нұсқа)",
				"Қазақстан Республикасының № 94-V Заңының 8-бабына сәйкес derbes берді",
			},
		},
		{
			name: "a Russian receipt has Russian labels and titles", receipt: typicalReceipt(), lang: "ru",
			want: []string{
				"Квитанция о согласии", "КГП «Центр городского мониторинга и оперативного реагирования»",
				"Субъект персональных данных", kkSubject, "Цели обработки", "Приём и обработка обращений",
				"Перечень персональных данных", "Дата рождения", "Передача третьим лицам",
				"Уведомлять меня о передаче", "до достижения целей обработки (ст. 8 п. 5-6)",
				"20.03.2026 09:30 (время Астаны)", "на веб-сайте", "2026-03 (версия 7)",
				"Выдано derbes в соответствии с Законом Республики Казахстан № 94-V, ст. 8",
			},
		},
		{
			name: "an English receipt has English labels and titles", receipt: typicalReceipt(), lang: "en",
			want: []string{
				"Consent receipt", "City Monitoring and Rapid Response Centre (MSOE)", "Data subject", kkSubject,
				"Purposes of processing", "Receiving and handling requests", "Personal data", "Date of birth",
				"Cross-border transfer", "Notify me of transfers (Art. 8 p.4)",
				"until the purposes are achieved (Art. 8 p.5-6)", "20.03.2026 09:30 (Astana time)",
				"on a website", "2026-03 (version 7)",
				"Issued by derbes under Law No. 94-V of the Republic of Kazakhstan, Art. 8",
			},
		},
		{
			name: "a withdrawal receipt shows when processing stops", receipt: withdrawnReceipt(), lang: "en",
			want: []string{
				"Receipt: withdrawal of consent", "consent withdrawn", "02.04.2026 00:05 (Astana time)",
				"until 20.03.2027", "Withdrawal of consent", "Processing stops by (Art. 8 p.7)",
				"03.04.2026 00:05 (Astana time)", "Субъект өтініші бойынша",
			},
		},
		{
			name: "a Kazakh withdrawal receipt with every field still fits one page", receipt: withdrawnReceipt(), lang: "kk",
			want: []string{
				"Түбіртек: келісімді кері қайтарып алу", "20.03.2027 дейін",
				"Өңдеуді тоқтату мерзімі (8-бап,", "03.04.2026 00:05 (Астана уақыты)", "94-V Заңның 8-бабының 7-тармағы",
			},
		},
	}
	// pdftotext -layout prints a label that wraps in the label column on
	// two lines, beside its value: the strings wanted are those that fit
	// on one line.
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			pdf, err := tc.receipt.PDF(tc.lang)
			if err != nil {
				t.Fatalf("PDF(%q): %v", tc.lang, err)
			}
			if !bytes.HasPrefix(pdf, []byte("%PDF")) {
				t.Fatalf("PDF(%q) does not start with %%PDF: %q", tc.lang, pdf[:min(len(pdf), 16)])
			}

			got := doctest.Text(t, pdf)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("the %s receipt lacks %q; pdftotext gave:\n%s", tc.lang, w, got)
				}
			}
			if pages := doctest.Pages(t, pdf); pages >= 0 && pages != 1 {
				t.Errorf("the %s receipt has %d pages, want 1", tc.lang, pages)
			}
		})
	}
}

func TestTheKazakhStringsCheckedHoldEveryKazakhLetter(t *testing.T) {
	t.Parallel()

	all := strings.ToLower(kkOperator + kkSubject + kkRepresentative + kkPurpose + kkDataItem)
	for _, r := range "әғқңөұүһі" {
		if !strings.ContainsRune(all, r) {
			t.Errorf("no checked string holds %q", r)
		}
	}
}

func TestReceiptsRenderAtTheSameTimeGiveTheSamePages(t *testing.T) {
	t.Parallel()

	// gofpdf writes into the font bytes it is given; under -race this
	// catches a render that shares them with another.
	const n = 6
	want, err := typicalReceipt().PDF("kk")
	if err != nil {
		t.Fatal(err)
	}
	pdfs := doctest.Concurrently(t, n, func(int) ([]byte, error) { return typicalReceipt().PDF("kk") })
	for _, got := range pdfs {
		// The bytes differ only in the modification date gofpdf stamps.
		if len(got) != len(want) {
			t.Errorf("a concurrent render gave %d bytes, a lone one %d", len(got), len(want))
		}
	}
}

func TestAReceiptInAnUnknownLanguageIsRefused(t *testing.T) {
	t.Parallel()

	for _, lang := range []string{"", "de", "KK", "kz"} {
		if pdf, err := typicalReceipt().PDF(lang); err == nil {
			t.Errorf("PDF(%q) gave %d bytes, want an error", lang, len(pdf))
		}
	}
}

func TestAReceiptForAnUnknownEventIsRefused(t *testing.T) {
	t.Parallel()

	r := typicalReceipt()
	r.Event = "renewed"
	if _, err := r.PDF("kk"); err == nil {
		t.Error("PDF of a receipt with event \"renewed\" succeeded, want an error")
	}
}
