package main

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Everything in this file is invented: residents with valid-looking IINs
// and +7 7xx mobile numbers, Astana addresses, and what they call 109
// about. The same seed always gives the same day.

// A resident is one person who contacts the centre.
type resident struct {
	FullName string // surname, first name, patronymic
	IIN      string // only when registering an appeal: a consultation needs none
	Phone    string
	Email    string // only for appeals sent by e-mail
	Address  string
	Kazakh   bool // speaks Kazakh to the centre (otherwise Russian)
	// The identity card a resident shows when asking what is held about
	// them: its number and date of issue.
	IDCard, IDIssued string
}

// An appeal is one contact of the day: a consultation answered on the
// call, or an appeal registered and passed to an executor.
type appeal struct {
	N            int // number in the day, from 1
	Channel      string
	Consultation bool
	Topic        topic
	Text         string
	Resident     resident
	// Closed: the executor resolves the appeal during the day, and the
	// operator closes it.
	Closed bool
	// AsksWhatIsHeld: the resident then asks what the centre holds about
	// them.
	AsksWhatIsHeld bool
}

// A topic is what an appeal is about, and which executor resolves it.
type topic struct {
	ID        string
	Recipient string // a recipient of the policy
	KK, RU    []string
}

// topics and their executors (seed 004 §9: data go to those who take part
// in resolving the appeal, and to nobody else).
var topics = []topic{
	{"lights", "city-departments",
		[]string{"Аулада көше шамдары жанбайды, кешке қараңғы.", "Подъезд алдындағы шам бір аптадан бері істемейді."},
		[]string{"Во дворе не горят фонари, вечером темно.", "Не работает уличное освещение на нашей улице."}},
	{"roads", "city-departments",
		[]string{"Үйдің алдындағы жолда үлкен шұңқыр пайда болды.", "Аялдама жанындағы жаяу жүргінші жолы қардан тазаланбаған."},
		[]string{"На дороге у дома большая яма, машины объезжают по тротуару.", "Не убран снег с тротуара у остановки."}},
	{"heating", "utilities",
		[]string{"Пәтерде жылу жоқ, радиаторлар суық.", "Жылу беру басталды, бірақ біздің үйде батареялар әлі суық."},
		[]string{"В квартире холодно, батареи еле тёплые.", "Отопление дали, а в нашем подъезде батареи холодные."}},
	{"water", "utilities",
		[]string{"Үшінші күн ыстық су жоқ.", "Ауладағы құбыр жарылып, су ағып жатыр."},
		[]string{"Третий день нет горячей воды.", "Во дворе прорвало трубу, течёт вода."}},
	{"lifts", "housing",
		[]string{"Подъездегі лифт екі күннен бері істемейді.", "Лифт қабаттар арасында тоқтап қалады."},
		[]string{"Лифт не работает второй день, в доме пожилые люди.", "Лифт застревает между этажами."}},
	{"housing", "housing",
		[]string{"Төбеден су ағып тұр, МИБ жауап бермейді.", "Подъездтің есігі сынған, жабылмайды."},
		[]string{"Протекает крыша, ОСИ не реагирует.", "Сломана входная дверь подъезда, не закрывается."}},
	{"rubbish", "district-akimats",
		[]string{"Қоқыс контейнерлері үш күннен бері шығарылмаған.", "Аулада қоқыс үйіліп жатыр."},
		[]string{"Мусор не вывозят уже неделю, контейнеры переполнены.", "Во дворе стихийная свалка."}},
	{"playground", "district-akimats",
		[]string{"Балалар алаңындағы әткеншек сынған.", "Аулада балалар алаңының қоршауы құлап жатыр."},
		[]string{"Сломаны качели на детской площадке.", "Упало ограждение детской площадки во дворе."}},
}

// Questions answered on the call itself: consultations.
var questions = struct{ KK, RU []string }{
	[]string{"Жылу беру маусымы қашан басталады?", "Қоқыс шығару кестесін білгім келеді.", "Су құбыры апаттық қызметінің нөмірі қандай?", "Коммуналдық төлемдер бойынша қайда жүгінуге болады?"},
	[]string{"Когда начнётся отопительный сезон?", "Подскажите график вывоза мусора.", "Какой номер у аварийной службы водоканала?", "Куда обратиться по перерасчёту за коммунальные услуги?"},
}

// channelWeights says how the day's appeals arrive: most by phone, then
// the mobile app. Consultations come only by phone (the policy's
// consultation purpose has the one channel call-109).
var channelWeights = []struct {
	ID     string
	Weight int
}{
	{"call-109", 40}, {"mobile-app", 20}, {"website", 12}, {"chatbot", 12}, {"social", 10}, {"email", 6},
}

