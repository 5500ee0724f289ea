package retention

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	mcol "github.com/johnfercher/maroto/v2/pkg/components/col"
	mline "github.com/johnfercher/maroto/v2/pkg/components/line"
	mrow "github.com/johnfercher/maroto/v2/pkg/components/row"
	mtext "github.com/johnfercher/maroto/v2/pkg/components/text"
	malign "github.com/johnfercher/maroto/v2/pkg/consts/align"
	mborder "github.com/johnfercher/maroto/v2/pkg/consts/border"
	mfontstyle "github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	mcore "github.com/johnfercher/maroto/v2/pkg/core"
	mprops "github.com/johnfercher/maroto/v2/pkg/props"

	"github.com/derbes/derbes/document"
	"github.com/derbes/derbes/policy"
)

// ActContext is what an act of destruction needs to be printed besides its
// summary: who the operator is, the titles of the ids the summary names,
// and the signature with the key to check it against.
type ActContext struct {
	// Operator heads the act; its responsible person signs it.
	Operator policy.Operator
	// Titles returns the title of a "purpose", "category" or "ground" id
	// (from the policy). It may return an empty Text for an id it does not
	// know, or be nil: the id is then printed (a ground of Law 94-V by its
	// title from policy.Grounds).
	Titles func(kind, id string) policy.Text
	// Signature is the Ed25519 signature of Summary.
	Signature []byte
	// PublicKey is the journal's Ed25519 public key.
	PublicKey []byte
	// Summary is the exact JSON that was signed: the act's ActSummary.
	Summary []byte
}

// Kinds of act and actions the act words; others are printed as recorded.
const (
	actKindSweep      = "retention-sweep"
	actKindRequest    = "request"
	actRuleRetention  = "retention-end"
	actRuleWithdrawn  = "consent-withdrawn"
	actRuleRequest    = "subject-request"
	actTitlePurpose   = "purpose"
	actTitleCategory  = "category"
	actTitleGround    = "ground"
	actPDFMaxCell     = 300 // characters of a title printed in a table cell
	actPDFFingerprint = 16  // hex digits of a fingerprint
)

