package policy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Schema is the JSON Schema of the policy file format, version 1.
//
//go:embed schema.json
var Schema []byte

// MaxFileSize bounds a policy file; real policies are a few tens of KiB.
const MaxFileSize = 4 << 20

// Problem is one mistake in a policy file, at a line and column.
type Problem struct {
	File    string
	Line    int
	Col     int
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Message)
}

// Problems are the mistakes found in a policy file, in file order. A policy
// with any Problems is never loaded.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// LoadFile reads and validates the policy file at path.
func LoadFile(path string) (*Policy, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileSize+1)); err != nil {
		return nil, nil, fmt.Errorf("policy: reading %s: %w", path, err)
	}
	if buf.Len() > MaxFileSize {
		return nil, nil, Problems{{path, 1, 1, fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}}
	}
	p, err := Parse(path, buf.Bytes())
	return p, buf.Bytes(), err
}

var compiled = func() *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		panic("policy: schema.json: " + err.Error())
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("policy-v1.json", doc); err != nil {
		panic("policy: schema.json: " + err.Error())
	}
	return c.MustCompile("policy-v1.json")
}()

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse validates src (named name in messages) against the schema and the
// rules of the law and returns the policy, or the Problems found.
func Parse(name string, src []byte) (*Policy, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, yamlProblems(name, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, Problems{{name, 1, 1, "the file is empty"}}
	}
	doc := root.Content[0]
	if len(root.Content) > 1 {
		return nil, Problems{{name, root.Content[1].Line, root.Content[1].Column, "only one YAML document is allowed"}}
	}
	inst, err := toJSON(doc)
	if err != nil {
		return nil, Problems{{name, doc.Line, doc.Column, err.Error()}}
	}
	idx := index(doc)
	if err := compiled.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, Problems{{name, 1, 1, err.Error()}}
		}
		return nil, schemaProblems(name, idx, ve)
	}
	var p Policy
	if err := doc.Decode(&p); err != nil {
		return nil, yamlProblems(name, err)
	}
	if ps := validate(&p, name, idx); len(ps) > 0 {
		return nil, ps
	}
	return &p, nil
}

func yamlProblems(name string, err error) Problems {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var ps Problems
		for _, e := range te.Errors {
			ps = append(ps, lineProblem(name, e))
		}
		return ps
	}
	return Problems{lineProblem(name, err.Error())}
}

func lineProblem(name, msg string) Problem {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLine.FindStringSubmatch("yaml: " + msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{name, n, 1, m[2]}
	}
	if strings.HasPrefix(msg, "line ") {
		var n int
		if _, err := fmt.Sscanf(msg, "line %d:", &n); err == nil {
			return Problem{name, n, 1, strings.TrimSpace(msg[strings.IndexByte(msg, ':')+1:])}
		}
	}
	return Problem{name, 1, 1, msg}
}

// toJSON converts a YAML node to the value encoding/json would produce, so
// the JSON Schema sees what a JSON policy would be. Timestamps and other
// YAML-only scalars stay strings.
func toJSON(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return toJSON(n.Content[0])
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: aliases are not allowed in a policy", n.Line)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice", k.Line, k.Value)
			}
			v, err := toJSON(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		a := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := toJSON(c)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, err
			}
			return b, nil
		case "!!int", "!!float":
			return json.Number(strings.ReplaceAll(n.Value, "_", "")), nil
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

// position is where a value (or, for a missing key, its parent) starts.
type position struct{ line, col int }

// index maps JSON pointers ("/purposes/0/grounds/1") to positions in the
// file; a key's own position is stored under pointer + "#key".
func index(doc *yaml.Node) map[string]position {
	idx := map[string]position{}
	var walk func(n *yaml.Node, ptr string)
	walk = func(n *yaml.Node, ptr string) {
		idx[ptr] = position{n.Line, n.Column}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				p := ptr + "/" + escapePointer(k.Value)
				idx[p+"#key"] = position{k.Line, k.Column}
				walk(n.Content[i+1], p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, ptr+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "")
	return idx
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// locate returns the position of ptr, or of its nearest ancestor.
func locate(idx map[string]position, ptr string) position {
	for {
		if p, ok := idx[ptr]; ok {
			return p
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return position{1, 1}
		}
		ptr = ptr[:i]
	}
}

var printer = message.NewPrinter(language.English)

func schemaProblems(name string, idx map[string]position, ve *jsonschema.ValidationError) Problems {
	var ps Problems
	var leaves func(e *jsonschema.ValidationError)
	leaves = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			ptr := ""
			for _, t := range e.InstanceLocation {
				ptr += "/" + escapePointer(t)
			}
			msg := e.ErrorKind.LocalizedString(printer)
			pos := locate(idx, ptr)
			// An unknown key is reported at the key itself.
			if strings.HasPrefix(msg, "additional properties") {
				for _, k := range quoted(msg) {
					if kp, ok := idx[ptr+"/"+escapePointer(k)+"#key"]; ok {
						ps = append(ps, Problem{name, kp.line, kp.col, fmt.Sprintf("%s: unknown key %q", where(ptr), k)})
					}
				}
				return
			}
			ps = append(ps, Problem{name, pos.line, pos.col, where(ptr) + ": " + msg})
			return
		}
		for _, c := range e.Causes {
			leaves(c)
		}
	}
	leaves(ve)
	sortProblems(ps)
	return ps
}

// quoted returns the strings in single quotes in msg.
func quoted(msg string) []string {
	var out []string
	for {
		i := strings.IndexByte(msg, '\'')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(msg[i+1:], '\'')
		if j < 0 {
			return out
		}
		out = append(out, msg[i+1:i+1+j])
		msg = msg[i+j+2:]
	}
}

// where turns a JSON pointer into the dotted path a person reads:
// "/purposes/0/grounds" → "purposes[0].grounds".
func where(ptr string) string {
	if ptr == "" {
		return "policy"
	}
	var b strings.Builder
	for _, t := range strings.Split(ptr[1:], "/") {
		if _, err := strconv.Atoi(t); err == nil {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~"))
	}
	return b.String()
}

func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Col < ps[j].Col
	})
}
