package client

import (
	"errors"
	"strings"
)

// TypePrefix begins the type of every derbes problem; the rest is the code.
const TypePrefix = "urn:derbes:problem:"

// Problem is an error answered by the server: an RFC 9457 problem detail.
// Every answer that is not a success becomes one; an answer that is not
// application/problem+json (a proxy's, say) has Type "about:blank" and an
// empty Code. Use errors.As to get it:
//
//	var p *client.Problem
//	if errors.As(err, &p) && p.Code() == "not-found" { ... }
type Problem struct {
	// Type is "urn:derbes:problem:" and a stable code.
	Type string `json:"type"`
	// Title is the HTTP status text.
	Title string `json:"title"`
	// Status is the HTTP status.
	Status int `json:"status"`
	// Detail says what went wrong, for people. It never holds personal data,
	// and may change: compare Code, not Detail.
	Detail string `json:"detail,omitempty"`
	// Field names the input field at fault, if any.
	Field string `json:"field,omitempty"`
}

// Code is the problem's stable code ("purpose-required"), or "" when the
// type is not a derbes one.
func (p *Problem) Code() string {
	c, ok := strings.CutPrefix(p.Type, TypePrefix)
	if !ok {
		return ""
	}
	return c
}

func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString("derbes: ")
	if c := p.Code(); c != "" {
		b.WriteString(c)
	} else {
		b.WriteString(p.Title)
	}
	if p.Detail != "" {
		b.WriteString(": ")
		b.WriteString(p.Detail)
	}
	if p.Field != "" {
		b.WriteString(" (field ")
		b.WriteString(p.Field)
		b.WriteString(")")
	}
	return b.String()
}

// Code returns the problem code of the *Problem in err's chain, or "".
func Code(err error) string {
	var p *Problem
	if errors.As(err, &p) {
		return p.Code()
	}
	return ""
}