// actPDFLabels holds every fixed text of the act in Kazakh, Russian and
// English. A key missing here, or a language missing from an entry, makes
// PDF fail rather than print a wrong or empty text.
var actPDFLabels = document.Words{
	"title": {KK: "Дербес деректерді жою актісі", RU: "Акт об уничтожении персональных данных", EN: "Act of destruction of personal data"},
	"no":    {KK: "№ %s", RU: "№ %s", EN: "No. %s"},
	"bin":   {KK: "БСН", RU: "БИН", EN: "BIN"},

	"details":                {KK: "Акт туралы мәліметтер", RU: "Сведения об акте", EN: "Details of the act"},
	"act_id":                 {KK: "Акт нөмірі", RU: "Номер акта", EN: "Act No."},
	"kind":                   {KK: "Акт түрі", RU: "Вид акта", EN: "Kind"},
	"kind." + actKindSweep:   {KK: "сақтау мерзімі өткен деректерді жою", RU: "плановое уничтожение по истечении срока хранения", EN: "retention sweep"},
	"kind." + actKindRequest: {KK: "дербес деректер субъектісінің өтініші бойынша жою", RU: "уничтожение по запросу субъекта персональных данных", EN: "destruction at the data subject's request"},
	"started":                {KK: "Басталды", RU: "Начато", EN: "Started"},
	"sealed":                 {KK: "Аяқталып, қол қойылды", RU: "Завершено и подписано", EN: "Sealed"},
	"astana":                 {KK: "%s (Астана уақыты, UTC+5)", RU: "%s (время Астаны, UTC+5)", EN: "%s (Astana time, UTC+5)"},
	"basis":                  {KK: "Құқықтық негіз", RU: "Правовое основание", EN: "Legal basis"},
	"basis_text": {
		KK: "Қазақстан Республикасының «Дербес деректер және оларды қорғау туралы» № 94-V Заңы, 12-бап, 2-тармақ; 18-бап",
		RU: "Закон Республики Казахстан № 94-V «О персональных данных и их защите», ст. 12 п. 2, ст. 18",
		EN: "Law No. 94-V of the Republic of Kazakhstan «On personal data and their protection», Art. 12 p.2, Art. 18",
	},
	"basis_depersonalised": {KK: "иесіздендіру: 17-бап", RU: "обезличивание: ст. 17", EN: "depersonalisation: Art. 17"},

	"covered":      {KK: "Актіге енгізілген дербес деректер", RU: "Персональные данные, охваченные актом", EN: "Personal data covered by the act"},
	"col.purpose":  {KK: "Өңдеу мақсаты", RU: "Цель обработки", EN: "Purpose"},
	"col.category": {KK: "Субъектілер санаты", RU: "Категория субъектов", EN: "Subject category"},
	"col.ground":   {KK: "Құқықтық негізі", RU: "Правовое основание", EN: "Legal ground"},
	"col.action":   {KK: "Әрекет", RU: "Действие", EN: "Action"},
	"col.rule":     {KK: "Себебі", RU: "Причина", EN: "Reason"},
	"col.records":  {KK: "Жазбалар", RU: "Записей", EN: "Records"},
	"total":        {KK: "Барлығы", RU: "Итого", EN: "Total"},
	"none":         {KK: "Актіге бірде-бір жазба енгізілмеген.", RU: "Акт не охватывает ни одной записи.", EN: "The act covers no records."},

	"action." + policy.ThenDestroy:       {KK: "жойылды", RU: "уничтожены", EN: "destroyed"},
	"action." + policy.ThenDepersonalise: {KK: "иесіздендірілді", RU: "обезличены", EN: "depersonalised"},

	"rule." + actRuleRetention: {KK: "сақтау мерзімі өтті", RU: "истёк срок хранения", EN: "storage term ended"},
	"rule." + actRuleWithdrawn: {KK: "келісім кері қайтарып алынды (8-бап)", RU: "отзыв согласия (ст. 8)", EN: "consent withdrawn (Art. 8)"},
	"rule." + actRuleRequest:   {KK: "субъектінің өтініші", RU: "запрос субъекта", EN: "subject's request"},

	"method_head": {KK: "Жою тәсілі", RU: "Способ уничтожения", EN: "Method of destruction"},
	"method": {
		KK: "Жазбаның шифрлау кілті жойылды (кілтті жою әдісі), оның шифрланған мәтіні өшірілді; деректерді қалпына келтіру мүмкін емес.",
		RU: "Ключ шифрования записи удалён (криптографическое уничтожение), её шифротекст удалён; восстановить данные невозможно.",
		EN: "The record's encryption key was deleted (key shredding) and its ciphertext removed; the data cannot be restored.",
	},
	"method_depersonalised": {
		KK: "Иесіздендірілген әрбір жазба жойылар алдында субъектіге жатқызуға болмайтын жалпыланған статистика жолына айналдырылды (17-бап).",
		RU: "Каждая обезличенная запись перед уничтожением преобразована в строку обобщённой статистики, которую невозможно отнести к субъекту (ст. 17).",
		EN: "Before destruction, each depersonalised record was turned into a row of generalised statistics that cannot be tied to a subject (Art. 17).",
	},

	"integrity":               {KK: "Тұтастық және қолтаңба", RU: "Целостность и подпись", EN: "Integrity and signature"},
	"record_ids":              {KK: "Жазба идентификаторларының SHA-256 хэші", RU: "SHA-256 идентификаторов записей", EN: "SHA-256 of the record ids"},
	"summary_sha":             {KK: "Қол қойылған мазмұнның SHA-256 хэші", RU: "SHA-256 подписанного содержания", EN: "SHA-256 of the signed summary"},
	"signature":               {KK: "Қолтаңба ізі (Ed25519, SHA-256)", RU: "Отпечаток подписи (Ed25519, SHA-256)", EN: "Signature fingerprint (Ed25519, SHA-256)"},
	"key":                     {KK: "Журнал кілтінің ізі (SHA-256)", RU: "Отпечаток ключа журнала (SHA-256)", EN: "Journal key fingerprint (SHA-256)"},
	"check":                   {KK: "Тексеру", RU: "Проверка", EN: "Verification"},
	"verified":                {KK: "қолтаңба расталды", RU: "подпись подтверждена", EN: "signature verified"},
	"not_verified":            {KK: "қолтаңба РАСТАЛМАДЫ", RU: "подпись НЕ ПОДТВЕРЖДЕНА", EN: "signature DOES NOT verify"},
	"why." + actCheckUnsigned: {KK: "актіде қолтаңба немесе қол қойылған мазмұн жоқ", RU: "у акта нет подписи или подписанного содержания", EN: "the act carries no signature or no signed summary"},
	"why." + actCheckKey:      {KK: "журналдың жарамды ашық кілті берілмеген", RU: "не передан действительный открытый ключ журнала", EN: "no valid journal public key was given"},
	"why." + actCheckBad:      {KK: "қолтаңба қол қойылған мазмұнға сәйкес келмейді", RU: "подпись не соответствует подписанному содержанию", EN: "the signature does not match the signed summary"},
	"why." + actCheckMismatch: {KK: "қол қойылған мазмұн осы актіде басылған мазмұннан өзгеше", RU: "подписанное содержание отличается от напечатанного в акте", EN: "the signed summary is not what this act prints"},
	"records_mismatch": {
		KK: "Актіде %d жазба көрсетілген, ал жолдарының қосындысы — %d.",
		RU: "В акте указано записей: %d, а сумма по строкам — %d.",
		EN: "The act states %d records, but its lines add up to %d.",
	},

	"signatures": {KK: "Қолтаңбалар", RU: "Подписи", EN: "Signatures"},
	"drawn": {
		KK: "Актіні derbes жасап, журнал кілтімен қол қойды. Дербес деректерді өңдеуді ұйымдастыруға жауапты тұлға актіні растайды:",
		RU: "Акт составлен derbes и подписан ключом журнала. Ответственный за организацию обработки персональных данных подтверждает акт:",
		EN: "The act was drawn up by derbes and signed with the journal key. The person responsible for organising the processing of personal data confirms it:",
	},
	"sign.name": {KK: "(лауазымы, аты-жөні)", RU: "(должность, Ф. И. О.)", EN: "(position, name)"},
	"sign.sign": {KK: "(қолы)", RU: "(подпись)", EN: "(signature)"},
	"sign.date": {KK: "(күні)", RU: "(дата)", EN: "(date)"},

	"footer": {
		KK: "Қазақстан Республикасының «Дербес деректер және оларды қорғау туралы» № 94-V Заңы",
		RU: "Закон Республики Казахстан № 94-V «О персональных данных и их защите»",
		EN: "Law No. 94-V of the Republic of Kazakhstan «On personal data and their protection»",
	},
	"page": {KK: "Акт № %s · бет {current} / {total}", RU: "Акт № %s · стр. {current} из {total}", EN: "Act No. %s · page {current} of {total}"},
}

