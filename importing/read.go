package importing

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// Encodings of CSV files.
const (
	UTF8        = "utf-8"
	UTF8BOM     = "utf-8-bom" // detected only: UTF-8 behind a byte-order mark
	Windows1251 = "windows-1251"
	XLSX        = "xlsx" // not an encoding: the table came from a workbook
)

// Table is a spreadsheet read into memory: its header and its data rows,
// each with the line (CSV) or row number (XLSX) an operator finds it at.
type Table struct {
	Header     []string
	HeaderLine int
	Rows       []Row
	// Encoding is the one the CSV was read in, or XLSX.
	Encoding string
	// SHA256 is the hash of the file's bytes: a resumed import checks that
	// the file is the one it began with.
	SHA256 string
}

// Row is one data row.
type Row struct {
	Line  int
	Cells []string
}

// ReadOptions say how to read a file; the zero value detects everything.
type ReadOptions struct {
	// Encoding forces a CSV encoding: utf-8 or windows-1251 (cp1251).
	// Empty detects it: a BOM means UTF-8, valid UTF-8 is UTF-8, anything
	// else is Windows-1251.
	Encoding string
	// Comma is the CSV delimiter; 0 picks the one of ';', ',' and tab
	// that the header line uses most (Excel in Kazakh and Russian locales
	// writes ';').
	Comma rune
	// Sheet is the XLSX sheet to read; empty reads the first.
	Sheet string
}

// ReadFile reads a CSV or XLSX file (told apart by their content).
func ReadFile(path string, o ReadOptions) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return ReadXLSX(data, o.Sheet)
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, errors.New("an .xls workbook (Excel 97-2003) cannot be read: save it as .xlsx or as CSV")
	case strings.EqualFold(filepath.Ext(path), ".xlsx"):
		return nil, errors.New("the file is named .xlsx but is not a workbook")
	}
	return ReadCSV(data, o)
}

// DetectEncoding says which encoding a CSV file is in: UTF8BOM, UTF8 or
// Windows1251. UTF-16 files (Excel's "Unicode text") are refused.
func DetectEncoding(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return UTF8BOM, nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return "", errors.New("the file is UTF-16 (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" instead")
	case utf8.Valid(data):
		return UTF8, nil
	}
	return Windows1251, nil
}

// Decode returns data as UTF-8 text in the given (or detected, if enc is
// empty) encoding, and the encoding used.
func Decode(data []byte, enc string) (string, string, error) {
	switch strings.ToLower(enc) {
	case "":
		d, err := DetectEncoding(data)
		if err != nil {
			return "", "", err
		}
		return Decode(data, d)
	case UTF8, "utf8", UTF8BOM:
		used := UTF8
		if b, ok := bytes.CutPrefix(data, []byte{0xEF, 0xBB, 0xBF}); ok {
			data, used = b, UTF8BOM
		}
		if !utf8.Valid(data) {
			line := 1 + bytes.Count(data[:validPrefix(data)], []byte{'\n'})
			return "", "", fmt.Errorf("line %d is not valid UTF-8: is the file in Windows-1251 (--encoding windows-1251)?", line)
		}
		return string(data), used, nil
	case Windows1251, "cp1251", "windows1251":
		b, err := charmap.Windows1251.NewDecoder().Bytes(data)
		if err != nil {
			return "", "", fmt.Errorf("decoding Windows-1251: %w", err)
		}
		return string(b), Windows1251, nil
	}
	return "", "", fmt.Errorf("unknown encoding %q: use utf-8 or windows-1251", enc)
}

func validPrefix(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// ReadCSV reads a CSV file's bytes. Parse errors (an unclosed quote...)
// stop the reading with their line: nothing of a malformed file is
// imported.
func ReadCSV(data []byte, o ReadOptions) (*Table, error) {
	text, enc, err := Decode(data, o.Encoding)
	if err != nil {
		return nil, err
	}
	comma := o.Comma
	if comma == 0 {
		comma = detectComma(text)
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	t := &Table{Encoding: enc, SHA256: sum(data)}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// The ParseError's text names only a line and column.
				return nil, fmt.Errorf("line %d: malformed CSV (%v at line %d, column %d); nothing was imported", pe.StartLine, pe.Err, pe.Line, pe.Column)
			}
			return nil, err
		}
		line, _ := r.FieldPos(0)
		if t.Header == nil {
			t.Header, t.HeaderLine = rec, line
			continue
		}
		t.Rows = append(t.Rows, Row{Line: line, Cells: rec})
	}
	if t.Header == nil {
		return nil, errors.New("the file is empty")
	}
	return t, nil
}

