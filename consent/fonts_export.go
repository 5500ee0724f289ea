package consent

import "bytes"

// Fonts returns the DejaVu Sans regular and bold TrueType fonts the receipt
// is set in, for the other documents derbes prints (the answers to
// subjects' requests), so that the binary carries one copy of them. The
// fonts cover the Kazakh letters; their licence is in fonts/LICENSE.
//
// Each call returns fresh copies: gofpdf writes into the font bytes it is
// given, so concurrent renders must not share them.
func Fonts() (regular, bold []byte) {
	return bytes.Clone(dejaVuSans), bytes.Clone(dejaVuSansBold)
}
