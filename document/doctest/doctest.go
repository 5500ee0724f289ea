// Package doctest reads printed documents back for tests: their text as
// pdftotext lays it out, and their number of pages, with the poppler tools
// (apt-get install -y poppler-utils).
package doctest

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// Text returns the text of pdf as `pdftotext -layout` reads it, pages
// separated by form feeds. Without pdftotext the test is skipped, or fails
// under CI (CI set), which installs it.
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is not on PATH: install poppler-utils (apt-get install -y poppler-utils); CI must run the PDF text checks")
		}
		t.Skip("pdftotext is not on PATH: install poppler-utils to check the PDF's text")
	}
	path := write(t, pdf)
	out, err := exec.CommandContext(t.Context(), bin, "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out)
}

var pdfinfoPages = regexp.MustCompile(`(?m)^Pages:\s+(\d+)\s*$`)

// Pages returns the number of pages pdfinfo finds in pdf, or -1 without
// pdfinfo.
func Pages(t testing.TB, pdf []byte) int {
	t.Helper()
	bin, err := exec.LookPath("pdfinfo")
	if err != nil {
		t.Log("pdfinfo is not on PATH: page count not checked")
		return -1
	}
	path := write(t, pdf)
	out, err := exec.CommandContext(t.Context(), bin, path).Output()
	if err != nil {
		t.Fatalf("pdfinfo %s: %v", path, err)
	}
	m := pdfinfoPages.FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo %s gave no page count:\n%s", path, out)
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Concurrently renders n documents at once, render(i) making the ith, and
// returns them in that order. It fails the test on the first error.
// gofpdf writes into the font bytes it is given: under -race this catches
// renders that share them.
func Concurrently(t testing.TB, n int, render func(i int) ([]byte, error)) [][]byte {
	t.Helper()
	type result struct {
		pdf []byte
		err error
	}
	results := make([]chan result, n)
	for i := range n {
		results[i] = make(chan result, 1)
		go func() {
			pdf, err := render(i)
			results[i] <- result{pdf, err}
		}()
	}
	pdfs := make([][]byte, n)
	for i, c := range results {
		r := <-c
		if r.err != nil {
			t.Fatal(r.err)
		}
		pdfs[i] = r.pdf
	}
	return pdfs
}

// write writes pdf to a file of the test's temporary directory.
func write(t testing.TB, pdf []byte) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "*.pdf")
	if err != nil {
		t.Fatal(err)
	}
	path := f.Name()
	if _, err := f.Write(pdf); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
