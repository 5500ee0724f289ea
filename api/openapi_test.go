package api_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/api"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/vault"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openapiDoc is the parts of the document the tests look at.
type openapiDoc struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title, Version, Description string
	} `json:"info"`
	Paths      map[string]map[string]operation `json:"paths"`
	Components struct {
		Parameters      map[string]parameter       `json:"parameters"`
		Schemas         map[string]json.RawMessage `json:"schemas"`
		SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
	} `json:"components"`
}

type operation struct {
	OperationID string                     `json:"operationId"`
	Summary     string                     `json:"summary"`
	Description string                     `json:"description"`
	Parameters  []parameter                `json:"parameters"`
	RequestBody json.RawMessage            `json:"requestBody"`
	Responses   map[string]json.RawMessage `json:"responses"`
	Security    *[]map[string][]string     `json:"security"`
}

type parameter struct {
	Ref      string          `json:"$ref"`
	Name     string          `json:"name"`
	In       string          `json:"in"`
	Required bool            `json:"required"`
	Schema   json.RawMessage `json:"schema"`
}

func loadDoc(t *testing.T) openapiDoc {
	t.Helper()
	var doc openapiDoc
	dec := json.NewDecoder(bytes.NewReader(api.OpenAPI))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return doc
}

func (d openapiDoc) param(t *testing.T, p parameter) parameter {
	t.Helper()
	if p.Ref == "" {
		return p
	}
	name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/")
	if !ok {
		t.Fatalf("parameter $ref %q is not to #/components/parameters/", p.Ref)
	}
	q, ok := d.Components.Parameters[name]
	if !ok {
		t.Fatalf("parameter $ref %q names no parameter", p.Ref)
	}
	return q
}

func TestOpenAPIDocument(t *testing.T) {
	doc := loadDoc(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if doc.Info.Title == "" || doc.Info.Version == "" || doc.Info.Description == "" {
		t.Errorf("info needs title, version and description: %+v", doc.Info)
	}
	if _, ok := doc.Components.SecuritySchemes["apiKey"]; !ok {
		t.Error("no apiKey security scheme")
	}

	// The /docs page decodes path items as maps of operations: anything
	// else at path level (parameters, summary, $ref) would break it.
	var page struct {
		Paths map[string]map[string]struct{ Summary, Description string }
	}
	if err := json.Unmarshal(api.OpenAPI, &page); err != nil {
		t.Fatalf("the /docs page cannot read openapi.json: %v", err)
	}

	ids := map[string]string{}
	for path, item := range doc.Paths {
		for method, op := range item {
			where := strings.ToUpper(method) + " " + path
			if !slices.Contains(httpMethods, method) {
				t.Errorf("%s: %q is not an HTTP method (path-level keys break /docs)", path, method)
				continue
			}
			if op.Summary == "" || op.Description == "" {
				t.Errorf("%s: needs a summary and a description", where)
			}
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", where)
			} else if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %q also used by %s", where, op.OperationID, other)
			}
			ids[op.OperationID] = where
			if len(op.Responses) == 0 {
				t.Errorf("%s: no responses", where)
			}
			for status, raw := range op.Responses {
				var r struct {
					Content map[string]struct {
						Schema struct {
							Ref string `json:"$ref"`
						} `json:"schema"`
					} `json:"content"`
				}
				if err := json.Unmarshal(raw, &r); err != nil {
					t.Fatalf("%s %s: %v", where, status, err)
				}
				if status >= "400" {
					if c, ok := r.Content["application/problem+json"]; !ok || c.Schema.Ref != "#/components/schemas/Problem" {
						t.Errorf("%s %s: not an application/problem+json Problem", where, status)
					}
				}
			}
			// Every {param} of the path is described as a required path
			// parameter; a UUID when it is an id.
			for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
				found := false
				for _, p := range op.Parameters {
					p = doc.param(t, p)
					if p.In == "path" && p.Name == m[1] {
						found = true
						if !p.Required {
							t.Errorf("%s: path parameter %s not required", where, m[1])
						}
						if m[1] == "id" && !strings.Contains(string(p.Schema), `"uuid"`) {
							t.Errorf("%s: path parameter id is not a uuid", where)
						}
					}
				}
				if !found {
					t.Errorf("%s: path parameter %s not described", where, m[1])
				}
			}
			public := op.Security != nil && len(*op.Security) == 0
			_, has401 := op.Responses["401"]
			if !public && !has401 {
				t.Errorf("%s: needs an API key but documents no 401", where)
			}
		}
	}
}

