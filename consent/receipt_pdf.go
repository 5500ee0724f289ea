package consent

import (
	"errors"
	"fmt"
	"strings"
	"time"

	mrow "github.com/johnfercher/maroto/v2/pkg/components/row"
	mtext "github.com/johnfercher/maroto/v2/pkg/components/text"
	mfontstyle "github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	mcore "github.com/johnfercher/maroto/v2/pkg/core"
	mprops "github.com/johnfercher/maroto/v2/pkg/props"

	"github.com/derbes/derbes/document"
)

// receiptLongWord is the longest run of characters without a space that
// fits the value column at the value font size; longer words (URLs,
// references) are cut so that maroto, which only breaks lines at spaces,
// cannot run them off the page. A SHA-256 in hex (64) fits.
const receiptLongWord = 64

// receiptLabels holds every fixed text of the PDF receipt in Kazakh,
// Russian and English. A key missing here, or a language missing from an
// entry, makes PDF fail rather than print a wrong or empty label.
var receiptLabels = document.Words{
	"title." + Given:             {KK: "Келісім түбіртегі", RU: "Квитанция о согласии", EN: "Consent receipt"},
	"title." + Withdrawn:         {KK: "Түбіртек: келісімді кері қайтарып алу", RU: "Квитанция об отзыве согласия", EN: "Receipt: withdrawal of consent"},
	"title." + Expired:           {KK: "Түбіртек: келісім мерзімінің өтуі", RU: "Квитанция об истечении срока согласия", EN: "Receipt: expiry of consent"},
	"title." + WithdrawalRefused: {KK: "Түбіртек: өңдеуді тоқтатудан бас тарту", RU: "Квитанция об отказе в прекращении обработки", EN: "Receipt: refusal to stop processing"},

	"event." + Given:             {KK: "келісім берілді", RU: "согласие дано", EN: "consent given"},
	"event." + Withdrawn:         {KK: "келісім кері қайтарып алынды", RU: "согласие отозвано", EN: "consent withdrawn"},
	"event." + Expired:           {KK: "келісімнің мерзімі өтті", RU: "срок согласия истёк", EN: "consent expired"},
	"event." + WithdrawalRefused: {KK: "келісімді кері қайтарып алудан бас тартылды", RU: "в отзыве согласия отказано", EN: "withdrawal refused"},

	"receipt_id": {KK: "Түбіртек нөмірі", RU: "Номер квитанции", EN: "Receipt ID"},
	"consent_id": {KK: "Келісім нөмірі", RU: "Номер согласия", EN: "Consent ID"},
	"event":      {KK: "Оқиға", RU: "Событие", EN: "Event"},
	"time":       {KK: "Уақыты", RU: "Время", EN: "Time"},
	"astana":     {KK: "(Астана уақыты)", RU: "(время Астаны)", EN: "(Astana time)"},

	"operator":    {KK: "Оператор", RU: "Оператор", EN: "Operator"},
	"name":        {KK: "Атауы", RU: "Наименование", EN: "Name"},
	"bin":         {KK: "БСН", RU: "БИН", EN: "BIN"},
	"address":     {KK: "Мекенжайы", RU: "Адрес", EN: "Address"},
	"responsible": {KK: "Өңдеуді ұйымдастыруға жауапты тұлға", RU: "Ответственный за организацию обработки", EN: "Person responsible for processing"},
	"contact":     {KK: "Байланыс", RU: "Контакты", EN: "Contact"},

	"subject":        {KK: "Дербес деректер субъектісі", RU: "Субъект персональных данных", EN: "Data subject"},
	"full_name":      {KK: "Аты-жөні", RU: "Фамилия, имя, отчество", EN: "Full name"},
	"representative": {KK: "Өкілі", RU: "Представитель", EN: "Representative"},
	"authority":      {KK: "Өкілеттік негізі", RU: "Основание полномочий", EN: "Authority"},

	"purposes": {KK: "Өңдеу мақсаттары", RU: "Цели обработки", EN: "Purposes of processing"},
	"data":     {KK: "Дербес деректер тізбесі", RU: "Перечень персональных данных", EN: "Personal data"},

	"terms":            {KK: "Келісім шарттары", RU: "Условия согласия", EN: "Terms of consent"},
	"term":             {KK: "Келісім мерзімі", RU: "Срок согласия", EN: "Term"},
	"until":            {KK: "%s дейін", RU: "до %s", EN: "until %s"},
	"until_purposes":   {KK: "өңдеу мақсаттарына қол жеткізілгенге дейін (8-бап, 5-6-тармақтар)", RU: "до достижения целей обработки (ст. 8 п. 5-6)", EN: "until the purposes are achieved (Art. 8 p.5-6)"},
	"third_party":      {KK: "Үшінші тұлғаларға беру", RU: "Передача третьим лицам", EN: "Transfer to third parties"},
	"cross_border":     {KK: "Трансшекаралық беру", RU: "Трансграничная передача", EN: "Cross-border transfer"},
	"publication":      {KK: "Жалпыға қолжетімді дереккөздерде жариялау", RU: "Размещение в общедоступных источниках", EN: "Publication in public sources"},
	"notify":           {KK: "Беру туралы маған хабарлау (8-бап, 4-тармақ)", RU: "Уведомлять меня о передаче (ст. 8 п. 4)", EN: "Notify me of transfers (Art. 8 p.4)"},
	"yes":              {KK: "Иә", RU: "Да", EN: "Yes"},
	"no":               {KK: "Жоқ", RU: "Нет", EN: "No"},
	"other_conditions": {KK: "Өзге шарттар", RU: "Иные условия", EN: "Other conditions"},

	"form":                     {KK: "Келісім нысаны және дәлелдемелер", RU: "Форма согласия и подтверждение", EN: "Form of consent and evidence"},
	"form_kind":                {KK: "Нысаны", RU: "Форма", EN: "Form"},
	"kind." + FormWritten:      {KK: "жазбаша", RU: "письменная", EN: "written"},
	"kind." + FormElectronic:   {KK: "электрондық құжат", RU: "электронный документ", EN: "electronic document"},
	"kind." + FormWebsite:      {KK: "веб-сайтта", RU: "на веб-сайте", EN: "on a website"},
	"kind." + FormStateService: {KK: "дербес деректерге қол жеткізуді бақылау жөніндегі мемлекеттік сервис арқылы", RU: "через государственный сервис контроля доступа к персональным данным", EN: "via the state service for control of access to personal data"},
	"kind." + FormOther:        {KK: "өзге тәсілмен", RU: "иным способом", EN: "other"},
	"reference":                {KK: "Деректемелері", RU: "Реквизиты", EN: "Reference"},
	"document_sha256":          {KK: "Құжаттың SHA-256 хэші", RU: "SHA-256 документа", EN: "Document SHA-256"},
	"page":                     {KK: "Бет", RU: "Страница", EN: "Page"},
	"client_ip_hash":           {KK: "Клиенттің IP-мекенжайының хэші", RU: "Хэш IP-адреса клиента", EN: "Client IP hash"},
	"policy":                   {KK: "Көрсетілген саясат", RU: "Показанная политика", EN: "Policy shown"},
	"policy_version":           {KK: "%d-нұсқа", RU: "версия %d", EN: "version %d"},

	"withdrawal": {KK: "Келісімді кері қайтарып алу", RU: "Отзыв согласия", EN: "Withdrawal of consent"},
	"due":        {KK: "Өңдеуді тоқтату мерзімі (8-бап, 7-тармақ)", RU: "Обработка прекращается до (ст. 8 п. 7)", EN: "Processing stops by (Art. 8 p.7)"},
	"reason":     {KK: "Себебі", RU: "Причина", EN: "Reason"},
	"basis":      {KK: "Негізі", RU: "Основание", EN: "Basis"},

	"footer": {KK: "Қазақстан Республикасының № 94-V Заңының 8-бабына сәйкес derbes берді", RU: "Выдано derbes в соответствии с Законом Республики Казахстан № 94-V, ст. 8", EN: "Issued by derbes under Law No. 94-V of the Republic of Kazakhstan, Art. 8"},
}

