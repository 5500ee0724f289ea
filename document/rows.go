package document

import (
	mline "github.com/johnfercher/maroto/v2/pkg/components/line"
	mrow "github.com/johnfercher/maroto/v2/pkg/components/row"
	mtext "github.com/johnfercher/maroto/v2/pkg/components/text"
	malign "github.com/johnfercher/maroto/v2/pkg/consts/align"
	mfontstyle "github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	mcore "github.com/johnfercher/maroto/v2/pkg/core"
	mprops "github.com/johnfercher/maroto/v2/pkg/props"
)

// Heading returns the props of a title or heading set size points: bold,
// in the heading colour, its lines LinePad apart. Documents add the
// spacing their place needs.
func Heading(size float64) mprops.Text {
	return mprops.Text{Style: mfontstyle.Bold, Size: size, Color: HeadColor, VerticalPadding: LinePad}
}

// Section returns the rows that open a section: above millimetres of
// space, the heading on a shaded bar across the page, and below
// millimetres of space (none when 0).
func Section(heading string, above, below float64) []mcore.Row {
	p := Heading(SectionSize)
	p.Top, p.Bottom, p.Left, p.Right = 1, 1, 1.5, 1.5
	rows := []mcore.Row{
		mrow.New(above),
		mtext.NewAutoRow(heading, p).WithStyle(&mprops.Cell{BackgroundColor: HeadFill}),
	}
	if below > 0 {
		rows = append(rows, mrow.New(below))
	}
	return rows
}

// Rule returns a row height millimetres high crossed by a grey rule
// thickness millimetres thick, offset per cent of the way down.
func Rule(height, thickness, offset float64) mcore.Row {
	return mline.NewRow(height, mprops.Line{Color: RuleColor, Thickness: thickness, OffsetPercent: offset, SizePercent: 100})
}

// Letterhead returns the rows that head a letter or an act: the operator's
// name, its requisites and contacts in lines (an empty one is left out),
// then a rule across the page.
func Letterhead(name string, lines ...string) []mcore.Row {
	np := Heading(NameSize)
	np.Bottom = 1
	small := mprops.Text{Size: SmallSize, Color: Grey, VerticalPadding: LinePad, Bottom: 0.4}
	rows := []mcore.Row{mtext.NewAutoRow(name, np)}
	for _, l := range lines {
		if l != "" {
			rows = append(rows, mtext.NewAutoRow(l, small))
		}
	}
	return append(rows, Rule(4, 0.4, 50))
}

// Footer returns the rows at the foot of every page: a rule, then text,
// small and grey. With aside, text takes 15 columns and aside, on the
// right, the other 9 (enough for a UUID).
func Footer(text, aside string) []mcore.Row {
	p := mprops.Text{Size: FooterSize, Color: Grey, VerticalPadding: LinePad}
	rule := Rule(2, 0.2, 40)
	if aside == "" {
		return []mcore.Row{rule, mtext.NewAutoRow(text, p)}
	}
	return []mcore.Row{rule, mrow.New().Add(
		mtext.NewCol(15, text, p),
		mtext.NewCol(Grid-15, aside, mprops.Text{Size: FooterSize, Color: Grey, Align: malign.Right}),
	)}
}

// LabelProps returns the props of a label beside its value: small and
// grey, level with the value's first line.
func LabelProps() mprops.Text {
	return mprops.Text{Size: LabelSize, Color: Grey, Top: 0.9, Bottom: 0.5, Right: 2, VerticalPadding: LinePad}
}

// ValueProps returns the props of a value beside its label.
func ValueProps(style mfontstyle.Type, size float64) mprops.Text {
	return mprops.Text{Size: size, Style: style, Top: 0.7, Bottom: 0.5, VerticalPadding: LinePad}
}

// BodyProps returns the props of a paragraph across the page.
func BodyProps(style mfontstyle.Type) mprops.Text {
	return mprops.Text{Size: BodySize, Style: style, Top: 0.8, Bottom: 0.8, Left: 1.5, VerticalPadding: LinePad}
}

// Pairs returns the rows of a label and its value: the label in labelCols
// columns beside the value's first row, the value in the rest, one row for
// each of its texts (its paragraphs, or the pieces of a long one: see
// Lines). A value of no texts, or an empty one, prints as a dash.
func Pairs(labelCols int, label string, value []string, vp mprops.Text) []mcore.Row {
	if len(value) == 0 {
		value = []string{""}
	}
	rows := make([]mcore.Row, len(value))
	for i, v := range value {
		if i > 0 {
			label = ""
		}
		if v == "" {
			v = "—"
		}
		rows[i] = mrow.New().Add(
			mtext.NewCol(labelCols, label, LabelProps()),
			mtext.NewCol(Grid-labelCols, v, vp),
		)
	}
	return rows
}

// Item returns the columns of an entry of a list, cols columns wide: its
// mark (a bullet, a number, or nothing on the rows that carry on an entry)
// in one column, set with mp, then its text, set with tp, which wraps
// under itself.
func Item(cols int, mark, text string, mp, tp mprops.Text) []mcore.Col {
	return []mcore.Col{
		mtext.NewCol(1, mark, mp),
		mtext.NewCol(cols-1, text, tp),
	}
}

// Keep starts a new page of m unless h millimetres are left on this one,
// so that a heading is not left alone at the foot of a page.
func Keep(m mcore.Maroto, h float64) {
	if m.FitlnCurrentPage(h) {
		return
	}
	// Fill what is left of the page (found by halving) with space: the
	// next row then opens a new page.
	lo, hi := 0.0, h
	for range 24 {
		mid := (lo + hi) / 2
		if m.FitlnCurrentPage(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo > 0.01 {
		m.AddRows(mrow.New(lo))
	}
}