// detectComma picks the delimiter the first line uses most, outside quotes.
func detectComma(text string) rune {
	counts := map[rune]int{}
	quoted := false
	for _, c := range text {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' {
			break
		}
		if c == ';' || c == ',' || c == '\t' {
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// ReadXLSX reads a workbook's sheet (the first if sheet is empty). Cells
// are read as Excel shows them, except that numbers in the General format
// keep all their digits (an IIN is not 9.50312E+11).
func ReadXLSX(data []byte, sheet string) (*Table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading the workbook: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("the workbook has no sheets")
	}
	if sheet == "" {
		sheet = sheets[0]
	} else if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		return nil, fmt.Errorf("the workbook has no sheet %q (it has: %s)", sheet, strings.Join(sheets, ", "))
	}
	shown, err := f.GetRows(sheet)
	if err != nil {
		return nil, fmt.Errorf("reading sheet %q: %w", sheet, err)
	}
	raw, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Errorf("reading sheet %q: %w", sheet, err)
	}
	t := &Table{Encoding: XLSX, SHA256: sum(data)}
	d := dates{f: f, sheet: sheet, isDate: map[int]bool{}}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		d.date1904 = *props.Date1904
	}
	for i, cells := range shown {
		n := i + 1 // GetRows keeps empty rows, so index i is row i+1
		for j := range cells {
			if i < len(raw) && j < len(raw[i]) && raw[i][j] != cells[j] {
				cells[j] = d.value(j+1, n, cells[j], raw[i][j])
			}
		}
		if t.Header == nil {
			if blank(cells) {
				continue // rows above the header
			}
			t.Header, t.HeaderLine = cells, n
			continue
		}
		t.Rows = append(t.Rows, Row{Line: n, Cells: cells})
	}
	if t.Header == nil {
		return nil, fmt.Errorf("sheet %q is empty", sheet)
	}
	return t, nil
}

// dates reads the cells whose number format is a date.
type dates struct {
	f        *excelize.File
	sheet    string
	date1904 bool
	isDate   map[int]bool // by style
}

// value is what a numeric cell, shown differently from its raw value,
// imports as: a date-formatted cell as YYYY-MM-DD (the policy's date
// format; with the time when it has one), a long number Excel shows in
// scientific notation written out in full, anything else as shown.
func (d *dates) value(col, row int, shown, raw string) string {
	x, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return shown
	}
	if cell, err := excelize.CoordinatesToCellName(col, row); err == nil && d.date(cell) {
		if tm, err := excelize.ExcelDateToTime(x, d.date1904); err == nil {
			if x == math.Trunc(x) {
				return tm.Format(time.DateOnly)
			}
			return tm.Format(time.DateTime)
		}
	}
	if strings.ContainsAny(shown, "Ee") && x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatInt(int64(x), 10)
	}
	return shown
}

// date reports whether cell's number format shows a date.
func (d *dates) date(cell string) bool {
	idx, err := d.f.GetCellStyle(d.sheet, cell)
	if err != nil {
		return false
	}
	is, ok := d.isDate[idx]
	if !ok {
		if st, err := d.f.GetStyle(idx); err == nil {
			is = dateFormat(st.NumFmt, st.CustomNumFmt)
		}
		d.isDate[idx] = is
	}
	return is
}

// dateFormat reports whether a number format (built-in id or custom
// code) shows a date.
func dateFormat(id int, custom *string) bool {
	if custom != nil {
		code := *custom
		// Drop quoted text, escapes and colours ([Red]), keep [h] and the like.
		var b strings.Builder
		quoted := false
		for i := 0; i < len(code); i++ {
			c := code[i]
			switch {
			case c == '"':
				quoted = !quoted
			case quoted:
			case c == '\\' || c == '_' || c == '*':
				i++
			case c == '[':
				if j := strings.IndexByte(code[i:], ']'); j > 0 {
					i += j
				}
			default:
				b.WriteByte(c)
			}
		}
		k := strings.ToLower(b.String())
		return strings.ContainsAny(k, "dy") || (strings.Contains(k, "m") && !strings.ContainsAny(k, "hs0#"))
	}
	return id >= 14 && id <= 17 || id == 22 || id >= 27 && id <= 36 || id >= 50 && id <= 58
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}