type name struct{ Cyr, Lat string }

var (
	kkMen      = []name{{"Нұрлан", "nurlan"}, {"Ерлан", "erlan"}, {"Асқар", "askar"}, {"Дәурен", "dauren"}, {"Бауыржан", "bauyrzhan"}, {"Серік", "serik"}, {"Ғалым", "galym"}, {"Мұрат", "murat"}, {"Арман", "arman"}, {"Қайрат", "kairat"}}
	kkWomen    = []name{{"Айгерім", "aigerim"}, {"Гүлнара", "gulnara"}, {"Динара", "dinara"}, {"Жанар", "zhanar"}, {"Сәуле", "saule"}, {"Әсел", "asel"}, {"Мәдина", "madina"}, {"Ақмарал", "akmaral"}, {"Аружан", "aruzhan"}, {"Ләззат", "lazzat"}}
	kkSurnames = []string{"Жұмабаев", "Сейітов", "Оспанов", "Құсайынов", "Нұрпейісов", "Бекмағамбетов", "Сәрсенов", "Ахметов", "Қасымов", "Әбілқайыров", "Төлеуов", "Мұхаметжанов"}
	kkFathers  = []string{"Серік", "Бауыржан", "Марат", "Жомарт", "Ерболат", "Талғат", "Қанат", "Болат"}
	ruMen      = []name{{"Сергей", "sergey"}, {"Андрей", "andrey"}, {"Дмитрий", "dmitriy"}, {"Алексей", "aleksey"}, {"Виктор", "viktor"}, {"Николай", "nikolay"}}
	ruWomen    = []name{{"Елена", "elena"}, {"Ольга", "olga"}, {"Татьяна", "tatyana"}, {"Наталья", "natalya"}, {"Ирина", "irina"}, {"Светлана", "svetlana"}}
	ruSurnames = []string{"Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Волков", "Морозов", "Лебедев"}
	ruFathers  = []struct{ M, F string }{{"Сергеевич", "Сергеевна"}, {"Андреевич", "Андреевна"}, {"Викторович", "Викторовна"}, {"Николаевич", "Николаевна"}, {"Петрович", "Петровна"}, {"Александрович", "Александровна"}}

	// Astana's districts and some of its streets, in each language.
	kkDistricts = []string{"Алматы ауданы", "Байқоңыр ауданы", "Есіл ауданы", "Сарыарқа ауданы", "Нұра ауданы"}
	ruDistricts = []string{"район Алматы", "район Байконур", "район Есиль", "район Сарыарка", "район Нура"}
	kkStreets   = []string{"Қабанбай батыр даңғылы", "Тұран даңғылы", "Сарыарқа даңғылы", "Кенесары көшесі", "Абай даңғылы", "Сығанақ көшесі", "Мәңгілік Ел даңғылы", "Бейбітшілік көшесі", "Республика даңғылы"}
	ruStreets   = []string{"пр. Кабанбай батыра", "пр. Туран", "пр. Сарыарка", "ул. Кенесары", "пр. Абая", "ул. Сыганак", "пр. Мангилик Ел", "ул. Бейбитшилик", "пр. Республики"}

	// Mobile operators' codes: every number is +7 7xx.
	mobileCodes = []string{"700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778"}
)

// planDay draws the day's appeals from the seed. About one contact in three
// is a consultation; the first six appeals come one through each channel,
// so that a short day still uses them all; about half of the appeals are
// resolved and closed before the day ends, and one resident in eight who
// appealed asks what the centre holds about them.
func planDay(n int, seed uint64) []appeal {
	rng := rand.New(rand.NewPCG(seed, 0x69_4b_6f_6d_65_6b)) // "iKomek"
	iins := map[string]bool{}
	day := make([]appeal, 0, n)
	appeals := 0
	for i := range n {
		a := appeal{N: i + 1}
		r := newResident(rng)
		if i%3 == 2 {
			a.Consultation = true
			a.Channel = "call-109"
			a.Text = pick(rng, inLanguage(r.Kazakh, questions.KK, questions.RU))
		} else {
			if appeals < len(channelWeights) {
				a.Channel = channelWeights[appeals].ID
			} else {
				a.Channel = weighted(rng)
			}
			a.Topic = topics[rng.IntN(len(topics))]
			a.Text = pick(rng, inLanguage(r.Kazakh, a.Topic.KK, a.Topic.RU))
			// Only a registered appeal needs the IIN (the consultation
			// purpose does not even allow it).
			for r.IIN == "" || iins[r.IIN] {
				r.IIN = newIIN(rng, r.born, r.male)
			}
			iins[r.IIN] = true
			if a.Channel == "email" {
				r.Email = fmt.Sprintf("%s.%s%02d@example.kz", r.lat, r.latSurname, rng.IntN(100))
			}
			a.Closed = appeals%2 == 1
			a.AsksWhatIsHeld = appeals%8 == 4
			appeals++
		}
		a.Resident = r.resident
		day = append(day, a)
	}
	return day
}