// registeredRoutes parses routes.go: every "METHOD /path" pattern.
func registeredRoutes(t *testing.T) map[string]bool {
	t.Helper()
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`s\.mux\.HandleFunc\("([A-Z]+) ([^" ]+)"`)
	routes := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		path := strings.TrimSuffix(m[2], "{$}")
		// {name...} wildcards are {name} in OpenAPI.
		path = regexp.MustCompile(`\{([^}.]+)\.\.\.\}`).ReplaceAllString(path, "{$1}")
		routes[strings.ToLower(m[1])+" "+path] = true
	}
	if len(routes) < 10 {
		t.Fatalf("found only %d routes in routes.go; has its form changed?", len(routes))
	}
	return routes
}

func TestOpenAPICoversRoutes(t *testing.T) {
	doc := loadDoc(t)
	routes := registeredRoutes(t)
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			documented[method+" "+path] = true
		}
	}
	for _, r := range slices.Sorted(maps.Keys(routes)) {
		if !documented[r] {
			t.Errorf("route %q is registered in routes.go but not in openapi.json", r)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(documented)) {
		if !routes[r] {
			t.Errorf("openapi.json documents %q, which routes.go does not register", r)
		}
	}
}

// problemCodes returns every problem code the vault and api packages can
// answer with, found in their sources.
func problemCodes(t *testing.T) map[string]bool {
	t.Helper()
	res := []*regexp.Regexp{
		regexp.MustCompile(`\bproblem\(\s*\w+,\s*"([a-z0-9-]+)"`),
		regexp.MustCompile(`\bbad\(\s*"([a-z0-9-]+)"`),
		regexp.MustCompile(`\bbadRequest\(\s*"([a-z0-9-]+)"`),
		regexp.MustCompile(`\bwriteProblem\([^,]+,[^,]+,\s*"([a-z0-9-]+)"`),
		regexp.MustCompile(`\bhttpError\{[^,]+,\s*"([a-z0-9-]+)"`),
	}
	codes := map[string]bool{}
	for _, dir := range []string{"../vault", "."} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range res {
				for _, m := range re.FindAllStringSubmatch(string(src), -1) {
					codes[m[1]] = true
				}
			}
		}
	}
	for _, c := range []string{"not-found", "destroyed", "purpose-required", "unauthenticated", "malformed-json"} {
		if !codes[c] {
			t.Fatalf("problem code %q not found in the sources; have the calls changed form?", c)
		}
	}
	return codes
}

func TestProblemCodesDocumented(t *testing.T) {
	codes := problemCodes(t)
	md, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range slices.Sorted(maps.Keys(codes)) {
		if !bytes.Contains(md, []byte("`"+c+"`")) {
			t.Errorf("problem code %q is not in docs/api.md", c)
		}
	}
	// And the table lists no code that no longer exists.
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|")
	rows := row.FindAllSubmatch(md, -1)
	if len(rows) == 0 {
		t.Fatal("docs/api.md has no table of problem codes (rows starting | `code` |)")
	}
	for _, m := range rows {
		if !codes[string(m[1])] {
			t.Errorf("docs/api.md lists problem code %q, which the sources do not use", m[1])
		}
	}
	// The OpenAPI document names each code on the operations that answer
	// it; no-such-route and method-not-allowed belong to no operation.
	for _, c := range slices.Sorted(maps.Keys(codes)) {
		if c != "no-such-route" && c != "method-not-allowed" && !bytes.Contains(api.OpenAPI, []byte(c)) {
			t.Errorf("problem code %q appears nowhere in openapi.json", c)
		}
	}
}

// compileSchemas compiles every schema of components.schemas.
func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	const base = "https://derbes.invalid/openapi.json"
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(api.OpenAPI))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(base, raw); err != nil {
		t.Fatal(err)
	}
	doc := loadDoc(t)
	out := map[string]*jsonschema.Schema{}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		s, err := c.Compile(base + "#/components/schemas/" + name)
		if err != nil {
			t.Errorf("schema %s does not compile: %v", name, err)
			continue
		}
		out[name] = s
	}
	return out
}