// Layout, in millimetres and points, on A4 (210 × 297 mm).
const (
	receiptMargin    = 14.0
	receiptTitleSize = 15.0
	receiptHashSize  = 8.0
	receiptLabelCols = 8 // of document.Grid
)

// PDF renders the receipt as a one-page A4 PDF in lang: "kk", "ru" or
// "en". Operator, purpose and data titles are taken in that language
// (falling back to Kazakh); free texts (address, conditions, reasons) are
// printed as recorded. Times are shown in Astana time (UTC+5). The PDF
// carries the receipt's event time as its creation date.
func (r *Receipt) PDF(lang string) ([]byte, error) {
	if r == nil {
		return nil, errors.New("consent: PDF of a nil receipt")
	}
	if !document.Lang(lang) {
		return nil, fmt.Errorf("consent: receipt language %q not supported (kk, ru or en)", lang)
	}
	if _, ok := receiptLabels["title."+r.Event]; !ok {
		return nil, fmt.Errorf("consent: receipt event %q unknown", r.Event)
	}
	p := &receiptPrinter{Wording: document.NewWording(receiptLabels, lang, "consent: receipt")}
	title := p.T("title." + r.Event)
	operatorName := r.Operator.Name.In(lang)
	m, err := document.New(document.Spec{
		Title:   title + " " + r.ReceiptID,
		Subject: r.ConsentID,
		Author:  operatorName,
		Created: r.EventTime,
		// Narrower margins than the house ones, for one page.
		Margin:       receiptMargin,
		TopMargin:    12,
		BottomMargin: 10,
		Footer:       document.Footer(p.T("footer"), r.ReceiptID),
	})
	if err != nil {
		return nil, fmt.Errorf("consent: receipt: %w", err)
	}
	p.m = m

	tp := document.Heading(receiptTitleSize)
	tp.Bottom = 1.5
	p.add(mtext.NewAutoRow(title, tp), document.Rule(2.5, 0.3, 40))
	p.kv("receipt_id", r.ReceiptID)
	p.kv("consent_id", r.ConsentID)
	p.kv("event", p.T("event."+r.Event))
	p.kv("time", p.when(r.EventTime))

	p.head("operator")
	p.kvBold("name", operatorName)
	p.kv("bin", r.Operator.BIN)
	p.kvOpt("address", r.Operator.Address)
	p.kvOpt("responsible", r.Operator.Responsible)
	p.kvOpt("contact", r.Operator.Contact)

	p.head("subject")
	p.kvBold("full_name", r.Subject.FullName)
	p.kvOpt("representative", r.Subject.Representative)
	p.kvOpt("authority", r.Subject.Authority)

	p.head("purposes")
	for i, it := range r.Purposes {
		p.item(fmt.Sprintf("%d.", i+1), it.Title.In(lang))
	}
	if len(r.Purposes) == 0 {
		p.item("", "—")
	}

	p.head("data")
	p.pairs(r.Data)

	p.head("terms")
	if r.Until != nil {
		p.kv("term", fmt.Sprintf(p.T("until"), p.until(*r.Until)))
	} else {
		p.kv("term", p.T("until_purposes"))
	}
	p.kv("third_party", p.yesNo(r.ThirdPartyTransfer))
	p.kv("cross_border", p.yesNo(r.CrossBorder))
	p.kv("publication", p.yesNo(r.Publication))
	p.kv("notify", p.yesNo(r.NotifyTransfers))
	p.kvOpt("other_conditions", r.OtherConditions)

	p.head("form")
	kind := r.Form.Kind
	if _, ok := receiptLabels["kind."+kind]; ok {
		kind = p.T("kind." + kind)
	}
	p.kv("form_kind", kind)
	p.kvOpt("reference", r.Form.Reference)
	p.kvHash("document_sha256", r.Form.DocumentSHA256)
	p.kvOpt("page", r.Form.Page)
	p.kvHash("client_ip_hash", r.Form.ClientIPHash)
	if !r.Form.At.IsZero() {
		p.kv("time", p.when(r.Form.At))
	}
	p.kv("policy", p.policy(r.Notice))

	if w := r.Withdrawal; w != nil {
		p.head("withdrawal")
		if w.Due != nil {
			p.kvBold("due", p.when(*w.Due))
		}
		p.kvOpt("reason", w.Reason)
		p.kvOpt("basis", w.Basis)
	}

	if err := p.Err(); err != nil {
		return nil, err
	}
	doc, err := m.Generate()
	if err != nil {
		return nil, fmt.Errorf("consent: render receipt: %w", err)
	}
	return doc.GetBytes(), nil
}

