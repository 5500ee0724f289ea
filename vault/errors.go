package vault

import (
	"errors"
	"fmt"
)

// Kind classifies a Problem for the API (which maps kinds to HTTP statuses).
type Kind int

// Kinds of problems.
const (
	Invalid  Kind = iota + 1 // the input breaks the policy or the law: 422
	Denied                   // the caller may not do this: 403
	NotFound                 // no such subject or record: 404
	Conflict                 // clashes with what is stored: 409
	Gone                     // destroyed: 410
	Locked                   // blocked: 423
)

// Problem is an error a caller can act on. Code is stable (it becomes the
// API's problem type); Message never contains personal data: it names
// fields, purposes and roles, never values.
type Problem struct {
	Kind    Kind
	Code    string
	Message string
	// Field names the field at fault, if any.
	Field string
}

func (p *Problem) Error() string { return p.Message }

func problem(k Kind, code, field, format string, args ...any) *Problem {
	return &Problem{Kind: k, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// AsProblem returns the Problem in err's chain.
func AsProblem(err error) (*Problem, bool) {
	var p *Problem
	ok := errors.As(err, &p)
	return p, ok
}

var (
	errNotFound = problem(NotFound, "not-found", "", "no such subject or record")
	errGone     = problem(Gone, "destroyed", "", "the data was destroyed")
)
