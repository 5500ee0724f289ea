// Package document is the house look of derbes's printed documents: the
// consent receipts, the answers to subjects' requests and the acts of
// destruction. It holds the embedded fonts, the page, the type sizes and
// colours, the rows the documents are built of (titles, section bars,
// labels beside their values, lists, rules, the footer), the cutting of
// long words and the printing of times in Astana time. What a document
// says, and in which order, stays with the package that prints it.
//
// Documents are built with maroto on a grid of Grid columns across an A4
// page; sizes are in points, lengths in millimetres.
package document

import (
	"bytes"
	_ "embed"
	"fmt"
	"time"

	"github.com/johnfercher/maroto/v2"
	mconfig "github.com/johnfercher/maroto/v2/pkg/config"
	mfontstyle "github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	mpagesize "github.com/johnfercher/maroto/v2/pkg/consts/pagesize"
	mcore "github.com/johnfercher/maroto/v2/pkg/core"
	mprops "github.com/johnfercher/maroto/v2/pkg/props"
	mrepository "github.com/johnfercher/maroto/v2/pkg/repository"

	"github.com/derbes/derbes/policy"
)

// Documents are set in DejaVu Sans, embedded so that the binary needs no
// system font: it covers the Kazakh letters ә ғ қ ң ө ұ ү һ і. The font's
// licence is in fonts/LICENSE.
var (
	//go:embed fonts/DejaVuSans.ttf
	dejaVuSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	dejaVuSansBold []byte
)

// Font is the family name the house font is registered under.
const Font = "dejavu-sans"

// The page: A4 (210 × 297 mm) on a grid of Grid columns.
const (
	Grid = 24
	// Margin is the house left and right margin; TopMargin and
	// BottomMargin the top and bottom ones.
	Margin       = 16.0
	TopMargin    = 14.0
	BottomMargin = 12.0
	// ColWidth is the width of one grid column between the house margins.
	ColWidth = (210 - 2*Margin) / Grid
)

// Type sizes, in points, and spacing, in millimetres.
const (
	NameSize    = 12.5 // the operator's name in a letterhead
	SmallSize   = 8.0  // the requisites under it
	SectionSize = 9.5  // a section bar
	BodySize    = 9.0  // a paragraph across the page
	LabelSize   = 8.0  // a label beside its value
	ValueSize   = 8.5  // a value, and the default
	FooterSize  = 7.0  // the footer and the page number
	// LinePad is the space between the lines of a wrapped text.
	LinePad = 0.5
	// HeadRoom is the room a heading needs below it, with the rows that
	// follow it, not to be left alone at the foot of a page (see Keep).
	HeadRoom = 30.0
)

// The house colours.
var (
	Grey      = &mprops.Color{Red: 90, Green: 90, Blue: 90}    // labels, footer
	RuleColor = &mprops.Color{Red: 160, Green: 160, Blue: 160} // rules
	HeadFill  = &mprops.Color{Red: 232, Green: 236, Blue: 241} // section bars
	HeadColor = &mprops.Color{Red: 20, Green: 40, Blue: 70}    // titles, headings
)

// Spec is what New needs to know of a document.
type Spec struct {
	// Title, Subject and Author are the PDF's metadata; an empty one is
	// left out.
	Title, Subject, Author string
	// Created is the PDF's creation date; the zero time sets none.
	Created time.Time
	// Margin, TopMargin and BottomMargin are the page's margins; zero
	// takes the house margin.
	Margin, TopMargin, BottomMargin float64
	// PageNumber, when not empty, is printed at the bottom right of every
	// page, under the footer: "{current}" stands for the page's number,
	// "{total}" for the number of pages.
	PageNumber string
	// Footer is the rows at the foot of every page (see Footer).
	Footer []mcore.Row
}