// receiptPrinter adds the rows of one receipt in one language to its
// document.
type receiptPrinter struct {
	document.Wording
	m mcore.Maroto
}

func (p *receiptPrinter) add(rows ...mcore.Row) {
	p.m.AddRows(rows...)
}

// head starts a section with a shaded heading.
func (p *receiptPrinter) head(key string) {
	p.add(document.Section(p.T(key), 2, 0)...)
}

// kv adds a label and its value; an empty value prints as a dash. A value
// of several paragraphs takes one row per paragraph.
func (p *receiptPrinter) kv(key, value string) {
	p.pair(key, value, document.ValueProps(mfontstyle.Normal, document.ValueSize))
}

func (p *receiptPrinter) kvBold(key, value string) {
	p.pair(key, value, document.ValueProps(mfontstyle.Bold, document.ValueSize))
}

// kvOpt adds the row only when value is not blank.
func (p *receiptPrinter) kvOpt(key, value string) {
	if strings.TrimSpace(value) != "" {
		p.kv(key, value)
	}
}

// kvHash adds a hex digest, a little smaller so that 64 digits fit a line.
func (p *receiptPrinter) kvHash(key, value string) {
	if strings.TrimSpace(value) != "" {
		p.pair(key, value, document.ValueProps(mfontstyle.Normal, receiptHashSize))
	}
}