// Outcomes of checking an act's signature.
const (
	actCheckOK       = "ok"
	actCheckUnsigned = "unsigned"
	actCheckKey      = "key"
	actCheckBad      = "bad"
	actCheckMismatch = "mismatch"
)

// Layout, in millimetres and points, on A4 (210 × 297 mm).
const (
	actPDFTitleSize = 14.0
	actPDFHashSize  = 7.5
	actPDFCellSize  = 7.5
	actPDFLabelCols = 8   // of document.Grid
	actPDFCellPad   = 1.2 // left and right of a table cell's text
	// actPDFBold is how much wider bold text is taken to be.
	actPDFBold = 1.1
	// actPDFPoint is a point in millimetres.
	actPDFPoint = 25.4 / 72
)

// actPDFCols are the widths of the table's columns: purpose, subject
// category, legal ground, action, reason, records.
var actPDFCols = [6]int{6, 4, 4, 4, 4, 2}

// actPDFAlarm is the colour of a signature that does not hold.
var actPDFAlarm = &mprops.Color{Red: 170, Green: 20, Blue: 20}

// PDF renders the act as an A4 PDF, of as many pages as its table needs,
// in lang: "kk", "ru" or "en". The operator heads it; purposes, subject
// categories and grounds are printed by their titles in that language
// (falling back to Kazakh, then to the id); times are shown in Astana time
// (UTC+5). The act says whether p.Signature is a valid signature of
// p.Summary under p.PublicKey and whether p.Summary is this act; a
// signature that does not verify is printed as such, not refused.
func (s *ActSummary) PDF(p ActContext, lang string) ([]byte, error) {
	if s == nil {
		return nil, errors.New("retention: PDF of a nil act")
	}
	if !document.Lang(lang) {
		return nil, fmt.Errorf("retention: act language %q not supported (kk, ru or en)", lang)
	}
	w := &actPDFPrinter{Wording: document.NewWording(actPDFLabels, lang, "retention: act"), ctx: p}
	title := w.T("title")
	operatorName := p.Operator.Name.In(lang)
	id := actPDFLine(s.ID)
	created := s.SealedAt
	if created.IsZero() {
		created = s.StartedAt
	}
	m, err := document.New(document.Spec{
		Title:   title + " " + id,
		Subject: id,
		Author:  operatorName,
		Created: created,
		// The page number, under the footer, carries the act's number so
		// that a loose page can be traced.
		PageNumber: fmt.Sprintf(w.T("page"), id),
		Footer:     document.Footer(w.T("footer"), ""),
	})
	if err != nil {
		return nil, fmt.Errorf("retention: act: %w", err)
	}
	w.m = m

	w.letterhead(operatorName)
	tp := document.Heading(actPDFTitleSize)
	tp.Align = malign.Center
	w.add(
		mrow.New(4),
		mtext.NewAutoRow(title, tp),
		mtext.NewAutoRow(fmt.Sprintf(w.T("no"), id), mprops.Text{Size: document.BodySize, Color: document.Grey, Align: malign.Center, Top: 1, Bottom: 1}),
	)

	depersonalised := slices.ContainsFunc(s.Counts, func(c ActCount) bool { return c.Action == policy.ThenDepersonalise })

	w.head("details")
	w.kv("act_id", id)
	kind := actPDFLine(s.Kind)
	if _, ok := actPDFLabels["kind."+s.Kind]; ok {
		kind = w.T("kind." + s.Kind)
	}
	w.kv("kind", kind)
	w.kv("started", w.when(s.StartedAt))
	w.kv("sealed", w.when(s.SealedAt))
	basis := w.T("basis_text")
	if depersonalised {
		basis += "; " + w.T("basis_depersonalised")
	}
	w.kv("basis", basis)

	w.head("covered")
	total := w.table(s.Counts)

	w.head("method_head")
	w.para(w.T("method"))
	if depersonalised {
		w.para(w.T("method_depersonalised"))
	}

	w.head("integrity")
	w.kvHash("record_ids", s.RecordIDs)
	w.kvHash("summary_sha", actPDFSum(p.Summary, 0))
	w.kvHash("signature", actPDFSum(p.Signature, actPDFFingerprint))
	w.kvHash("key", actPDFSum(p.PublicKey, actPDFFingerprint))
	good := document.ValueProps(mfontstyle.Bold, document.ValueSize)
	good.Color = document.HeadColor
	bad := good
	bad.Color = actPDFAlarm
	if check := actPDFCheck(s, p); check == actCheckOK {
		w.pair(w.T("check"), w.T("verified"), good)
	} else {
		w.pair(w.T("check"), w.T("not_verified")+": "+w.T("why."+check), bad)
	}
	if total != s.Records {
		w.pair("", fmt.Sprintf(w.T("records_mismatch"), s.Records, total), bad)
	}

	w.signatures()

	if err := w.Err(); err != nil {
		return nil, err
	}
	doc, err := w.m.Generate()
	if err != nil {
		return nil, fmt.Errorf("retention: render act: %w", err)
	}
	return doc.GetBytes(), nil
}

