package policy

// Ground is a legal ground for processing.
type Ground struct {
	ID      string
	Article string
	Title   Text
}

// GroundConsent is the default ground of Law 94-V (Art. 7, 8).
const GroundConsent = "consent"

// GroundOtherLaw is a ground in another law; the purpose names it in
// legal_basis.
const GroundOtherLaw = "other-law"

// Grounds are the legal grounds a purpose may name: consent, and the cases of
// Art. 9 where consent is not required (LAW.md lists them; the sub-point
// numbers are not verified, so only the article is cited).
var Grounds = []Ground{
	{GroundConsent, "Art. 7, 8", Text{"Субъектінің келісімі", "Согласие субъекта", "Consent of the subject"}},
	{"international-treaty", "Art. 9", Text{"Халықаралық шарт", "Международный договор", "International treaty"}},
	{"law-enforcement", "Art. 9", Text{"Құқық қорғау органдары мен соттардың қызметі", "Деятельность правоохранительных органов и судов", "Law enforcement and courts"}},
	{"enforcement-proceedings", "Art. 9", Text{"Атқарушылық іс жүргізу", "Исполнительное производство", "Enforcement proceedings"}},
	{"state-statistics", "Art. 9", Text{"Мемлекеттік статистика", "Государственная статистика", "State statistics"}},
	{"depersonalised-statistics", "Art. 9", Text{"Иесіздендірілген деректер бойынша статистика", "Статистика по обезличенным данным", "Statistics on depersonalised data"}},
	{"pension", "Art. 9", Text{"Зейнетақымен қамсыздандыру", "Пенсионное обеспечение", "Pension provision"}},
	{"journalism", "Art. 9", Text{"Журналистік, ғылыми, шығармашылық қызмет", "Журналистская, научная, творческая деятельность", "Journalism, science and art"}},
	{"published-by-law", "Art. 9", Text{"Заң бойынша жариялау", "Опубликование в соответствии с законом", "Publication required by law"}},
	{"state-revenue", "Art. 9", Text{"Мемлекеттік кірістер органдары", "Органы государственных доходов", "State revenue bodies"}},
	{GroundOtherLaw, "Art. 9", Text{"Заңда көзделген өзге жағдайлар", "Иные случаи, предусмотренные законом", "Other cases provided by law"}},
}

// LookupGround returns the ground with the given id.
func LookupGround(id string) (Ground, bool) {
	for _, g := range Grounds {
		if g.ID == id {
			return g, true
		}
	}
	return Ground{}, false
}