// New returns an empty A4 document set in the house font, with the margins
// of s (or the house ones), its metadata and its footer, compressed.
//
// Each document gets its own copy of the fonts: gofpdf writes into the
// bytes it is given (it pads tables in place while subsetting), which
// would race between concurrent renders on the shared embedded slices.
func New(s Spec) (mcore.Maroto, error) {
	fonts, err := mrepository.New().
		AddUTF8FontFromBytes(Font, mfontstyle.Normal, bytes.Clone(dejaVuSans)).
		AddUTF8FontFromBytes(Font, mfontstyle.Bold, bytes.Clone(dejaVuSansBold)).
		Load()
	if err != nil {
		return nil, fmt.Errorf("fonts: %w", err)
	}
	b := mconfig.NewBuilder().
		WithPageSize(mpagesize.A4).
		WithMaxGridSize(Grid).
		WithLeftMargin(or(s.Margin, Margin)).
		WithRightMargin(or(s.Margin, Margin)).
		WithTopMargin(or(s.TopMargin, TopMargin)).
		WithBottomMargin(or(s.BottomMargin, BottomMargin)).
		WithCustomFonts(fonts).
		WithDefaultFont(&mprops.Font{Family: Font, Style: mfontstyle.Normal, Size: ValueSize}).
		WithCompression(true).
		WithTitle(s.Title, true).
		WithSubject(s.Subject, true).
		WithAuthor(s.Author, true).
		WithCreator("derbes", false).
		WithCreationDate(s.Created)
	if s.PageNumber != "" {
		b = b.WithPageNumber(mprops.PageNumber{
			Pattern: s.PageNumber, Place: mprops.RightBottom,
			Family: Font, Style: mfontstyle.Normal, Size: FooterSize, Color: Grey,
		})
	}
	m := maroto.New(b.Build())
	// The footer is registered before any row: maroto leaves room for it
	// on each page as the rows are added.
	if err := m.RegisterFooter(s.Footer...); err != nil {
		return nil, fmt.Errorf("footer: %w", err)
	}
	return m, nil
}

func or(v, house float64) float64 {
	if v == 0 {
		return house
	}
	return v
}

// Lang reports whether lang is a language derbes prints documents in:
// "kk", "ru" or "en".
func Lang(lang string) bool {
	return lang == "kk" || lang == "ru" || lang == "en"
}

// Words are the fixed texts of a kind of document, by key, each in Kazakh,
// Russian and English.
type Words map[string]policy.Text

// Wording gives a document's Words in one language. A key it lacks, or a
// word without that language, is an error (kept, the first of them, in
// Err) rather than a wrong or empty text on the page; so are the other
// errors a printer meets along the way (see Fail).
type Wording struct {
	words Words
	lang  string
	what  string
	err   error
}

// NewWording returns the wording of words in lang; what names the document
// in errors ("consent: receipt").
func NewWording(words Words, lang, what string) Wording {
	return Wording{words: words, lang: lang, what: what}
}

// T returns the text of key in the wording's language, or "" (and an
// error in Err) when it has none. There is no falling back to another
// language.
func (w *Wording) T(key string) string {
	s := ""
	if l, ok := w.words[key]; ok {
		switch w.lang {
		case "kk":
			s = l.KK
		case "ru":
			s = l.RU
		case "en":
			s = l.EN
		}
	}
	if s == "" {
		w.Fail(fmt.Errorf("%s text %q has no %s wording", w.what, key, w.lang))
	}
	return s
}

// Lang returns the wording's language.
func (w *Wording) Lang() string { return w.lang }

// Fail records err unless an error is recorded already.
func (w *Wording) Fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Err returns the first error recorded, if any.
func (w *Wording) Err() error { return w.err }

// Zone is the time zone documents are printed in: Astana time, UTC+5 in the
// whole of Kazakhstan since 1 March 2024. A fixed offset does not depend
// on the machine's tzdata (older copies still say UTC+6); times before that
// date print an hour early.
var Zone = time.FixedZone("Asia/Almaty", 5*60*60)

// Date prints the day t falls on in Astana: "02.01.2006".
func Date(t time.Time) string {
	return t.In(Zone).Format("02.01.2006")
}

// DateTime prints t in Astana time to the minute: "02.01.2006 15:04".
func DateTime(t time.Time) string {
	return t.In(Zone).Format("02.01.2006 15:04")
}

// Midnight reports whether t falls at midnight in Astana, so that the day
// alone says it.
func Midnight(t time.Time) bool {
	a := t.In(Zone)
	return a.Hour() == 0 && a.Minute() == 0 && a.Second() == 0
}