// actPDFCheck says whether p.Signature is the journal key's signature of
// p.Summary, and p.Summary the summary s: actCheckOK, or why not.
func actPDFCheck(s *ActSummary, p ActContext) string {
	if len(p.Signature) == 0 || len(p.Summary) == 0 {
		return actCheckUnsigned
	}
	if len(p.PublicKey) != ed25519.PublicKeySize {
		return actCheckKey
	}
	if !ed25519.Verify(ed25519.PublicKey(p.PublicKey), p.Summary, p.Signature) {
		return actCheckBad
	}
	var signed ActSummary
	if err := json.Unmarshal(p.Summary, &signed); err != nil || !actPDFSame(&signed, s) {
		return actCheckMismatch
	}
	return actCheckOK
}

// actPDFSame reports whether two summaries say the same thing (times
// compared as instants).
func actPDFSame(s, o *ActSummary) bool {
	return s.ID == o.ID && s.Kind == o.Kind && s.StartedAt.Equal(o.StartedAt) && s.SealedAt.Equal(o.SealedAt) &&
		s.Records == o.Records && s.RecordIDs == o.RecordIDs && slices.Equal(s.Counts, o.Counts)
}

// actPDFSum returns the hex SHA-256 of b, its first n digits when n > 0;
// "" for no bytes.
func actPDFSum(b []byte, n int) string {
	if len(b) == 0 {
		return ""
	}
	h := sha256.Sum256(b)
	x := hex.EncodeToString(h[:])
	if n > 0 {
		x = x[:n]
	}
	return x
}

