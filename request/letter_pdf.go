package request

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/johnfercher/maroto/v2"
	mline "github.com/johnfercher/maroto/v2/pkg/components/line"
	mrow "github.com/johnfercher/maroto/v2/pkg/components/row"
	mtext "github.com/johnfercher/maroto/v2/pkg/components/text"
	mconfig "github.com/johnfercher/maroto/v2/pkg/config"
	malign "github.com/johnfercher/maroto/v2/pkg/consts/align"
	mfontstyle "github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	mpagesize "github.com/johnfercher/maroto/v2/pkg/consts/pagesize"
	mcore "github.com/johnfercher/maroto/v2/pkg/core"
	mprops "github.com/johnfercher/maroto/v2/pkg/props"
	mrepository "github.com/johnfercher/maroto/v2/pkg/repository"

	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/policy"
)

// The letter is set in DejaVu Sans, as the consent receipt is (it covers the
// Kazakh letters ә ғ қ ң ө ұ ү һ і); the font bytes come from the consent
// package so that the binary carries one copy of them.
const letterFont = "dejavu-sans"

// letterZone is the time zone letters are dated in: Astana time, UTC+5 in
// the whole of Kazakhstan since 1 March 2024, as a fixed offset that does
// not depend on the machine's tzdata.
var letterZone = time.FixedZone("Asia/Almaty", 5*60*60)

const (
	letterDate = "02.01.2006"
	// letterLongWord is the longest run of characters without a space that
	// fits the value column, even in wide letters (ж, ш, ф, W); longer words (URLs, tokens) are cut so that
	// maroto, which only breaks lines at spaces, cannot run them off the
	// page.
	letterLongWord = 40
	// letterMaxValue is the longest value of a held field printed, in
	// characters; a longer one is cut and ends in "…" (the JSON letter
	// keeps it whole).
	letterMaxValue = 500
	// letterChunk is the longest run of text one row carries: a longer
	// paragraph is set as several rows, so that no row is taller than a
	// page (maroto would run it off the bottom).
	letterChunk = 1500
)