func (p *receiptPrinter) pair(key, value string, vp mprops.Text) {
	p.add(document.Pairs(receiptLabelCols, p.T(key), document.Lines(value, receiptLongWord, 0), vp)...)
}

// item adds one entry of a numbered list across the page.
func (p *receiptPrinter) item(mark, value string) {
	p.add(mrow.New().Add(p.marked(document.Grid, mark, value)...))
}

// pairs lists items two to a row, each with a bullet.
func (p *receiptPrinter) pairs(items []ReceiptItem) {
	if len(items) == 0 {
		p.item("", "—")
		return
	}
	for i := 0; i < len(items); i += 2 {
		r := mrow.New().Add(p.marked(document.Grid/2, "•", items[i].Title.In(p.Lang()))...)
		if i+1 < len(items) {
			r.Add(p.marked(document.Grid/2, "•", items[i+1].Title.In(p.Lang()))...)
		}
		p.add(r)
	}
}

// marked returns the columns of a list entry size grid columns wide: its
// mark (number or bullet), then its text, which wraps under itself.
func (p *receiptPrinter) marked(size int, mark, value string) []mcore.Col {
	vp := document.ValueProps(mfontstyle.Normal, document.ValueSize)
	vp.Right = 2
	return document.Item(size, mark, strings.Join(document.Lines(value, receiptLongWord, 0), " "),
		mprops.Text{Size: document.ValueSize, Top: 0.7, Bottom: 0.5, Left: 1.5}, vp)
}

func (p *receiptPrinter) yesNo(b bool) string {
	if b {
		return p.T("yes")
	}
	return p.T("no")
}

// when prints an instant in Astana time with the zone named.
func (p *receiptPrinter) when(t time.Time) string {
	return document.DateTime(t) + " " + p.T("astana")
}

// until prints the end of a term: the date alone when it falls at
// midnight in Astana, else date and time.
func (p *receiptPrinter) until(t time.Time) string {
	if document.Midnight(t) {
		return document.Date(t)
	}
	return p.when(t)
}

func (p *receiptPrinter) policy(n ReceiptNotice) string {
	v := fmt.Sprintf(p.T("policy_version"), n.PolicyVersion)
	if l := strings.TrimSpace(n.PolicyLabel); l != "" {
		return l + " (" + v + ")"
	}
	return v
}