// actPDFPrinter adds the rows of one act in one language to its document
// as it goes, so that it can ask how much room is left on a page.
type actPDFPrinter struct {
	document.Wording
	ctx ActContext
	m   mcore.Maroto
}

// title returns the title of a purpose, category or ground in the
// printer's language, or the id when there is none.
func (w *actPDFPrinter) title(kind, id string) string {
	var t policy.Text
	if w.ctx.Titles != nil {
		t = w.ctx.Titles(kind, id)
	}
	if kind == actTitleGround && t.In(w.Lang()) == "" {
		if g, ok := policy.LookupGround(id); ok {
			t = g.Title
		}
	}
	if s := t.In(w.Lang()); strings.TrimSpace(s) != "" {
		return s
	}
	if strings.TrimSpace(id) == "" {
		return "—"
	}
	return id
}

func (w *actPDFPrinter) add(rows ...mcore.Row) {
	w.m.AddRows(rows...)
}

// letterhead prints the operator's name and requisites, then a rule.
func (w *actPDFPrinter) letterhead(name string) {
	op := w.ctx.Operator
	line := w.T("bin") + " " + actPDFLine(op.BIN)
	if a := actPDFLine(op.Address); a != "" {
		line += " · " + a
	}
	var contact []string
	for _, c := range []string{op.Website, op.Responsible.Email, op.Responsible.Phone} {
		if c = actPDFLine(c); c != "" {
			contact = append(contact, c)
		}
	}
	w.add(document.Letterhead(actPDFLine(name), line, strings.Join(contact, " · "))...)
}

// head starts a section with a shaded heading.
func (w *actPDFPrinter) head(key string) {
	document.Keep(w.m, document.HeadRoom)
	w.add(document.Section(w.T(key), 3, 1)...)
}

// kv adds a label and its value; an empty value prints as a dash.
func (w *actPDFPrinter) kv(key, value string) {
	w.pair(w.T(key), value, document.ValueProps(mfontstyle.Normal, document.ValueSize))
}

// kvHash adds a hex digest, a little smaller so that 64 digits fit a line.
func (w *actPDFPrinter) kvHash(key, value string) {
	vp := document.ValueProps(mfontstyle.Normal, actPDFHashSize)
	vp.Top = 0.8
	w.pair(w.T(key), value, vp)
}