// letterLabels holds every fixed text of the letter in Kazakh, Russian and
// English. A key missing here, or a language missing from an entry, makes
// PDF fail rather than print a wrong or empty text.
var letterLabels = map[string]policy.Text{
	// Subject lines: an answer, and a reasoned refusal, per kind.
	"subject.answer." + Information: {
		KK: "Дербес деректеріңіз туралы ақпарат беру туралы өтінішіңізге жауап",
		RU: "Ответ на ваш запрос о предоставлении сведений о персональных данных",
		EN: "Answer to your request for information about your personal data",
	},
	"subject.answer." + Correction: {
		KK: "Дербес деректеріңізді өзгерту және толықтыру туралы өтінішіңізге жауап",
		RU: "Ответ на ваш запрос об изменении и дополнении персональных данных",
		EN: "Answer to your request to correct your personal data",
	},
	"subject.answer." + Blocking: {
		KK: "Дербес деректеріңізді бұғаттау туралы өтінішіңізге жауап",
		RU: "Ответ на ваш запрос о блокировании персональных данных",
		EN: "Answer to your request to block your personal data",
	},
	"subject.answer." + Unblocking: {
		KK: "Дербес деректеріңізді бұғаттаудан шығару туралы өтінішіңізге жауап",
		RU: "Ответ на ваш запрос о разблокировании персональных данных",
		EN: "Answer to your request to unblock your personal data",
	},
	"subject.answer." + Destruction: {
		KK: "Дербес деректеріңізді жою туралы өтінішіңізге жауап",
		RU: "Ответ на ваш запрос об уничтожении персональных данных",
		EN: "Answer to your request to destroy your personal data",
	},
	"subject.answer." + Withdrawal: {
		KK: "Дербес деректерді жинауға және өңдеуге келісімді кері қайтарып алу туралы өтінішіңізге жауап",
		RU: "Ответ на ваш запрос об отзыве согласия на сбор и обработку персональных данных",
		EN: "Answer to your request to withdraw your consent to the collection and processing of personal data",
	},
	"subject.answer." + Objection: {
		KK: "Тек автоматтандырылған өңдеу негізінде қабылданған шешімге қарсылығыңызға жауап",
		RU: "Ответ на ваше возражение против решения, принятого исключительно на основе автоматизированной обработки",
		EN: "Answer to your objection to a decision taken solely by automated processing",
	},
	"subject.answer." + PublicRemoval: {
		KK: "Дербес деректеріңізді жалпыға қолжетімді дереккөздерден алып тастау туралы өтінішіңізге жауап",
		RU: "Ответ на ваш запрос об исключении персональных данных из общедоступных источников",
		EN: "Answer to your request to remove your personal data from public sources",
	},
	"subject.refusal." + Information: {
		KK: "Дәлелді бас тарту: дербес деректеріңіз туралы ақпарат беру туралы өтінішіңіз бойынша",
		RU: "Мотивированный отказ по вашему запросу о предоставлении сведений о персональных данных",
		EN: "Reasoned refusal of your request for information about your personal data",
	},
	"subject.refusal." + Correction: {
		KK: "Дәлелді бас тарту: дербес деректеріңізді өзгерту және толықтыру туралы өтінішіңіз бойынша",
		RU: "Мотивированный отказ по вашему запросу об изменении и дополнении персональных данных",
		EN: "Reasoned refusal of your request to correct your personal data",
	},
	"subject.refusal." + Blocking: {
		KK: "Дәлелді бас тарту: дербес деректеріңізді бұғаттау туралы өтінішіңіз бойынша",
		RU: "Мотивированный отказ по вашему запросу о блокировании персональных данных",
		EN: "Reasoned refusal of your request to block your personal data",
	},
	"subject.refusal." + Unblocking: {
		KK: "Дәлелді бас тарту: дербес деректеріңізді бұғаттаудан шығару туралы өтінішіңіз бойынша",
		RU: "Мотивированный отказ по вашему запросу о разблокировании персональных данных",
		EN: "Reasoned refusal of your request to unblock your personal data",
	},
	"subject.refusal." + Destruction: {
		KK: "Дәлелді бас тарту: дербес деректеріңізді жою туралы өтінішіңіз бойынша",
		RU: "Мотивированный отказ по вашему запросу об уничтожении персональных данных",
		EN: "Reasoned refusal of your request to destroy your personal data",
	},
	"subject.refusal." + Withdrawal: {
		KK: "Дәлелді бас тарту: дербес деректерді жинауға және өңдеуге келісімді кері қайтарып алу туралы өтінішіңіз бойынша",
		RU: "Мотивированный отказ по вашему запросу об отзыве согласия на сбор и обработку персональных данных",
		EN: "Reasoned refusal of your request to withdraw your consent to the collection and processing of personal data",
	},
	"subject.refusal." + Objection: {
		KK: "Дәлелді бас тарту: тек автоматтандырылған өңдеу негізінде қабылданған шешімге қарсылығыңыз бойынша",
		RU: "Мотивированный отказ по вашему возражению против решения, принятого исключительно на основе автоматизированной обработки",
		EN: "Reasoned refusal of your objection to a decision taken solely by automated processing",
	},
	"subject.refusal." + PublicRemoval: {
		KK: "Дәлелді бас тарту: дербес деректеріңізді жалпыға қолжетімді дереккөздерден алып тастау туралы өтінішіңіз бойынша",
		RU: "Мотивированный отказ по вашему запросу об исключении персональных данных из общедоступных источников",
		EN: "Reasoned refusal of your request to remove your personal data from public sources",
	},

	// The article setting each kind's term, as Deadline names it.
	"article." + Information:   {KK: "25-бап, 2-тармақ, 6-7-тармақшалар", RU: "ст. 25 п. 2 пп. 6-7", EN: "Art. 25 p.2 sp.6-7"},
	"article." + Correction:    {KK: "25-бап, 2-тармақ, 8-тармақша", RU: "ст. 25 п. 2 пп. 8", EN: "Art. 25 p.2 sp.8"},
	"article." + Blocking:      {KK: "25-бап, 2-тармақ, 8-тармақша", RU: "ст. 25 п. 2 пп. 8", EN: "Art. 25 p.2 sp.8"},
	"article." + Unblocking:    {KK: "25-бап, 2-тармақ, 8-тармақша", RU: "ст. 25 п. 2 пп. 8", EN: "Art. 25 p.2 sp.8"},
	"article." + Destruction:   {KK: "25-бап, 2-тармақ, 8-тармақша", RU: "ст. 25 п. 2 пп. 8", EN: "Art. 25 p.2 sp.8"},
	"article." + Withdrawal:    {KK: "8-бап, 7-тармақ", RU: "ст. 8 п. 7", EN: "Art. 8 p.7"},
	"article." + Objection:     {KK: "19-1-бап", RU: "ст. 19-1", EN: "Art. 19-1"},
	"article." + PublicRemoval: {KK: "6-бап", RU: "ст. 6", EN: "Art. 6"},

	// Letterhead and addressee.
	"bin":            {KK: "БСН", RU: "БИН", EN: "BIN"},
	"contact":        {KK: "Байланыс", RU: "Контакты", EN: "Contact"},
	"date":           {KK: "Күні", RU: "Дата", EN: "Date"},
	"ref":            {KK: "Өтініш № %s", RU: "Запрос № %s", EN: "Request No. %s"},
	"to":             {KK: "Кімге", RU: "Кому", EN: "To"},
	"representative": {KK: "өкілі (дербес деректер субъектісі: %s)", RU: "представитель (субъект персональных данных: %s)", EN: "representative of %s"},

	// The request.
	"request":              {KK: "Сіздің өтінішіңіз", RU: "Ваш запрос", EN: "Your request"},
	"received":             {KK: "Келіп түскен күні", RU: "Дата получения", EN: "Received"},
	"due":                  {KK: "Жауап беру мерзімі", RU: "Срок ответа", EN: "Term of the answer"},
	"due_value":            {KK: "%s дейін (%s)", RU: "до %s (%s)", EN: "by %s (%s)"},
	"answered":             {KK: "Жауап берілген күні", RU: "Дата ответа", EN: "Answered"},
	"in_term":              {KK: "%s, белгіленген мерзімде", RU: "%s, в установленный срок", EN: "%s, within the term"},
	"outcome":              {KK: "Нәтижесі", RU: "Результат", EN: "Result"},
	"outcome." + Fulfilled: {KK: "өтініш орындалды", RU: "запрос выполнен", EN: "fulfilled"},
	"outcome." + Partly:    {KK: "өтініш ішінара орындалды", RU: "запрос выполнен частично", EN: "fulfilled in part"},
	"outcome." + Refused:   {KK: "өтінішті орындаудан бас тартылды", RU: "в выполнении запроса отказано", EN: "refused"},

	// Refusals.
	"reasons":     {KK: "Бас тарту негіздері", RU: "Основания отказа", EN: "Reasons for the refusal"},
	"explanation": {KK: "Түсініктеме", RU: "Пояснение", EN: "Explanation"},
	"reason." + RefusedIdentity: {
		KK: "Өтінішіңізде жеке басыңызды анықтауға қажетті мәліметтер жоқ:",
		RU: "Ваш запрос не содержит сведений, необходимых для установления вашей личности:",
		EN: "Your request does not contain the details needed to identify you:",
	},
	"reason." + RefusedIdentity + ".none": {
		KK: "Өтінішіңізде жеке басыңызды анықтауға қажетті мәліметтер жоқ.",
		RU: "Ваш запрос не содержит сведений, необходимых для установления вашей личности.",
		EN: "Your request does not contain the details needed to identify you.",
	},
	"reason." + RefusedIdentity + ".resend": {
		KK: "Осы мәліметтер көрсетілген өтінішті қайта жіберуіңізді сұраймыз.",
		RU: "Пожалуйста, направьте запрос, содержащий эти сведения.",
		EN: "Please send us a request that contains them.",
	},
	"reason." + RefusedNotConfirmed: {
		KK: "Өтінішіңізде көрсетілген мән-жайлар ұсынылған құжаттармен расталмады, сондықтан сұралған әрекетті орындау мүмкін емес.",
		RU: "Обстоятельства, изложенные в вашем запросе, не подтверждены представленными документами, поэтому запрошенное действие не может быть выполнено.",
		EN: "The facts stated in your request were not confirmed by the documents received, so the action requested cannot be taken.",
	},
	"reason." + RefusedByLaw: {
		KK: "Қазақстан Республикасының заңнамасы операторға сұралған әрекетті орындауға мүмкіндік бермейді.",
		RU: "Законодательство Республики Казахстан не позволяет оператору выполнить запрошенное действие.",
		EN: "The legislation of the Republic of Kazakhstan does not allow the operator to take the action requested.",
	},
	"reason." + RefusedNoData: {
		KK: "Операторда сіз туралы дербес деректер жоқ.",
		RU: "Оператор не располагает вашими персональными данными.",
		EN: "The operator holds no personal data about you.",
	},

	// The identity requisites a request lacked.
	"requisite." + ReqFullName:     {KK: "тегі, аты, әкесінің аты (бар болса)", RU: "фамилия, имя, отчество (при наличии)", EN: "full name"},
	"requisite." + ReqIIN:          {KK: "ЖСН (жеке сәйкестендіру нөмірі)", RU: "ИИН (индивидуальный идентификационный номер)", EN: "IIN (individual identification number)"},
	"requisite." + ReqIDDocument:   {KK: "жеке басты куәландыратын құжат (нөмірі, берілген күні, берген орган)", RU: "документ, удостоверяющий личность (номер, дата выдачи, кем выдан)", EN: "identity document (number, date of issue, issuer)"},
	"requisite." + ReqRelationship: {KK: "оператормен қатынасыңызды растайтын мәліметтер", RU: "сведения, подтверждающие ваше участие в отношениях с оператором", EN: "details confirming your relationship with the operator"},
	"requisite." + ReqSignature:    {KK: "қолыңыз", RU: "подпись", EN: "signature"},

	// The information answer.
	"held":            {KK: "Сіз туралы өңделетін дербес деректер (өңдеу мақсаттары бойынша)", RU: "Обрабатываемые персональные данные о вас (по целям обработки)", EN: "Personal data we hold about you (by purpose of processing)"},
	"held_none":       {KK: "Операторда сіз туралы дербес деректер жоқ.", RU: "Оператор не располагает вашими персональными данными.", EN: "The operator holds no personal data about you."},
	"record":          {KK: "Жазба нөмірі", RU: "Номер записи", EN: "Record No."},
	"ground":          {KK: "Құқықтық негізі", RU: "Правовое основание", EN: "Legal ground"},
	"channel":         {KK: "Алу тәсілі", RU: "Способ получения", EN: "Collected via"},
	"collected":       {KK: "Жиналған күні", RU: "Дата сбора", EN: "Collected on"},
	"state":           {KK: "Күйі", RU: "Состояние", EN: "State"},
	"state.active":    {KK: "өңделуде", RU: "обрабатываются", EN: "processed"},
	"state.blocked":   {KK: "бұғатталған", RU: "заблокированы", EN: "blocked"},
	"state.destroyed": {KK: "жойылған", RU: "уничтожены", EN: "destroyed"},
	"data":            {KK: "Дербес деректер", RU: "Персональные данные", EN: "Personal data"},
	"recipients":      {KK: "Алушылар", RU: "Получатели", EN: "Recipients"},
	"no_recipients":   {KK: "деректер ешкімге берілмейді", RU: "данные никому не передаются", EN: "no recipients: the data are passed to no one"},
	"retention":       {KK: "Сақтау мерзімі", RU: "Срок хранения", EN: "Retention"},

	// Transfers from the register, in an information answer.
	"transfers":  {KK: "Дербес деректеріңізді беру", RU: "Передача ваших персональных данных", EN: "Transfers of your personal data"},
	"transfer":   {KK: "%s, алушы: %s", RU: "%s, получатель: %s", EN: "%s, to %s"},
	"purpose":    {KK: "Мақсаты", RU: "Цель", EN: "Purpose"},
	"country":    {KK: "Алушының елі", RU: "Страна получателя", EN: "Recipient's country"},
	"data_given": {KK: "Берілген деректер", RU: "Переданные данные", EN: "Data passed"},

	// Other kinds.
	"done": {KK: "Не істелді", RU: "Что сделано", EN: "What was done"},

	// Closing and footer.
	"responsible": {
		KK: "Дербес деректерді өңдеуді ұйымдастыруға жауапты тұлға: %s",
		RU: "Ответственный за организацию обработки персональных данных: %s",
		EN: "Person responsible for organising the processing of personal data: %s",
	},
	"footer": {
		KK: "Қазақстан Республикасының «Дербес деректер және оларды қорғау туралы» № 94-V Заңы",
		RU: "Закон Республики Казахстан № 94-V «О персональных данных и их защите»",
		EN: "Law No. 94-V of the Republic of Kazakhstan «On personal data and their protection»",
	},
	"page": {KK: "бет {current} / {total}", RU: "стр. {current} из {total}", EN: "page {current} of {total}"},
}

// letterLangs are the languages a letter can be printed in.
var letterLangs = map[string]bool{"kk": true, "ru": true, "en": true}

// Layout, in millimetres and points, on A4 (210 × 297 mm).
const (
	letterMargin      = 16.0
	letterNameSize    = 12.5
	letterHeadSize    = 8.0
	letterSubjectSize = 12.0
	letterSectionSize = 9.5
	letterRecordSize  = 9.0
	letterLabelSize   = 8.0
	letterValueSize   = 8.5
	letterBodySize    = 9.0
	letterFooterSize  = 7.0
	letterGrid        = 24
	letterLabelCols   = 7 // of letterGrid
	letterMarkCols    = 1
	letterLinePad     = 0.5 // between the lines of a wrapped text
	// letterKeep is the room a heading needs below it, with the rows that
	// follow it, not to be left alone at the foot of a page.
	letterKeep = 30.0
)

var (
	letterGrey      = &mprops.Color{Red: 90, Green: 90, Blue: 90}
	letterRule      = &mprops.Color{Red: 160, Green: 160, Blue: 160}
	letterHeadFill  = &mprops.Color{Red: 232, Green: 236, Blue: 241}
	letterHeadColor = &mprops.Color{Red: 20, Green: 40, Blue: 70}
)

// PDF renders the letter as an A4 PDF, of as many pages as it needs, in
// lang: "kk", "ru" or "en". Titles (operator, purposes, grounds, channels,
// data, recipients) are taken in that language, falling back to Kazakh;
// free texts (address, explanation, what was done, retention, values) are
// printed as recorded. Dates are shown in Astana time (UTC+5). A value of a
// held field longer than 500 characters is cut and ends in "…".
//
// PDF refuses a letter it cannot word correctly: an unknown kind, outcome,
// refusal reason or requisite, a refusal without a reason, or no answer
// time.
func (l *Letter) PDF(lang string) ([]byte, error) {
	if l == nil {
		return nil, errors.New("request: PDF of a nil letter")
	}
	if !letterLangs[lang] {
		return nil, fmt.Errorf("request: letter language %q not supported (kk, ru or en)", lang)
	}
	if !slices.Contains(Kinds, l.Kind) {
		return nil, fmt.Errorf("request: letter for a request of unknown kind %q", l.Kind)
	}
	if _, ok := letterLabels["outcome."+l.Outcome]; !ok {
		return nil, fmt.Errorf("request: letter outcome %q unknown (fulfilled, partly or refused)", l.Outcome)
	}
	if l.Outcome == Refused && l.Reason == "" {
		return nil, errors.New("request: a refusal letter needs a reason")
	}
	if l.Reason != "" && !slices.Contains(RefusalReasons, l.Reason) {
		return nil, fmt.Errorf("request: letter refusal reason %q unknown", l.Reason)
	}
	for _, m := range l.Missing {
		if !slices.Contains(Requisites, m) {
			return nil, fmt.Errorf("request: letter names unknown requisite %q", m)
		}
	}
	if l.Answered.IsZero() {
		return nil, errors.New("request: letter has no answer time")
	}

	p := &letterPrinter{lang: lang}
	subject := p.t("subject.answer." + l.Kind)
	if l.Outcome == Refused {
		subject = p.t("subject.refusal." + l.Kind)
	}
	operatorName := l.Operator.Name.In(lang)

	// Each render gets its own copy of the fonts: gofpdf writes into the
	// bytes it is given, which would race between concurrent renders.
	regular, bold := consent.Fonts()
	fonts, err := mrepository.New().
		AddUTF8FontFromBytes(letterFont, mfontstyle.Normal, regular).
		AddUTF8FontFromBytes(letterFont, mfontstyle.Bold, bold).
		Load()
	if err != nil {
		return nil, fmt.Errorf("request: letter fonts: %w", err)
	}
	cfg := mconfig.NewBuilder().
		WithPageSize(mpagesize.A4).
		WithMaxGridSize(letterGrid).
		WithLeftMargin(letterMargin).
		WithRightMargin(letterMargin).
		WithTopMargin(14).
		WithBottomMargin(12).
		WithCustomFonts(fonts).
		WithDefaultFont(&mprops.Font{Family: letterFont, Style: mfontstyle.Normal, Size: letterValueSize}).
		// The page number, under the footer in the bottom margin, carries
		// the request id, so that a loose page can be traced.
		WithPageNumber(mprops.PageNumber{
			Pattern: fmt.Sprintf(p.t("ref"), letterText(l.RequestID)) + " · " + p.t("page"), Place: mprops.RightBottom,
			Family: letterFont, Style: mfontstyle.Normal, Size: letterFooterSize, Color: letterGrey,
		}).
		WithCompression(true).
		WithTitle(subject, true).
		WithSubject(l.RequestID, true).
		WithAuthor(operatorName, true).
		WithCreator("derbes", false).
		WithCreationDate(l.Answered).
		Build()
	p.m = maroto.New(cfg)
	// The footer is registered first: maroto leaves room for it on each
	// page as the rows are added.
	footer := []mcore.Row{
		mline.NewRow(2, mprops.Line{Color: letterRule, Thickness: 0.2, OffsetPercent: 40, SizePercent: 100}),
		mtext.NewAutoRow(p.t("footer"), mprops.Text{Size: letterFooterSize, Color: letterGrey, VerticalPadding: letterLinePad}),
	}
	if err := p.m.RegisterFooter(footer...); err != nil {
		return nil, fmt.Errorf("request: letter footer: %w", err)
	}

	p.letterhead(l, operatorName)
	p.add(
		mrow.New(5),
		mtext.NewAutoRow(subject, mprops.Text{Style: mfontstyle.Bold, Size: letterSubjectSize, Color: letterHeadColor, Bottom: 1, VerticalPadding: 0.8}),
	)

	p.head("request")
	p.kv("received", p.date(l.Received))
	if !l.Due.IsZero() {
		p.kv("due", fmt.Sprintf(p.t("due_value"), p.date(l.Due), p.t("article."+l.Kind)))
	}
	answered := p.date(l.Answered)
	if !l.Due.IsZero() && !l.Answered.After(l.Due) {
		answered = fmt.Sprintf(p.t("in_term"), answered)
	}
	p.kv("answered", answered)
	p.kvBold("outcome", p.t("outcome."+l.Outcome))

	if l.Reason != "" || strings.TrimSpace(l.Explanation) != "" {
		if l.Outcome == Refused || l.Reason != "" {
			p.head("reasons")
		} else {
			p.head("explanation")
		}
		p.reason(l)
	}

	if l.Kind == Information && l.Outcome != Refused {
		p.head("held")
		for i, h := range l.Held {
			p.held(i+1, h)
		}
		if len(l.Held) == 0 {
			p.para(p.t("held_none"), mfontstyle.Normal)
		}
		if len(l.Transfers) > 0 {
			p.head("transfers")
			for i, x := range l.Transfers {
				p.transfer(i+1, x)
			}
		}
	}
	if strings.TrimSpace(l.Done) != "" || (l.Kind != Information && l.Outcome != Refused) {
		p.head("done")
		p.para(l.Done, mfontstyle.Normal)
	}

	p.closing(l)

	if p.err != nil {
		return nil, p.err
	}
	doc, err := p.m.Generate()
	if err != nil {
		return nil, fmt.Errorf("request: render letter: %w", err)
	}
	return doc.GetBytes(), nil
}

