package calendar

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// language holds the words of a rendered calendar.
type language struct {
	title       string // %d: the year
	weekdays    [7]string
	months      [12]string
	legend      string
	total       string // %d: working days
	source      string
	daysOff     string
	worked      string
	provisional string
	kurban      string
}

var languages = map[string]*language{
	"kk": {
		title:       "%d жылғы өндірістік күнтізбе (бес күндік жұмыс аптасы)",
		weekdays:    [7]string{"Дс", "Сс", "Ср", "Бс", "Жм", "Сб", "Жс"},
		months:      [12]string{"Қаңтар", "Ақпан", "Наурыз", "Сәуір", "Мамыр", "Маусым", "Шілде", "Тамыз", "Қыркүйек", "Қазан", "Қараша", "Желтоқсан"},
		legend:      "N жұмыс күні · N- демалыс күні · N* мереке · N+ жұмыс күніне ауыстырылған демалыс · (N) айдағы жұмыс күндері",
		total:       "Жылдағы жұмыс күндері: %d",
		source:      "Дереккөз",
		daysOff:     "Мерекелер мен демалыс күндері:",
		worked:      "Жұмыс күніне ауыстырылған демалыс күндері:",
		provisional: "РАСТАЛМАҒАН: жыл сайынғы демалыс күндерін ауыстыру туралы бұйрықпен расталмаған",
		kurban:      "Құрбан айт күні белгісіз",
	},
	"ru": {
		title:       "Производственный календарь на %d год (пятидневная рабочая неделя)",
		weekdays:    [7]string{"Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"},
		months:      [12]string{"Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь"},
		legend:      "N рабочий день · N- выходной · N* праздник · N+ рабочий выходной (перенос) · (N) рабочих дней в месяце",
		total:       "Рабочих дней в году: %d",
		source:      "Источник",
		daysOff:     "Праздники и выходные дни:",
		worked:      "Рабочие выходные (переносы):",
		provisional: "НЕ ПОДТВЕРЖДЁН ежегодным приказом о переносе выходных дней",
		kurban:      "дата Курбан айта неизвестна",
	},
	"en": {
		title:       "Working-day calendar %d (five-day week)",
		weekdays:    [7]string{"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"},
		months:      [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		legend:      "N working day · N- day off · N* holiday · N+ worked weekend (transfer) · (N) working days in the month",
		total:       "Working days in the year: %d",
		source:      "Source",
		daysOff:     "Holidays and days off:",
		worked:      "Worked weekends:",
		provisional: "NOT CONFIRMED by the yearly order on transfers of days off",
		kurban:      "date of Kurban Ait unknown",
	},
}

// marks are the characters after a day number in a rendered grid.
var marks = [...]byte{Working: ' ', Weekend: '-', Holiday: '*', DayOff: '-', WorkedWeekend: '+'}

const (
	cellWidth  = 3 // "26*"
	monthWidth = 7*cellWidth + 6
	monthGap   = "   "
	perRow     = 3 // months side by side
)

// Render returns year y as plain text for a terminal, in lang ("kk", "ru" or
// "en"): a title, a legend, twelve month grids (weeks as rows, Monday first;
// each day marked working, day off, holiday or worked weekend; each month
// with its count of working days), the year's total, and the list of days off
// and worked weekends with their reasons (as the year file gives them). It
// writes nothing. The error is [ErrYearMissing] (wrapped), an unknown
// language, or a warning ([IsWarning]) returned with the text, which then
// says that the year is not confirmed.
func (c *Calendar) Render(y int, lang string) (string, error) {
	l, ok := languages[lang]
	if !ok {
		return "", fmt.Errorf("calendar: language %q not supported: use kk, ru or en", lang)
	}
	info, err := c.Year(y)
	if err != nil && !IsWarning(err) {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, l.title+"\n", y)
	if !info.Official || info.KurbanAit.IsZero() {
		b.WriteString("!! " + l.provisional)
		if info.KurbanAit.IsZero() {
			b.WriteString("; " + l.kurban)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s: %s\n%s\n", l.source, info.Source, l.legend)
	for first := 0; first < 12; first += perRow {
		b.WriteString("\n")
		blocks := make([][]string, 0, perRow)
		for m := first; m < first+perRow; m++ {
			blocks = append(blocks, monthBlock(info, time.Month(m+1), l))
		}
		rows := len(blocks[0])
		for rows > 0 && allBlank(blocks, rows-1) {
			rows--
		}
		for row := range rows {
			line := make([]string, len(blocks))
			for i, bl := range blocks {
				line[i] = pad(bl[row], monthWidth)
			}
			b.WriteString(strings.TrimRight(strings.Join(line, monthGap), " ") + "\n")
		}
	}
	fmt.Fprintf(&b, "\n"+l.total+"\n", info.Total)
	for _, list := range []struct {
		title string
		days  []Day
	}{{l.daysOff, info.DaysOff}, {l.worked, info.Worked}} {
		if len(list.days) == 0 {
			continue
		}
		b.WriteString("\n" + list.title + "\n")
		for _, d := range list.days {
			wd := l.weekdays[(int(d.Date.Weekday())+6)%7]
			fmt.Fprintf(&b, "  %s %s %c %s\n", d.Date.Format("02.01"), wd, marks[d.Kind], d.Reason)
		}
	}
	return b.String(), err
}

// monthBlock returns the lines of one month: its title, the weekday header
// and six week rows (blank when the month has fewer weeks).
func monthBlock(info YearInfo, m time.Month, l *language) []string {
	lines := []string{
		fmt.Sprintf("%s (%d)", l.months[m-1], info.WorkingDays[m-1]),
		strings.Join(l.weekdays[:], " "),
	}
	first := time.Date(info.Year, m, 1, 0, 0, 0, 0, time.UTC)
	col := (int(first.Weekday()) + 6) % 7 // Monday is column 0
	cells := make([]string, col, 42)
	for i := range col {
		cells[i] = strings.Repeat(" ", cellWidth)
	}
	for d := first; d.Month() == m; d = d.AddDate(0, 0, 1) {
		cells = append(cells, fmt.Sprintf("%2d%c", d.Day(), marks[info.Kinds[d.YearDay()-1]]))
	}
	for week := range 6 {
		var row []string
		if week*7 < len(cells) {
			row = cells[week*7 : min(week*7+7, len(cells))]
		}
		lines = append(lines, strings.Join(row, " "))
	}
	return lines
}

// pad pads s with spaces to width runes.
func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// allBlank reports whether row is empty in every block.
func allBlank(blocks [][]string, row int) bool {
	for _, b := range blocks {
		if strings.TrimSpace(b[row]) != "" {
			return false
		}
	}
	return true
}