func (w *actPDFPrinter) pair(label, value string, vp mprops.Text) {
	size := vp.Size
	if vp.Style == mfontstyle.Bold {
		size *= actPDFBold
	}
	value = actPDFCell(value, document.Grid-actPDFLabelCols, size, 0)
	w.add(document.Pairs(actPDFLabelCols, label, []string{value}, vp)...)
}

// para adds a paragraph across the page.
func (w *actPDFPrinter) para(s string) {
	bp := document.BodyProps(mfontstyle.Normal)
	bp.Right = 1.5
	w.add(mtext.NewAutoRow(s, bp))
}

// table prints the counts, a row each, under a head row that maroto
// repeats at the top of every page the table runs on, and their total,
// which it returns.
func (w *actPDFPrinter) table(counts []ActCount) int {
	cellProps := func(style mfontstyle.Type, a malign.Type) mprops.Text {
		return mprops.Text{Size: actPDFCellSize, Style: style, Align: a, Top: 1, Bottom: 1, Left: actPDFCellPad, Right: actPDFCellPad, VerticalPadding: 0.4}
	}
	if len(counts) == 0 {
		w.para(w.T("none"))
		return 0
	}
	headKeys := [6]string{"col.purpose", "col.category", "col.ground", "col.action", "col.rule", "col.records"}
	head := mrow.New()
	for i, k := range headKeys {
		a := malign.Left
		if i == len(headKeys)-1 {
			a = malign.Right
		}
		hp := cellProps(mfontstyle.Bold, a)
		hp.Color = document.HeadColor
		head.Add(mtext.NewCol(actPDFCols[i], w.T(k), hp))
	}
	head.WithStyle(&mprops.Cell{BackgroundColor: document.HeadFill, BorderType: mborder.Bottom, BorderColor: document.RuleColor, BorderThickness: 0.3})

	// Room for the head and a few rows, so that the head does not open a
	// page of its own (RegisterHeader adds it at once, and would add it
	// twice if it did not fit).
	document.Keep(w.m, document.HeadRoom)
	// A registered header is added now and again on top of each new page;
	// registering none after the table stops the repeats.
	if err := w.m.RegisterHeader(head); err != nil {
		w.Fail(fmt.Errorf("retention: act table head: %w", err))
		return 0
	}
	defer func() {
		if err := w.m.RegisterHeader(); err != nil {
			w.Fail(fmt.Errorf("retention: act table head: %w", err))
		}
	}()

	total := 0
	line := &mprops.Cell{BorderType: mborder.Bottom, BorderColor: document.RuleColor, BorderThickness: 0.1}
	for _, c := range counts {
		action := actPDFCell(c.Action, actPDFCols[3], actPDFCellSize, actPDFMaxCell)
		if _, ok := actPDFLabels["action."+c.Action]; ok {
			action = w.T("action." + c.Action)
		}
		rule := actPDFCell(c.Rule, actPDFCols[4], actPDFCellSize, actPDFMaxCell)
		if _, ok := actPDFLabels["rule."+c.Rule]; ok {
			rule = w.T("rule." + c.Rule)
		}
		cells := [6]string{
			actPDFCell(w.title(actTitlePurpose, c.Purpose), actPDFCols[0], actPDFCellSize, actPDFMaxCell),
			actPDFCell(w.title(actTitleCategory, c.Category), actPDFCols[1], actPDFCellSize, actPDFMaxCell),
			actPDFCell(w.title(actTitleGround, c.Ground), actPDFCols[2], actPDFCellSize, actPDFMaxCell),
			action, rule, strconv.Itoa(c.Records),
		}
		r := mrow.New()
		for i, v := range cells {
			a := malign.Left
			if i == len(cells)-1 {
				a = malign.Right
			}
			if v == "" {
				v = "—"
			}
			r.Add(mtext.NewCol(actPDFCols[i], v, cellProps(mfontstyle.Normal, a)))
		}
		w.add(r.WithStyle(line))
		total += c.Records
	}
	last := actPDFCols[len(actPDFCols)-1]
	w.add(mrow.New().Add(
		mtext.NewCol(document.Grid-last, w.T("total"), cellProps(mfontstyle.Bold, malign.Right)),
		mtext.NewCol(last, strconv.Itoa(total), cellProps(mfontstyle.Bold, malign.Right)),
	).WithStyle(&mprops.Cell{BorderType: mborder.Bottom, BorderColor: document.RuleColor, BorderThickness: 0.3}))
	return total
}