// letterPrinter adds the rows of one letter in one language to its
// document as it goes, so that it can ask how much room is left on a page.
type letterPrinter struct {
	lang string
	m    mcore.Maroto
	err  error
}

// t returns the fixed text key in the printer's language.
func (p *letterPrinter) t(key string) string {
	s := ""
	if l, ok := letterLabels[key]; ok {
		switch p.lang {
		case "kk":
			s = l.KK
		case "ru":
			s = l.RU
		case "en":
			s = l.EN
		}
	}
	if s == "" && p.err == nil {
		p.err = fmt.Errorf("request: letter text %q has no %s wording", key, p.lang)
	}
	return s
}

func (p *letterPrinter) add(rows ...mcore.Row) {
	p.m.AddRows(rows...)
}

// keep starts a new page unless h millimetres are left on this one, so that
// a heading is not left alone at the foot of a page.
func (p *letterPrinter) keep(h float64) {
	if p.m.FitlnCurrentPage(h) {
		return
	}
	// Fill what is left of the page (found by halving) with space: the
	// next row then opens a new page.
	lo, hi := 0.0, h
	for range 24 {
		mid := (lo + hi) / 2
		if p.m.FitlnCurrentPage(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo > 0.01 {
		p.add(mrow.New(lo))
	}
}

// letterhead prints the operator's name and requisites, a rule, the date
// and the request number on one line, then the addressee.
func (p *letterPrinter) letterhead(l *Letter, operatorName string) {
	small := mprops.Text{Size: letterHeadSize, Color: letterGrey, VerticalPadding: letterLinePad, Bottom: 0.4}
	p.add(mtext.NewAutoRow(letterLine(operatorName),
		mprops.Text{Style: mfontstyle.Bold, Size: letterNameSize, Color: letterHeadColor, Bottom: 1, VerticalPadding: letterLinePad}))
	line := p.t("bin") + " " + letterLine(l.Operator.BIN)
	if a := letterLine(l.Operator.Address); a != "" {
		line += " · " + a
	}
	p.add(mtext.NewAutoRow(line, small))
	if c := letterLine(l.Operator.Contact); c != "" {
		p.add(mtext.NewAutoRow(p.t("contact")+": "+c, small))
	}
	p.add(
		mline.NewRow(4, mprops.Line{Color: letterRule, Thickness: 0.4, OffsetPercent: 50, SizePercent: 100}),
	)

	body := mprops.Text{Size: letterBodySize, Top: 0.6, Bottom: 0.4, VerticalPadding: letterLinePad}
	ref := body
	ref.Align = malign.Right
	p.add(mrow.New().Add(
		mtext.NewCol(letterGrid/2, p.t("date")+": "+p.date(l.Answered), body),
		mtext.NewCol(letterGrid/2, fmt.Sprintf(p.t("ref"), letterLine(l.RequestID)), ref),
	))
	to := body
	to.Style = mfontstyle.Bold
	to.Top = 2
	p.add(mtext.NewAutoRow(p.t("to")+": "+letterLine(l.Addressee), to))
	if r := letterLine(l.Representative); r != "" {
		p.add(mtext.NewAutoRow(fmt.Sprintf(p.t("representative"), r), body))
	}
}

// head starts a section with a shaded heading.
func (p *letterPrinter) head(key string) {
	p.keep(letterKeep)
	p.add(
		mrow.New(3),
		mtext.NewAutoRow(p.t(key), mprops.Text{
			Style: mfontstyle.Bold, Size: letterSectionSize, Color: letterHeadColor,
			Top: 1, Bottom: 1, Left: 1.5, Right: 1.5, VerticalPadding: letterLinePad,
		}).WithStyle(&mprops.Cell{BackgroundColor: letterHeadFill}),
		mrow.New(1),
	)
}

func (p *letterPrinter) labelProps() mprops.Text {
	return mprops.Text{Size: letterLabelSize, Color: letterGrey, Top: 0.9, Bottom: 0.5, Right: 2, VerticalPadding: letterLinePad}
}

func (p *letterPrinter) valueProps(style mfontstyle.Type) mprops.Text {
	return mprops.Text{Size: letterValueSize, Style: style, Top: 0.7, Bottom: 0.5, VerticalPadding: letterLinePad}
}

// kv adds a label and its value; an empty value prints as a dash. A value
// of several paragraphs, or a long one, takes several rows.
func (p *letterPrinter) kv(key, value string) {
	p.pair(p.t(key), value, p.valueProps(mfontstyle.Normal))
}

func (p *letterPrinter) kvBold(key, value string) {
	p.pair(p.t(key), value, p.valueProps(mfontstyle.Bold))
}

func (p *letterPrinter) pair(label, value string, vp mprops.Text) {
	chunks := letterChunks(value)
	if len(chunks) == 0 {
		chunks = []string{"—"}
	}
	for i, c := range chunks {
		if i > 0 {
			label = ""
		}
		p.add(mrow.New().Add(
			mtext.NewCol(letterLabelCols, label, p.labelProps()),
			mtext.NewCol(letterGrid-letterLabelCols, c, vp),
		))
	}
}

// list adds a label beside a bulleted list, one entry a row.
func (p *letterPrinter) list(label string, entries []string) {
	for i, e := range entries {
		if i > 0 {
			label = ""
		}
		for j, c := range letterChunks(e) {
			mark := "•"
			if j > 0 {
				mark = ""
			}
			p.add(mrow.New().Add(
				mtext.NewCol(letterLabelCols, label, p.labelProps()),
				mtext.NewCol(letterMarkCols, mark, mprops.Text{Size: letterValueSize, Top: 0.7, Bottom: 0.5, Align: malign.Right, Right: 1.5}),
				mtext.NewCol(letterGrid-letterLabelCols-letterMarkCols, c, p.valueProps(mfontstyle.Normal)),
			))
			label = ""
		}
	}
}

// bullets adds a bulleted list across the page, one entry a row.
func (p *letterPrinter) bullets(entries []string) {
	for _, e := range entries {
		for j, c := range letterChunks(e) {
			mark := "•"
			if j > 0 {
				mark = ""
			}
			p.add(mrow.New().Add(
				mtext.NewCol(letterMarkCols, mark, mprops.Text{Size: letterBodySize, Top: 0.5, Bottom: 0.5, Align: malign.Right, Right: 1.5}),
				mtext.NewCol(letterGrid-letterMarkCols, c, mprops.Text{Size: letterBodySize, Top: 0.5, Bottom: 0.5, VerticalPadding: letterLinePad}),
			))
		}
	}
}

// para adds a paragraph (or several, one per line of s) across the page.
func (p *letterPrinter) para(s string, style mfontstyle.Type) {
	chunks := letterChunks(s)
	if len(chunks) == 0 {
		chunks = []string{"—"}
	}
	for _, c := range chunks {
		p.add(mtext.NewAutoRow(c, mprops.Text{
			Size: letterBodySize, Style: style, Top: 0.8, Bottom: 0.8, Left: 1.5, VerticalPadding: letterLinePad,
		}))
	}
}

// reason explains a refusal (or a partial fulfilment) in words.
func (p *letterPrinter) reason(l *Letter) {
	switch {
	case l.Reason == RefusedIdentity && len(l.Missing) > 0:
		p.para(p.t("reason."+RefusedIdentity), mfontstyle.Normal)
		entries := make([]string, len(l.Missing))
		for i, m := range l.Missing {
			entries[i] = p.t("requisite." + m)
		}
		p.bullets(entries)
		p.para(p.t("reason."+RefusedIdentity+".resend"), mfontstyle.Normal)
	case l.Reason == RefusedIdentity:
		p.para(p.t("reason."+RefusedIdentity+".none")+" "+p.t("reason."+RefusedIdentity+".resend"), mfontstyle.Normal)
	case l.Reason != "":
		p.para(p.t("reason."+l.Reason), mfontstyle.Normal)
	}
	if strings.TrimSpace(l.Explanation) != "" {
		p.para(l.Explanation, mfontstyle.Normal)
	}
}

// held prints one record of an information answer: its purpose as a
// heading, then what, why, from where, since when, to whom and how long.
func (p *letterPrinter) held(n int, h HeldRecord) {
	p.keep(letterKeep)
	p.add(
		mrow.New(1.5),
		mline.NewRow(1.5, mprops.Line{Color: letterRule, Thickness: 0.2, OffsetPercent: 0, SizePercent: 100}),
	)
	for i, c := range letterChunks(fmt.Sprintf("%d. %s", n, h.Purpose.Title.In(p.lang))) {
		if i > 0 {
			c = "    " + c
		}
		p.add(mtext.NewAutoRow(c, mprops.Text{
			Style: mfontstyle.Bold, Size: letterRecordSize, Color: letterHeadColor, Top: 0.4, Bottom: 1, VerticalPadding: letterLinePad,
		}))
	}
	if strings.TrimSpace(h.Record) != "" {
		p.kv("record", h.Record)
	}
	p.kv("ground", h.Ground.Title.In(p.lang))
	p.kv("channel", h.Channel.Title.In(p.lang))
	p.kv("collected", p.date(h.Collected))
	state := h.State
	if _, ok := letterLabels["state."+state]; ok {
		state = p.t("state." + state)
	}
	p.kv("state", state)

	data := make([]string, len(h.Data))
	for i, f := range h.Data {
		data[i] = f.Title.In(p.lang)
		if v := letterValue(f.Value); v != "" {
			data[i] += ": " + v
		}
	}
	if len(data) == 0 {
		data = []string{"—"}
	}
	p.list(p.t("data"), data)

	if len(h.Recipients) == 0 {
		p.kv("recipients", p.t("no_recipients"))
	} else {
		rs := make([]string, len(h.Recipients))
		for i, r := range h.Recipients {
			rs[i] = r.Title.In(p.lang)
		}
		p.list(p.t("recipients"), rs)
	}
	p.kv("retention", h.Retention)
}

// transfer prints one disclosure from the transfers register: when and to
// whom as a heading, then for what, on which ground, what and where.
func (p *letterPrinter) transfer(n int, x HeldTransfer) {
	p.keep(letterKeep)
	p.add(
		mrow.New(1.5),
		mline.NewRow(1.5, mprops.Line{Color: letterRule, Thickness: 0.2, OffsetPercent: 0, SizePercent: 100}),
	)
	title := fmt.Sprintf("%d. ", n) + fmt.Sprintf(p.t("transfer"), p.date(x.At), x.Recipient.Title.In(p.lang))
	for i, c := range letterChunks(title) {
		if i > 0 {
			c = "    " + c
		}
		p.add(mtext.NewAutoRow(c, mprops.Text{
			Style: mfontstyle.Bold, Size: letterRecordSize, Color: letterHeadColor, Top: 0.4, Bottom: 1, VerticalPadding: letterLinePad,
		}))
	}
	p.kv("purpose", x.Purpose.Title.In(p.lang))
	p.kv("ground", x.Ground.Title.In(p.lang))
	data := make([]string, len(x.Fields))
	for i, f := range x.Fields {
		data[i] = f.Title.In(p.lang)
	}
	if len(data) == 0 {
		data = []string{"—"}
	}
	p.list(p.t("data_given"), data)
	p.kv("country", x.Country)
}

// closing names the person responsible for organising processing.
func (p *letterPrinter) closing(l *Letter) {
	var who []string
	for _, s := range []string{l.Operator.Responsible, l.Operator.Contact} {
		if s = letterLine(s); s != "" {
			who = append(who, s)
		}
	}
	if len(who) == 0 {
		return
	}
	p.add(
		mrow.New(5),
		mline.NewRow(2, mprops.Line{Color: letterRule, Thickness: 0.2, OffsetPercent: 0, SizePercent: 100}),
	)
	p.para(fmt.Sprintf(p.t("responsible"), strings.Join(who, ", ")), mfontstyle.Normal)
}

// date prints the day an instant falls on in Astana; the zero time prints
// as a dash.
func (p *letterPrinter) date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(letterZone).Format(letterDate)
}

// letterText folds a free text to one line: runs of white space, line
// breaks included, become one space.
func letterText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// letterLine folds a free text to one line, cuts its over-long words and
// cuts it to letterMaxValue characters, for the rows that print a name or
// a requisite whole.
func letterLine(s string) string {
	return letterCut(strings.Join(letterChunks(s), " "))
}

// letterValue prepares a held value for print: folded to one line and cut
// to letterMaxValue characters.
func letterValue(s string) string {
	return letterCut(letterText(s))
}

// letterCut cuts s to letterMaxValue characters, ending in "…" when cut.
func letterCut(s string) string {
	rs := []rune(s)
	if len(rs) <= letterMaxValue {
		return s
	}
	return strings.TrimRight(string(rs[:letterMaxValue-1]), " ") + "…"
}

// letterChunks splits s into the texts of its rows: one or more per
// non-blank line, each with its runs of white space folded to one space,
// its over-long words cut (see letterLongWord) and at most letterChunk
// characters long, broken between words.
func letterChunks(s string) []string {
	var out []string
	for _, ln := range strings.Split(s, "\n") {
		var b strings.Builder
		n := 0
		for _, w := range strings.Fields(ln) {
			for _, piece := range letterCutWord(w) {
				k := len([]rune(piece))
				if n > 0 && n+1+k > letterChunk {
					out = append(out, b.String())
					b.Reset()
					n = 0
				}
				if n > 0 {
					b.WriteByte(' ')
					n++
				}
				b.WriteString(piece)
				n += k
			}
		}
		if n > 0 {
			out = append(out, b.String())
		}
	}
	return out
}

// letterCutWord cuts a word longer than letterLongWord characters into
// pieces of that length.
func letterCutWord(w string) []string {
	rs := []rune(w)
	if len(rs) <= letterLongWord {
		return []string{w}
	}
	var out []string
	for i := 0; i < len(rs); i += letterLongWord {
		out = append(out, string(rs[i:min(i+letterLongWord, len(rs))]))
	}
	return out
}