func validate(t *testing.T, s *jsonschema.Schema, v any) error {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

func TestOpenAPISchemas(t *testing.T) {
	schemas := compileSchemas(t)
	if t.Failed() {
		return
	}
	// Each schema's own examples pass it.
	doc := loadDoc(t)
	for name, raw := range doc.Components.Schemas {
		var s struct{ Examples []any }
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		for i, ex := range s.Examples {
			if err := validate(t, schemas[name], ex); err != nil {
				t.Errorf("schema %s: example %d does not validate: %v", name, i, err)
			}
		}
	}

	// Request bodies: what the API takes passes, unknown members do not.
	rec := api.RecordIn{Purpose: "appeals", Channel: "call-109", Fields: map[string]string{"full_name": "A B"}}
	good := map[string]any{
		"SubjectIn": api.SubjectIn{Category: "applicant", Purpose: "appeals", Identifiers: map[string]string{"iin": "900101300126"}, Record: &rec},
		"RecordIn":  rec,
		"UpdateIn":  map[string]any{"fields": map[string]any{"phone": "+77071234567", "address": nil}},
		"DestroyIn": api.DestroyIn{Reason: "subject-request", Purpose: "appeals"},
	}
	for name, v := range good {
		if err := validate(t, schemas[name], v); err != nil {
			t.Errorf("%s: a valid body is refused: %v", name, err)
		}
		var m map[string]any
		b, _ := json.Marshal(v)
		json.Unmarshal(b, &m)
		m["surprise"] = true
		if err := validate(t, schemas[name], m); err == nil {
			t.Errorf("%s: a body with an unknown member passes; the API rejects it", name)
		}
	}
	if err := validate(t, schemas["SubjectIn"], map[string]any{"category": "a", "purpose": "b", "identifiers": map[string]string{"passport": "x"}}); err == nil {
		t.Error("SubjectIn: an identifier other than iin, phone, email passes")
	}

	// Responses: what the server sends passes its schema.
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	id1, id2 := "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c4d", "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c4e"
	record := &vault.Record{ID: id2, Subject: id1, Purpose: "appeals", Channel: "call-109", Ground: "consent", State: "active",
		Fields: map[string]string{"full_name": "A B"}, Withheld: []string{"iin"}, PolicyVersion: 1, CreatedAt: now, UpdatedAt: now}
	responses := map[string]any{
		"Created":     api.Created{Subject: id1, Record: id2},
		"Found":       api.Found{Subjects: []string{id1}},
		"Subject":     &vault.Subject{ID: id1, Category: "applicant", State: "active", Identifiers: map[string]string{"iin": "900101300126"}, CreatedAt: now, Records: []vault.RecordRef{{ID: id2, Purpose: "appeals", State: "active"}}},
		"Record":      record,
		"Records":     api.Records{Records: []*vault.Record{record}},
		"JournalPage": api.JournalPage{Entries: []any{&journal.Entry{Seq: 1, At: now, Actor: "apikey:0f3a9c1d2e4b", Action: journal.RecordRead, Purpose: "appeals", Subject: id1, Record: id2, Outcome: journal.OK, Detail: `{"role":"x"}`, Hash: make([]byte, 32)}}, Next: 1},
		"PolicyOut":   map[string]any{"version": 1, "sha256": strings.Repeat("ab", 32), "policy": map[string]any{"derbes": 1}},
		"Problem":     api.Problem{Type: api.ProblemType("not-found"), Title: "Not Found", Status: 404, Detail: "no such subject or record"},
	}
	destroyed := now.Add(time.Hour)
	responses["Subject (destroyed)"] = &vault.Subject{ID: id1, Category: "applicant", State: "destroyed", CreatedAt: now, DestroyedAt: &destroyed}
	for name, v := range responses {
		s := schemas[strings.Fields(name)[0]]
		if err := validate(t, s, v); err != nil {
			t.Errorf("%s: the server's answer does not match the schema: %v", name, err)
		}
	}
}

// TestOpenAPISchemasMatchTypes checks that each schema names exactly the
// JSON members of the Go type it describes, so that a field added to a type
// is documented.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := loadDoc(t)
	types := map[string]any{
		"SubjectIn":   api.SubjectIn{},
		"RecordIn":    api.RecordIn{},
		"UpdateIn":    api.UpdateIn{},
		"DestroyIn":   api.DestroyIn{},
		"Created":     api.Created{},
		"Found":       api.Found{},
		"Subject":     vault.Subject{},
		"RecordRef":   vault.RecordRef{},
		"Record":      vault.Record{},
		"Records":     api.Records{},
		"JournalPage": api.JournalPage{},
		"Entry":       journal.Entry{},
		"PolicyOut":   api.PolicyOut{},
		"Problem":     api.Problem{},
	}
	for name, v := range types {
		var s struct{ Properties map[string]any }
		if err := json.Unmarshal(doc.Components.Schemas[name], &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := slices.Sorted(maps.Keys(s.Properties))
		want := jsonNames(reflect.TypeOf(v))
		if !slices.Equal(got, want) {
			t.Errorf("schema %s has members %v; the Go type has %v", name, got, want)
		}
	}
}

func jsonNames(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