// signatures ends the act with the lines the responsible person signs and
// dates.
func (w *actPDFPrinter) signatures() {
	r := w.ctx.Operator.Responsible
	// The heading, the text and the lines stay on one page.
	document.Keep(w.m, 70)
	w.head("signatures")
	w.para(w.T("drawn"))
	var who []string
	for _, s := range []string{r.Position, r.Name} {
		if s = actPDFCell(s, 10, document.ValueSize*actPDFBold, actPDFMaxCell); s != "" {
			who = append(who, s)
		}
	}
	rule := mprops.Line{Color: document.HeadColor, Thickness: 0.25, OffsetPercent: 50, SizePercent: 100}
	caption := mprops.Text{Size: document.FooterSize, Color: document.Grey, Align: malign.Center, Top: 0.5}
	// The name sits on its line with room above to sign; the line runs
	// under the name, the signature and the date.
	w.add(
		mrow.New().Add(
			mtext.NewCol(10, strings.Join(who, ", "), mprops.Text{Size: document.ValueSize, Style: mfontstyle.Bold, Top: 10, Bottom: 1, VerticalPadding: document.LinePad}),
			mcol.New(14),
		),
		mrow.New(1.5).Add(
			mline.NewCol(10, rule), mcol.New(1), mline.NewCol(7, rule), mcol.New(1), mline.NewCol(5, rule),
		),
		mrow.New().Add(
			mtext.NewCol(10, w.T("sign.name"), caption), mcol.New(1),
			mtext.NewCol(7, w.T("sign.sign"), caption), mcol.New(1),
			mtext.NewCol(5, w.T("sign.date"), caption),
		),
	)
}

// when prints an instant in Astana time; the zero time prints as a dash.
func (w *actPDFPrinter) when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return fmt.Sprintf(w.T("astana"), document.DateTime(t))
}

// actPDFLine folds a free text to one line and cuts it to actPDFMaxCell
// characters, for the rows that print a name or a requisite across the
// page.
func actPDFLine(s string) string {
	return actPDFCell(s, document.Grid, document.NameSize*actPDFBold, actPDFMaxCell)
}

// actPDFCell prepares a text for a cell cols grid columns wide, set at
// size points: runs of white space become one space, words too wide for
// the cell are cut into pieces that fit (maroto only breaks lines at
// spaces, and would run them into the next cell or off the page), and a
// text longer than most characters (when most > 0) is cut and ends in "…".
func actPDFCell(s string, cols int, size float64, most int) string {
	room := float64(cols)*document.ColWidth - 2*actPDFCellPad
	em := size * actPDFPoint
	var words []string
	for _, f := range strings.Fields(s) {
		var piece []rune
		wide := 0.0
		for _, r := range f {
			if cw := actPDFRuneWidth(r) * em; len(piece) > 0 && wide+cw > room {
				words = append(words, string(piece))
				piece, wide = piece[:0], 0
			}
			piece = append(piece, r)
			wide += actPDFRuneWidth(r) * em
		}
		words = append(words, string(piece))
	}
	out := strings.Join(words, " ")
	if most > 0 {
		out = document.Cut(out, most)
	}
	return out
}

// actPDFRuneWidth is a generous guess, in ems, at the width of r in DejaVu
// Sans: enough that a word cut to fit does fit, without cutting ordinary
// words.
func actPDFRuneWidth(r rune) float64 {
	switch {
	case strings.ContainsRune("iljtfrıіїI1.,:;'!|()[]-/ ", r):
		return 0.42
	case strings.ContainsRune("mwMWжшщюыфЖШЩЮЫФ@%", r):
		return 1.0
	case unicode.IsUpper(r):
		return 0.8
	default:
		return 0.66
	}
}
