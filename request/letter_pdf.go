package request

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	mrow "github.com/johnfercher/maroto/v2/pkg/components/row"
	mtext "github.com/johnfercher/maroto/v2/pkg/components/text"
	malign "github.com/johnfercher/maroto/v2/pkg/consts/align"
	mfontstyle "github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	mcore "github.com/johnfercher/maroto/v2/pkg/core"
	mprops "github.com/johnfercher/maroto/v2/pkg/props"

	"github.com/derbes/derbes/document"
)

const (
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
var letterLabels = document.Words{
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

// Layout, in millimetres and points, on A4 (210 × 297 mm).
const (
	letterSubjectSize = 12.0
	letterRecordSize  = 9.0
	letterLabelCols   = 7 // of document.Grid
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
	if !document.Lang(lang) {
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

	p := &letterPrinter{Wording: document.NewWording(letterLabels, lang, "request: letter")}
	subject := p.T("subject.answer." + l.Kind)
	if l.Outcome == Refused {
		subject = p.T("subject.refusal." + l.Kind)
	}
	operatorName := l.Operator.Name.In(lang)
	m, err := document.New(document.Spec{
		Title:   subject,
		Subject: l.RequestID,
		Author:  operatorName,
		Created: l.Answered,
		// The page number, under the footer in the bottom margin, carries
		// the request id, so that a loose page can be traced.
		PageNumber: fmt.Sprintf(p.T("ref"), letterText(l.RequestID)) + " · " + p.T("page"),
		Footer:     document.Footer(p.T("footer"), ""),
	})
	if err != nil {
		return nil, fmt.Errorf("request: letter: %w", err)
	}
	p.m = m

	p.letterhead(l, operatorName)
	sp := document.Heading(letterSubjectSize)
	sp.Bottom, sp.VerticalPadding = 1, 0.8
	p.add(mrow.New(5), mtext.NewAutoRow(subject, sp))

	p.head("request")
	p.kv("received", p.date(l.Received))
	if !l.Due.IsZero() {
		p.kv("due", fmt.Sprintf(p.T("due_value"), p.date(l.Due), p.T("article."+l.Kind)))
	}
	answered := p.date(l.Answered)
	if !l.Due.IsZero() && !l.Answered.After(l.Due) {
		answered = fmt.Sprintf(p.T("in_term"), answered)
	}
	p.kv("answered", answered)
	p.kvBold("outcome", p.T("outcome."+l.Outcome))

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
			p.para(p.T("held_none"), mfontstyle.Normal)
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

	if err := p.Err(); err != nil {
		return nil, err
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
	document.Wording
	m mcore.Maroto
}

func (p *letterPrinter) add(rows ...mcore.Row) {
	p.m.AddRows(rows...)
}

// letterhead prints the operator's name and requisites, a rule, the date
// and the request number on one line, then the addressee.
func (p *letterPrinter) letterhead(l *Letter, operatorName string) {
	line := p.T("bin") + " " + letterLine(l.Operator.BIN)
	if a := letterLine(l.Operator.Address); a != "" {
		line += " · " + a
	}
	contact := ""
	if c := letterLine(l.Operator.Contact); c != "" {
		contact = p.T("contact") + ": " + c
	}
	p.add(document.Letterhead(letterLine(operatorName), line, contact)...)

	body := mprops.Text{Size: document.BodySize, Top: 0.6, Bottom: 0.4, VerticalPadding: document.LinePad}
	ref := body
	ref.Align = malign.Right
	p.add(mrow.New().Add(
		mtext.NewCol(document.Grid/2, p.T("date")+": "+p.date(l.Answered), body),
		mtext.NewCol(document.Grid/2, fmt.Sprintf(p.T("ref"), letterLine(l.RequestID)), ref),
	))
	to := body
	to.Style = mfontstyle.Bold
	to.Top = 2
	p.add(mtext.NewAutoRow(p.T("to")+": "+letterLine(l.Addressee), to))
	if r := letterLine(l.Representative); r != "" {
		p.add(mtext.NewAutoRow(fmt.Sprintf(p.T("representative"), r), body))
	}
}

// head starts a section with a shaded heading.
func (p *letterPrinter) head(key string) {
	document.Keep(p.m, document.HeadRoom)
	p.add(document.Section(p.T(key), 3, 1)...)
}

// kv adds a label and its value; an empty value prints as a dash. A value
// of several paragraphs, or a long one, takes several rows.
func (p *letterPrinter) kv(key, value string) {
	p.pair(p.T(key), value, document.ValueProps(mfontstyle.Normal, document.ValueSize))
}

func (p *letterPrinter) kvBold(key, value string) {
	p.pair(p.T(key), value, document.ValueProps(mfontstyle.Bold, document.ValueSize))
}

func (p *letterPrinter) pair(label, value string, vp mprops.Text) {
	p.add(document.Pairs(letterLabelCols, label, letterChunks(value), vp)...)
}

// list adds a label beside a bulleted list, one entry a row.
func (p *letterPrinter) list(label string, entries []string) {
	mp := mprops.Text{Size: document.ValueSize, Top: 0.7, Bottom: 0.5, Align: malign.Right, Right: 1.5}
	vp := document.ValueProps(mfontstyle.Normal, document.ValueSize)
	for _, e := range entries {
		for j, c := range letterChunks(e) {
			p.add(mrow.New().
				Add(mtext.NewCol(letterLabelCols, label, document.LabelProps())).
				Add(document.Item(document.Grid-letterLabelCols, letterMark(j), c, mp, vp)...))
			label = ""
		}
	}
}

// bullets adds a bulleted list across the page, one entry a row.
func (p *letterPrinter) bullets(entries []string) {
	mp := mprops.Text{Size: document.BodySize, Top: 0.5, Bottom: 0.5, Align: malign.Right, Right: 1.5}
	tp := mprops.Text{Size: document.BodySize, Top: 0.5, Bottom: 0.5, VerticalPadding: document.LinePad}
	for _, e := range entries {
		for j, c := range letterChunks(e) {
			p.add(mrow.New().Add(document.Item(document.Grid, letterMark(j), c, mp, tp)...))
		}
	}
}

// letterMark is the mark beside the jth row of a list entry: a bullet
// beside the first.
func letterMark(j int) string {
	if j > 0 {
		return ""
	}
	return "•"
}

// para adds a paragraph (or several, one per line of s) across the page.
func (p *letterPrinter) para(s string, style mfontstyle.Type) {
	chunks := letterChunks(s)
	if len(chunks) == 0 {
		chunks = []string{"—"}
	}
	for _, c := range chunks {
		p.add(mtext.NewAutoRow(c, document.BodyProps(style)))
	}
}

// reason explains a refusal (or a partial fulfilment) in words.
func (p *letterPrinter) reason(l *Letter) {
	switch {
	case l.Reason == RefusedIdentity && len(l.Missing) > 0:
		p.para(p.T("reason."+RefusedIdentity), mfontstyle.Normal)
		entries := make([]string, len(l.Missing))
		for i, m := range l.Missing {
			entries[i] = p.T("requisite." + m)
		}
		p.bullets(entries)
		p.para(p.T("reason."+RefusedIdentity+".resend"), mfontstyle.Normal)
	case l.Reason == RefusedIdentity:
		p.para(p.T("reason."+RefusedIdentity+".none")+" "+p.T("reason."+RefusedIdentity+".resend"), mfontstyle.Normal)
	case l.Reason != "":
		p.para(p.T("reason."+l.Reason), mfontstyle.Normal)
	}
	if strings.TrimSpace(l.Explanation) != "" {
		p.para(l.Explanation, mfontstyle.Normal)
	}
}

// record starts one entry of an information answer, kept with the rows
// that follow it: a thin rule, then its title in bold, its later rows
// indented.
func (p *letterPrinter) record(title string) {
	document.Keep(p.m, document.HeadRoom)
	p.add(mrow.New(1.5), document.Rule(1.5, 0.2, 0))
	tp := document.Heading(letterRecordSize)
	tp.Top, tp.Bottom = 0.4, 1
	for i, c := range letterChunks(title) {
		if i > 0 {
			c = "    " + c
		}
		p.add(mtext.NewAutoRow(c, tp))
	}
}

// held prints one record of an information answer: its purpose as a
// heading, then what, why, from where, since when, to whom and how long.
func (p *letterPrinter) held(n int, h HeldRecord) {
	p.record(fmt.Sprintf("%d. %s", n, h.Purpose.Title.In(p.Lang())))
	if strings.TrimSpace(h.Record) != "" {
		p.kv("record", h.Record)
	}
	p.kv("ground", h.Ground.Title.In(p.Lang()))
	p.kv("channel", h.Channel.Title.In(p.Lang()))
	p.kv("collected", p.date(h.Collected))
	state := h.State
	if _, ok := letterLabels["state."+state]; ok {
		state = p.T("state." + state)
	}
	p.kv("state", state)

	data := make([]string, len(h.Data))
	for i, f := range h.Data {
		data[i] = f.Title.In(p.Lang())
		if v := letterValue(f.Value); v != "" {
			data[i] += ": " + v
		}
	}
	if len(data) == 0 {
		data = []string{"—"}
	}
	p.list(p.T("data"), data)

	if len(h.Recipients) == 0 {
		p.kv("recipients", p.T("no_recipients"))
	} else {
		rs := make([]string, len(h.Recipients))
		for i, r := range h.Recipients {
			rs[i] = r.Title.In(p.Lang())
		}
		p.list(p.T("recipients"), rs)
	}
	p.kv("retention", h.Retention)
}

// transfer prints one disclosure from the transfers register: when and to
// whom as a heading, then for what, on which ground, what and where.
func (p *letterPrinter) transfer(n int, x HeldTransfer) {
	p.record(fmt.Sprintf("%d. ", n) + fmt.Sprintf(p.T("transfer"), p.date(x.At), x.Recipient.Title.In(p.Lang())))
	p.kv("purpose", x.Purpose.Title.In(p.Lang()))
	p.kv("ground", x.Ground.Title.In(p.Lang()))
	data := make([]string, len(x.Fields))
	for i, f := range x.Fields {
		data[i] = f.Title.In(p.Lang())
	}
	if len(data) == 0 {
		data = []string{"—"}
	}
	p.list(p.T("data_given"), data)
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
	p.add(mrow.New(5), document.Rule(2, 0.2, 0))
	p.para(fmt.Sprintf(p.T("responsible"), strings.Join(who, ", ")), mfontstyle.Normal)
}

// date prints the day an instant falls on in Astana; the zero time prints
// as a dash.
func (p *letterPrinter) date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return document.Date(t)
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
	return document.Cut(strings.Join(letterChunks(s), " "), letterMaxValue)
}

// letterValue prepares a held value for print: folded to one line and cut
// to letterMaxValue characters.
func letterValue(s string) string {
	return document.Cut(letterText(s), letterMaxValue)
}

// letterChunks splits s into the texts of its rows: one or more per
// non-blank line, its over-long words cut (see letterLongWord), each at
// most letterChunk characters long.
func letterChunks(s string) []string {
	return document.Lines(s, letterLongWord, letterChunk)
}
