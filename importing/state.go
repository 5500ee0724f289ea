package importing

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// StatePath is where an import of file keeps its state: beside the file.
func StatePath(file string) string { return file + ".derbes-import.json" }

// ReportPath is where an import of file writes its report unless told
// otherwise: beside the file.
func ReportPath(file string) string { return file + ".derbes-import-report.csv" }

// Counts are the outcomes of rows so far.
type Counts struct {
	Created    int `json:"created"`
	Merged     int `json:"merged"`
	Duplicates int `json:"duplicates"`
	Failed     int `json:"failed"`
	Empty      int `json:"empty"`
	// Valid counts the rows a dry run found importable (merges included).
	Valid int `json:"valid,omitempty"`
}

func (c *Counts) add(outcome string) {
	switch outcome {
	case Created:
		c.Created++
	case Merged:
		c.Merged++
	case Duplicate:
		c.Duplicates++
	case Failed:
		c.Failed++
	case Empty:
		c.Empty++
	case Valid, Merge:
		c.Valid++
	}
}

// State is what an import writes beside its file so that running the same
// command again continues where it stopped. It holds row numbers, counts
// and codes: never a value.
type State struct {
	Format     int    `json:"derbes_import"`
	Import     string `json:"import"`
	FileSHA256 string `json:"file_sha256"`
	// Settings identifies the mapping and the batch: a resumed import
	// must be the same import.
	Settings string `json:"settings_sha256"`
	Rows     int    `json:"rows"`
	// Committed counts the data rows, from the first, that are done and
	// in the report.
	Committed int `json:"committed"`
	// Done are rows past Committed that are done (rows finish out of
	// order); they are reported once Committed reaches them.
	Done []Done `json:"done,omitempty"`
	// Reserved: rows in [Committed, Reserved) that are not Done may have
	// been stored by a run that stopped without saving this file. The next
	// run looks them up before importing them again (see reconcile).
	Reserved int `json:"reserved"`
	// JournalAfter is a journal position before any of those rows was
	// stored: reconcile reads the journal from there.
	JournalAfter int64 `json:"journal_after"`
	// Report and ReportBytes: the report file and how much of it covers
	// the committed rows.
	Report      string    `json:"report"`
	ReportBytes int64     `json:"report_bytes"`
	Counts      Counts    `json:"counts"`
	Complete    bool      `json:"complete"`
	StartedAt   time.Time `json:"started_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Done is the outcome of a row by its index among the data rows.
type Done struct {
	Row int `json:"row"`
	Issue
}

// LoadState reads a state file; a missing file is (nil, nil).
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w (remove it to start the import afresh)", path, err)
	}
	if s.Format != 1 {
		return nil, fmt.Errorf("%s: not a derbes import state file", path)
	}
	return &s, nil
}

// save writes the state durably: a temporary file, synced, renamed over
// the old one.
func (s *State) save(path string) error {
	s.UpdatedAt = nowUTC()
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// reportHeader is the report's first line.
var reportHeader = []string{"line", "outcome", "code", "field", "subject", "message"}

// report is the CSV report, written in row order.
type report struct {
	f *os.File
	w *csv.Writer
}

// openReport opens the report for an import: a new one, or for a resumed
// import the old one cut back to what the state covers.
func openReport(path string, resume *State) (*report, []string, error) {
	var notes []string
	if resume != nil && resume.Report == path {
		f, err := os.OpenFile(path, os.O_RDWR, 0o600)
		if err == nil {
			st, err := f.Stat()
			if err == nil && st.Size() >= resume.ReportBytes && resume.ReportBytes > 0 {
				if err := f.Truncate(resume.ReportBytes); err != nil {
					f.Close()
					return nil, nil, err
				}
				if _, err := f.Seek(0, io.SeekEnd); err != nil {
					f.Close()
					return nil, nil, err
				}
				return &report{f: f, w: csv.NewWriter(f)}, nil, nil
			}
			f.Close()
		}
		notes = append(notes, "the report of the earlier run is gone: the new report covers only the rows from here on")
	} else if resume != nil {
		notes = append(notes, fmt.Sprintf("the report of the rows done earlier is %s", resume.Report))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, err
	}
	r := &report{f: f, w: csv.NewWriter(f)}
	r.w.Write(reportHeader)
	return r, notes, nil
}

func (r *report) write(is Issue) {
	line := ""
	if is.Line > 0 {
		line = strconv.Itoa(is.Line)
	}
	r.w.Write([]string{line, is.Outcome, is.Code, is.Field, is.Subject, is.Message})
}

// sync flushes the report to disk and returns its size.
func (r *report) sync() (int64, error) {
	r.w.Flush()
	if err := r.w.Error(); err != nil {
		return 0, err
	}
	if err := r.f.Sync(); err != nil {
		return 0, err
	}
	st, err := r.f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (r *report) close() error {
	r.w.Flush()
	err := r.w.Error()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	return err
}