// drawn is a resident with what is needed to derive the rest.
type drawn struct {
	resident
	male            bool
	born            time.Time
	lat, latSurname string
}

func newResident(rng *rand.Rand) drawn {
	var d drawn
	d.male = rng.IntN(2) == 0
	kazakhName := rng.IntN(10) < 7 // most callers have Kazakh names
	d.born = time.Date(1945, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(62*365))
	if kazakhName {
		first := pick(rng, kkWomen)
		surname, father := pick(rng, kkSurnames), pick(rng, kkFathers)
		patronymic := father + "қызы"
		if d.male {
			first = pick(rng, kkMen)
			patronymic = father + "ұлы"
		} else {
			surname += "а"
		}
		d.FullName = surname + " " + first.Cyr + " " + patronymic
		d.lat = first.Lat
		d.Address = fmt.Sprintf("Астана қ., %s, %s, %d-үй, %d-пәтер", pick(rng, kkDistricts), pick(rng, kkStreets), 1+rng.IntN(60), 1+rng.IntN(180))
		// Not every Kazakh-named resident speaks Kazakh to the centre.
		d.Kazakh = rng.IntN(10) < 7
	} else {
		first, surname, father := pick(rng, ruWomen), pick(rng, ruSurnames), pick(rng, ruFathers)
		patronymic := father.F
		if d.male {
			first, patronymic = pick(rng, ruMen), father.M
		} else {
			surname += "а"
		}
		d.FullName = surname + " " + first.Cyr + " " + patronymic
		d.lat = first.Lat
		d.Address = fmt.Sprintf("г. Астана, %s, %s, д. %d, кв. %d", pick(rng, ruDistricts), pick(rng, ruStreets), 1+rng.IntN(60), 1+rng.IntN(180))
	}
	d.latSurname = string(rune('a' + rng.IntN(26)))
	d.Phone = fmt.Sprintf("+7 %s %03d %02d %02d", pick(rng, mobileCodes), rng.IntN(1000), rng.IntN(100), rng.IntN(100))
	d.IDCard = fmt.Sprintf("%09d", rng.IntN(1_000_000_000))
	d.IDIssued = time.Date(2016+rng.IntN(10), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	return d
}

// newIIN makes an individual identification number: the birth date as
// YYMMDD, the century-and-sex digit (3/4 for the 1900s, 5/6 for the 2000s,
// odd for men), four digits of serial number and the check digit.
func newIIN(rng *rand.Rand, born time.Time, male bool) string {
	century := 3
	if born.Year() >= 2000 {
		century = 5
	}
	if !male {
		century++
	}
	for {
		s := born.Format("060102") + fmt.Sprintf("%d%04d", century, rng.IntN(10000))
		if k, ok := iinCheckDigit(s); ok {
			return s + string(rune('0'+k))
		}
		// No check digit exists for this serial number: such IINs are
		// never issued. Draw another.
	}
}

// iinCheckDigit computes the twelfth digit of an IIN from the first
// eleven: the sum of the digits weighted 1..11, modulo 11; if that is 10,
// again with the weights 3..11, 1, 2; if that is 10 too, there is none.
func iinCheckDigit(first11 string) (int, bool) {
	sum := func(w func(i int) int) int {
		s := 0
		for i := range 11 {
			s += int(first11[i]-'0') * w(i)
		}
		return s % 11
	}
	if r := sum(func(i int) int { return i + 1 }); r != 10 {
		return r, true
	}
	if r := sum(func(i int) int { return (i+2)%11 + 1 }); r != 10 {
		return r, true
	}
	return 0, false
}

func weighted(rng *rand.Rand) string {
	total := 0
	for _, c := range channelWeights {
		total += c.Weight
	}
	n := rng.IntN(total)
	for _, c := range channelWeights {
		if n < c.Weight {
			return c.ID
		}
		n -= c.Weight
	}
	return channelWeights[0].ID
}

func inLanguage(kazakh bool, kk, ru []string) []string {
	if kazakh {
		return kk
	}
	return ru
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }
