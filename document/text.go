package document

import "strings"

// Lines splits s into the texts of its rows: one or more for each
// non-blank line of s, with its runs of white space folded to one space,
// its words longer than word characters cut into pieces of that length
// (maroto breaks lines only at spaces, and would run a longer word off the
// page or into the next column), and, when most > 0, at most most
// characters long, broken between words (a row taller than a page would
// run off its bottom).
func Lines(s string, word, most int) []string {
	var out []string
	for _, ln := range strings.Split(s, "\n") {
		var b strings.Builder
		n := 0
		for _, w := range strings.Fields(ln) {
			for _, piece := range cutWord(w, word) {
				k := len([]rune(piece))
				if most > 0 && n > 0 && n+1+k > most {
					out = append(out, b.String())
					b.Reset()
					n = 0
				}
				if n > 0 {
					b.WriteByte(' ')
					n++
				}
				b.WriteString(piece)
				n += k
			}
		}
		if n > 0 {
			out = append(out, b.String())
		}
	}
	return out
}

// cutWord cuts a word longer than n characters into pieces of that length.
func cutWord(w string, n int) []string {
	rs := []rune(w)
	if len(rs) <= n {
		return []string{w}
	}
	var out []string
	for i := 0; i < len(rs); i += n {
		out = append(out, string(rs[i:min(i+n, len(rs))]))
	}
	return out
}

// Cut cuts s to most characters, ending in "…" when cut.
func Cut(s string, most int) string {
	rs := []rune(s)
	if len(rs) <= most {
		return s
	}
	return strings.TrimRight(string(rs[:most-1]), " ") + "…"
}
