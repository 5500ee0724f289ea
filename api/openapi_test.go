package api_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/access"
	"github.com/derbes/derbes/api"
	"github.com/derbes/derbes/client"
	"github.com/derbes/derbes/consent"
	"github.com/derbes/derbes/journal"
	"github.com/derbes/derbes/policy"
	"github.com/derbes/derbes/request"
	"github.com/derbes/derbes/store/storetest"
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
		// consent.Check's refusals, which the vault answers as 422 problems
		// with their own code.
		regexp.MustCompile(`\binvalid\(\s*"([a-z0-9-]+)"`),
		// Codes chosen before the call: code, msg := "a", "…"; code = "b".
		regexp.MustCompile(`\bcode(?:, \w+)* :?= "([a-z0-9-]+)"`),
	}
	codes := map[string]bool{}
	for _, dir := range []string{"../vault", ".", "../consent"} {
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
	for _, c := range []string{"not-found", "destroyed", "purpose-required", "unauthenticated", "malformed-json", "evidence-required", "ground-withdrawn",
		"grant-invalid", "consent-does-not-allow", "cross-border-not-allowed", "request-not-in-progress"} {
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
	given := consent.Request{SubjectName: "A B", Representative: &consent.Representative{FullName: "C D", Authority: "power of attorney 12"},
		Purposes: []string{"appeals"}, Fields: []string{"full_name"}, Until: "2027-12-31", ThirdParty: true, AccountBound: true,
		OtherConditions: "none", Form: consent.Form{Kind: consent.FormWebsite, Page: "https://example.kz/appeal", ClientIP: "192.0.2.1"}}
	named := rec
	named.Consent = "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c4f"
	good := map[string]any{
		"SubjectIn":        api.SubjectIn{Category: "applicant", Purpose: "appeals", Identifiers: map[string]string{"iin": "900101300126"}, Consent: &given, Record: &rec},
		"RecordIn":         named,
		"UpdateIn":         map[string]any{"fields": map[string]any{"phone": "+77071234567", "address": nil}},
		"DestroyIn":        api.DestroyIn{Reason: "subject-request", Purpose: "appeals"},
		"ConsentIn":        given,
		"WithdrawIn":       api.WithdrawIn{Purpose: "appeals", Reason: "subject-request"},
		"AccountDeletedIn": api.AccountDeletedIn{Purpose: "appeals"},
	}
	rid := "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c50"
	oldName, asked := "A Б", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	good["RequestIn"] = api.RequestIn{Kind: "correction", Channel: "letter", Lang: "ru", Subject: rid, Content: request.Content{
		Requester: request.Requester{FullName: "A B", Representative: &request.Representative{FullName: "C D", Authority: "power of attorney 12"}},
		Identity: request.Identity{FullName: "A B", IIN: "900101300126", IDDocument: &request.IDDocument{Number: "045123456", Issued: "2019-05-14", Issuer: "МВД РК"},
			Relationship: "appeal 2026/17", Signature: true},
		Text: "my name is misspelt", Record: rid, Corrections: map[string]string{"full_name": "A B"}, Consent: rid}}
	good["VerifyIn"] = api.VerifyIn{Subject: rid, Checked: []string{"full_name", "id_document", "signature"}, ConfirmedAt: &asked, Await: true}
	good["AssignIn"] = api.AssignIn{Assignee: "dpo_office-2"}
	good["FulfilIn"] = api.FulfilIn{Partly: true, IncludeValues: true, Done: "corrected", Record: rid, Corrections: map[string]*string{"full_name": &oldName, "phone": nil}, Consent: rid}
	good["RefuseIn"] = api.RefuseIn{Reason: "no-data", Explanation: "nothing is held about you"}
	good["TransferIn"] = api.TransferIn{Subject: rid, Recipient: "akimat", Purpose: "appeals", Records: []string{rid}, Fields: []string{"full_name", "iin"},
		Ground: "law-enforcement", Reference: "request 12/345 of 2026-03-01", Grant: "1h30m"}
	good["LoginIn"] = api.LoginIn{Login: "a.serikova", Password: "correct horse battery", TOTP: "492039"}
	good["IncidentIn"] = api.IncidentIn{Description: "a laptop with an export was stolen", Subjects: []string{rid}}
	good["IncidentChangeIn"] = api.IncidentChangeIn{Classification: "confirmed", Status: "closed", Measure: "passwords changed", Subjects: []string{rid}, NoticeSent: true}
	good["RestoreIn"] = api.RestoreIn{Purpose: "appeals", Version: 2}
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
	// What the request and transfer handlers refuse, the schemas refuse.
	for name, v := range map[string]any{
		"RequestIn (verified at intake)":  api.RequestIn{Kind: "information", Channel: "letter", Content: request.Content{Requester: request.Requester{FullName: "A"}, Verified: []string{"signature"}}},
		"RequestIn (unknown kind)":        api.RequestIn{Kind: "complaint", Channel: "letter", Content: request.Content{Requester: request.Requester{FullName: "A"}}},
		"RequestIn (channel not a code)":  api.RequestIn{Kind: "information", Channel: "By Letter", Content: request.Content{Requester: request.Requester{FullName: "A"}}},
		"RequestIn (no requester)":        map[string]any{"kind": "information", "channel": "letter"},
		"VerifyIn (not a requisite)":      api.VerifyIn{Checked: []string{"passport"}},
		"RefuseIn (not a reason)":         api.RefuseIn{Reason: "busy", Explanation: "x"},
		"RefuseIn (no explanation)":       map[string]any{"reason": "no-data"},
		"AssignIn (not an id)":            api.AssignIn{Assignee: "Ivan Petrov"},
		"TransferIn (grant not a time)":   api.TransferIn{Subject: rid, Recipient: "akimat", Fields: []string{"full_name"}, Grant: "3 days"},
		"TransferIn (no fields)":          api.TransferIn{Subject: rid, Recipient: "akimat"},
		"LoginIn (no password)":           map[string]any{"login": "a.serikova"},
		"IncidentIn (no description)":     map[string]any{"subjects": []string{rid}},
		"IncidentIn (subject not an id)":  api.IncidentIn{Description: "x", Subjects: []string{"Айгерим"}},
		"IncidentChangeIn (not a class)":  api.IncidentChangeIn{Classification: "breach"},
		"IncidentChangeIn (not a status)": api.IncidentChangeIn{Status: "done"},
		"RestoreIn (no version)":          map[string]any{"purpose": "appeals"},
		"RestoreIn (version 0)":           api.RestoreIn{Version: 0},
	} {
		if err := validate(t, schemas[strings.Fields(name)[0]], v); err == nil {
			t.Errorf("%s passes its schema; the API refuses it", name)
		}
	}
	if err := validate(t, schemas["WithdrawIn"], api.WithdrawIn{Purpose: "appeals", Refusal: &api.RefusalIn{Reason: "obligation-unfulfilled", Basis: "the appeal is open"}}); err != nil {
		t.Errorf("WithdrawIn: a refusal is refused: %v", err)
	}
	// The consent's form needs its evidence, as consent.Check does.
	for _, f := range []consent.Form{
		{Kind: consent.FormWritten, Reference: "form 12"},
		{Kind: consent.FormWebsite},
		{Kind: consent.FormElectronic},
		{Kind: consent.FormOther, Reference: ""},
		{Kind: "oral", Reference: "x"},
		{Kind: consent.FormWritten, Reference: "form 12", DocumentSHA256: "abc"},
	} {
		bad := given
		bad.Form = f
		if err := validate(t, schemas["ConsentIn"], bad); err == nil {
			t.Errorf("ConsentIn: form %+v passes", f)
		}
		if _, err := consent.Check(testPolicy(t), "applicant", bad, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); err == nil {
			t.Errorf("consent.Check accepts form %+v, which the schema refuses", f)
		}
	}
	for _, f := range []consent.Form{
		{Kind: consent.FormWritten, Reference: "form 12", DocumentSHA256: strings.Repeat("AB", 32)},
		{Kind: consent.FormStateService, Reference: "egov 77"},
		{Kind: consent.FormElectronic, Reference: "doc 5"},
		{Kind: consent.FormOther, Reference: "call recording"},
	} {
		ok := given
		ok.Form = f
		if err := validate(t, schemas["ConsentIn"], ok); err != nil {
			t.Errorf("ConsentIn: form %+v is refused: %v", f, err)
		}
		if _, err := consent.Check(testPolicy(t), "applicant", ok, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Errorf("consent.Check refuses form %+v, which the schema accepts: %v", f, err)
		}
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
		"JournalPage": api.JournalPage{Entries: []*journal.Entry{{Seq: 1, At: now, Actor: "apikey:0f3a9c1d2e4b", Action: journal.RecordRead, Purpose: "appeals", Subject: id1, Record: id2, Outcome: journal.OK, Detail: `{"role":"x"}`, Hash: make([]byte, 32)}}, Next: 1},
		"PolicyOut":   map[string]any{"version": 1, "sha256": strings.Repeat("ab", 32), "policy": map[string]any{"derbes": 1}},
		"Problem":     api.Problem{Type: api.ProblemType("not-found"), Title: "Not Found", Status: 404, Detail: "no such subject or record"},
	}
	until, due := now.AddDate(1, 0, 0), now.AddDate(0, 0, 21)
	c := &vault.Consent{ID: id2, Subject: id1, State: "withdrawn", Purposes: []string{"appeals"}, Fields: []string{"full_name"}, Until: &until,
		ThirdParty: true, AccountBound: true, Form: "website", PolicyVersion: 1, GivenAt: now, EndedAt: &due,
		Content: consent.Content{SubjectName: "A B", Page: "https://example.kz", ClientIPHash: "0a0b"},
		Events: []vault.ConsentEvent{{ID: id1, Kind: "given", At: now, Actor: "apikey:0f3a9c1d2e4b"},
			{ID: id2, Kind: "withdrawn", At: now, Actor: "cli", Reason: "subject-request", Due: &due},
			{ID: id2, Kind: "withdrawal-refused", At: now, Actor: "cli", Reason: "contradicts-law", Basis: "Law X"}}}
	wr := &vault.WithdrawResult{Event: id1, Kind: "withdrawn", Due: &due, Queued: []string{id2}}
	responses["Created (consent)"] = api.Created{Subject: id1, Record: id2, Consent: id1}
	responses["Record (consent)"] = &vault.Record{ID: id2, Subject: id1, Purpose: "appeals", Channel: "call-109", Ground: "consent", Consent: id1, State: "active",
		Fields: map[string]string{}, PolicyVersion: 1, CreatedAt: now, UpdatedAt: now}
	responses["ConsentCreated"] = api.ConsentCreated{Consent: id1}
	responses["Consent"] = c
	responses["Consents"] = api.Consents{Consents: []*vault.Consent{c}}
	responses["Consents (none)"] = api.Consents{Consents: []*vault.Consent{}}
	responses["WithdrawResult"] = wr
	responses["WithdrawResult (refusal)"] = &vault.WithdrawResult{Event: id1, Kind: "withdrawal-refused"}
	responses["Withdrawals"] = api.Withdrawals{Withdrawn: []*vault.WithdrawResult{wr}}
	title := policy.Text{KK: "а", RU: "б", EN: "c"}
	responses["Receipt"] = &consent.Receipt{Schema: "derbes-consent-receipt/1", ReceiptID: id1, ConsentID: id2, Event: "withdrawn", EventTime: now,
		Operator: consent.ReceiptOperator{Name: title, BIN: "040540123456", Responsible: "R P", Contact: "dpo@example.kz"},
		Subject:  consent.ReceiptSubject{ID: id1, FullName: "A B", Representative: "C D", Authority: "power of attorney"},
		Purposes: []consent.ReceiptItem{{ID: "appeals", Title: title}}, Data: []consent.ReceiptItem{{ID: "full_name", Title: title}},
		Until: &until, ThirdPartyTransfer: true, Form: consent.ReceiptForm{Kind: "written", Reference: "r", DocumentSHA256: strings.Repeat("ab", 32), At: now},
		Notice: consent.ReceiptNotice{PolicyVersion: 1, PolicyLabel: "1"}, Withdrawal: &consent.ReceiptWithdrawal{Due: &due, Reason: "subject-request"}}
	destroyed := now.Add(time.Hour)
	responses["Subject (destroyed)"] = &vault.Subject{ID: id1, Category: "applicant", State: "destroyed", CreatedAt: now, DestroyedAt: &destroyed}
	content := &request.Content{Requester: request.Requester{FullName: "A B"}, Identity: request.Identity{FullName: "A B", Signature: true},
		Text: "what do you hold?", Verified: []string{"full_name", "signature"}}
	req := &vault.Request{ID: id1, Kind: "information", State: "answered", Outcome: "partly", Subject: id2, Channel: "letter", Representative: true, Lang: "ru",
		ReceivedAt: now, ClockAt: now, Due: &due, Assignee: "dpo", AnsweredAt: &destroyed, Content: content, Warning: "counted on a calendar year not yet confirmed"}
	responses["Request"] = req
	responses["Request (refused)"] = &vault.Request{ID: id1, Kind: "correction", State: "answered", Outcome: "refused", Refusal: "identity-incomplete", Channel: "visit",
		Lang: "kk", ReceivedAt: now, ClockAt: now, Overdue: false, AnsweredAt: &now}
	responses["Request (uncounted)"] = &vault.Request{ID: id1, Kind: "blocking", State: "received", Channel: "e-mail", Lang: "en", ReceivedAt: now, ClockAt: now,
		Overdue: true, Warning: "the deadline could not be counted"}
	responses["Requests"] = api.Requests{Requests: []*vault.Request{req}}
	responses["Requests (none)"] = api.Requests{Requests: []*vault.Request{}}
	item := request.Item{ID: "appeals", Title: title}
	op := request.LetterOperator{Name: title, BIN: "040540123456", Address: "Астана", Responsible: "R P", Contact: "dpo@example.kz"}
	responses["Letter"] = &request.Letter{Schema: "derbes-answer/1", RequestID: id1, Kind: "information", Outcome: "fulfilled", Lang: "kk",
		Received: now, Due: due, Answered: destroyed, Operator: op, Addressee: "C D", Representative: "A B", Done: "sent by post",
		Held: []request.HeldRecord{
			{Record: "identifiers", Collected: now, State: "active", Retention: "as long as any record is kept",
				Data: []request.HeldField{{Item: request.Item{ID: "iin", Title: title}, Value: "900101300126"}}},
			{Record: id2, Purpose: item, Ground: item, Channel: item, Collected: now, State: "blocked", Retention: "5y from collection, then destroy",
				Data: []request.HeldField{{Item: item}}, Recipients: []request.Item{item}}},
		Transfers: []request.HeldTransfer{{Recipient: item, Purpose: item, Ground: item, Fields: []request.Item{item}, Country: "KZ", At: now}}}
	responses["Letter (refusal)"] = &request.Letter{Schema: "derbes-answer/1", RequestID: id1, Kind: "correction", Outcome: "refused", Lang: "en",
		Received: now, Answered: now, Operator: op, Addressee: "A B", Reason: "identity-incomplete", Explanation: "", Missing: []string{"id_document", "signature"}}
	expires := now.Add(72 * time.Hour)
	transfer := &vault.Transfer{ID: id1, Subject: id2, Recipient: "akimat", Purpose: "appeals", Ground: "consent", Consent: id1, Records: []string{id2},
		Fields: []string{"full_name", "iin"}, Country: "KZ", DecidedBy: "apikey:0f3a9c1d2e4b", CreatedAt: now, NotifyDue: &due, NotifiedAt: &destroyed, RevokedAt: &destroyed,
		Grant: &vault.IssuedGrant{Token: "dbg_0123456789ab_" + strings.Repeat("A", 42) + "-", ExpiresAt: expires}}
	responses["Transfer"] = transfer
	responses["Transfer (abroad, by law)"] = &vault.Transfer{ID: id1, Subject: id2, Recipient: "interpol", Purpose: "appeals", Ground: "international-treaty",
		Records: []string{id2}, Fields: []string{"full_name"}, Country: "FR", CrossBorder: true, DecidedBy: "cli", CreatedAt: now}
	responses["Transfers"] = api.Transfers{Transfers: []*vault.Transfer{transfer}}
	responses["Transfers (none)"] = api.Transfers{Transfers: []*vault.Transfer{}}
	responses["Shared"] = &vault.Shared{Transfer: id1, Recipient: "akimat", Purpose: "appeals", Identifiers: map[string]string{"iin": "900101300126"},
		Records: []vault.SharedRecord{{ID: id2, Fields: map[string]string{"full_name": "A B"}}}, ExpiresAt: expires}
	responses["Record (masked)"] = &vault.Record{ID: id2, Subject: id1, Purpose: "appeals", Channel: "call-109", Ground: "consent", Consent: id1, State: "active",
		Fields: map[string]string{"full_name": "A B", "phone": "+7 701 *** ** 67"}, Masked: []string{"phone"}, PolicyVersion: 1, CreatedAt: now, UpdatedAt: now}
	responses["Subject (masked)"] = &vault.Subject{ID: id1, Category: "applicant", State: "active", Identifiers: map[string]string{"iin": "95031*******", "phone": "+7 701 *** ** 67"},
		Masked: []string{"iin", "phone"}, CreatedAt: now}
	responses["LoginOut"] = api.LoginOut{Token: "dss_0123456789ab_" + strings.Repeat("A", 42) + "-", ExpiresAt: expires}
	responses["AccessReport"] = api.AccessReport{At: now, Lines: []vault.AccessLine{
		{Principal: "staff:a.serikova", Kind: "staff", Label: "A S", Role: "clerk", RoleTitle: "Clerk", Purpose: "appeals", Fields: []string{"full_name"},
			Masked: []string{"iin", "phone"}, Can: []string{"read"}, Since: now, Until: &expires},
		{Principal: "apikey:0f3a9c1d2e4b", Kind: "api-key", Role: "analyst", RoleTitle: "Analyst", Purpose: "stats", Can: []string{"read"}, Since: now}}}
	responses["AccessReport (nobody)"] = api.AccessReport{At: now, Lines: []vault.AccessLine{}}
	measures := []vault.Measure{{At: now, By: "staff:officer", Taken: "key revoked"}}
	incident := &vault.Incident{ID: id1, Kind: vault.IncidentMassRead, Source: "rule:subjects_per_hour", Principal: "apikey:0f3a9c1d2e4b", DetectedAt: now,
		Classification: vault.Confirmed, Status: "open", NoticeDue: &due, NoticeSentAt: &destroyed, Subjects: []string{id2},
		Content: &vault.IncidentContent{Description: "read 120 subjects within an hour", Measures: measures}}
	responses["Incident"] = incident
	responses["Incident (listed)"] = &vault.Incident{ID: id1, Kind: vault.IncidentManual, Source: "staff:staff:officer", DetectedAt: now, Classification: vault.Suspected, Status: "open"}
	responses["Incidents"] = api.Incidents{Incidents: []*vault.Incident{incident}}
	responses["Incidents (none)"] = api.Incidents{Incidents: []*vault.Incident{}}
	responses["Notice"] = &vault.Notice{Incident: id1, To: "the authorized body", Operator: title, BIN: "040540123456", Responsible: "R P", Contact: "dpo@example.kz",
		DetectedAt: now, Due: &due, WhatHappened: "x", Measures: measures, Subjects: []string{id2}}
	responses["Notice (bare)"] = &vault.Notice{Incident: id1, To: "the authorized body", Operator: title, DetectedAt: now}
	responses["Versions"] = api.Versions{Versions: []vault.RecordVersion{{Version: 1, Fields: []string{"full_name", "phone"}, ReplacedAt: now, ReplacedBy: "staff:intruder"}}}
	responses["Versions (none)"] = api.Versions{Versions: []vault.RecordVersion{}}
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
		"Portable":    vault.Portable{},
		"JournalPage": api.JournalPage{},
		"Entry":       journal.Entry{},
		"PolicyOut":   api.PolicyOut{},
		"Problem":     api.Problem{},

		"ConsentIn":         consent.Request{},
		"Representative":    consent.Representative{},
		"ConsentForm":       consent.Form{},
		"ConsentCreated":    api.ConsentCreated{},
		"Consents":          api.Consents{},
		"Consent":           vault.Consent{},
		"ConsentContent":    consent.Content{},
		"ConsentEvent":      vault.ConsentEvent{},
		"WithdrawIn":        api.WithdrawIn{},
		"RefusalIn":         api.RefusalIn{},
		"WithdrawResult":    vault.WithdrawResult{},
		"Withdrawals":       api.Withdrawals{},
		"AccountDeletedIn":  api.AccountDeletedIn{},
		"Receipt":           consent.Receipt{},
		"ReceiptOperator":   consent.ReceiptOperator{},
		"ReceiptSubject":    consent.ReceiptSubject{},
		"ReceiptItem":       consent.ReceiptItem{},
		"ReceiptForm":       consent.ReceiptForm{},
		"ReceiptNotice":     consent.ReceiptNotice{},
		"ReceiptWithdrawal": consent.ReceiptWithdrawal{},
		"Text":              policy.Text{},

		"RequestIn":             api.RequestIn{},
		"Requester":             request.Requester{},
		"RequestRepresentative": request.Representative{},
		"Identity":              request.Identity{},
		"IDDocument":            request.IDDocument{},
		"RequestContent":        request.Content{},
		"Request":               vault.Request{},
		"Requests":              api.Requests{},
		"VerifyIn":              api.VerifyIn{},
		"AssignIn":              api.AssignIn{},
		"FulfilIn":              api.FulfilIn{},
		"RefuseIn":              api.RefuseIn{},
		"Letter":                request.Letter{},
		"LetterOperator":        request.LetterOperator{},
		"HeldRecord":            request.HeldRecord{},
		"HeldField":             request.HeldField{},
		"HeldTransfer":          request.HeldTransfer{},
		"Item":                  request.Item{},
		"TransferIn":            api.TransferIn{},
		"Transfer":              vault.Transfer{},
		"Transfers":             api.Transfers{},
		"IssuedGrant":           vault.IssuedGrant{},
		"Shared":                vault.Shared{},
		"SharedRecord":          vault.SharedRecord{},

		"LoginIn":          api.LoginIn{},
		"LoginOut":         api.LoginOut{},
		"AccessReport":     api.AccessReport{},
		"AccessLine":       vault.AccessLine{},
		"Incident":         vault.Incident{},
		"IncidentContent":  vault.IncidentContent{},
		"Measure":          vault.Measure{},
		"Incidents":        api.Incidents{},
		"IncidentIn":       api.IncidentIn{},
		"IncidentChangeIn": api.IncidentChangeIn{},
		"Notice":           vault.Notice{},
		"RecordVersion":    vault.RecordVersion{},
		"Versions":         api.Versions{},
		"RestoreIn":        api.RestoreIn{},
	}
	for name, v := range types {
		var s struct{ Properties map[string]any }
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("no schema %s", name)
			continue
		}
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
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case name == "-":
			continue
		case name == "" && f.Anonymous && ft.Kind() == reflect.Struct:
			// encoding/json puts an embedded struct's members in its
			// parent's object.
			out = append(out, jsonNames(ft)...)
			continue
		case name == "":
			name = f.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func testPolicy(t *testing.T) *policy.Policy {
	t.Helper()
	src, err := os.ReadFile("../policy/testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("minimal.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// described is what openapi.json says of one operation's answers.
type described struct {
	doc     openapiDoc
	schemas map[string]*jsonschema.Schema
}

// operation finds the operation that answers method and path (without its
// query).
func (d described) operation(t *testing.T, method, path string) (string, operation) {
	t.Helper()
	for tmpl, item := range d.doc.Paths {
		re := regexp.MustCompile("^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$")
		if op, ok := item[strings.ToLower(method)]; ok && re.MatchString(path) {
			return strings.ToUpper(method) + " " + tmpl, op
		}
	}
	t.Fatalf("openapi.json describes no operation for %s %s", method, path)
	return "", operation{}
}

// schemaOf returns the schema a $ref names.
func (d described) schemaOf(t *testing.T, ref string) *jsonschema.Schema {
	t.Helper()
	name, ok := strings.CutPrefix(ref, "#/components/schemas/")
	if !ok || d.schemas[name] == nil {
		t.Fatalf("$ref %q names no schema", ref)
	}
	return d.schemas[name]
}

type describedResponse struct {
	Description string `json:"description"`
	Content     map[string]struct {
		Schema struct {
			Ref string `json:"$ref"`
		} `json:"schema"`
	} `json:"content"`
}

// exchange sends a request to the test server with key and checks the
// answer against openapi.json: the request body passes its schema (when a
// success is expected), the status is documented, a problem's code is
// among those its status lists, and a JSON answer passes its schema. It
// returns the status, the headers and the body.
func (d described) exchange(t *testing.T, b *testBundle, key, method, path, purpose, accept string, in any) (int, http.Header, []byte) {
	t.Helper()
	route, op := d.operation(t, method, strings.SplitN(path, "?", 2)[0])
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if purpose != "" {
		req.Header.Set("X-Purpose", purpose)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	status := strconv.Itoa(resp.StatusCode)
	rawResp, ok := op.Responses[status]
	if !ok {
		t.Errorf("%s answered %s, which openapi.json does not document: %.300s", route, status, data)
		return resp.StatusCode, resp.Header, data
	}
	var r describedResponse
	if err := json.Unmarshal(rawResp, &r); err != nil {
		t.Fatal(err)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode < 300 && in != nil {
		var rb struct {
			Content map[string]struct {
				Schema struct {
					Ref string `json:"$ref"`
				} `json:"schema"`
			} `json:"content"`
		}
		json.Unmarshal(op.RequestBody, &rb)
		if err := validate(t, d.schemaOf(t, rb.Content["application/json"].Schema.Ref), in); err != nil {
			t.Errorf("%s: the request body, which the server took, does not pass its schema: %v", route, err)
		}
	}
	if resp.StatusCode == http.StatusNoContent {
		return resp.StatusCode, resp.Header, data
	}
	c, ok := r.Content[mt]
	if !ok {
		t.Errorf("%s %s: answered %s, which openapi.json does not document", route, status, mt)
		return resp.StatusCode, resp.Header, data
	}
	switch mt {
	case "application/problem+json":
		var p api.Problem
		json.Unmarshal(data, &p)
		code := strings.TrimPrefix(p.Type, "urn:derbes:problem:")
		_, list, _ := strings.Cut(r.Description, "Problem codes: ")
		if !slices.Contains(strings.Split(strings.TrimSuffix(list, "."), ", "), code) {
			t.Errorf("%s %s: answered problem %s, which the status's description does not list: %q", route, status, code, r.Description)
		}
	case "application/json":
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", route, err)
		}
		if err := d.schemaOf(t, c.Schema.Ref).Validate(v); err != nil {
			t.Errorf("%s %s: the answer does not pass its schema: %v\n%s", route, status, err, data)
		}
	case "application/pdf":
		if !bytes.HasPrefix(data, []byte("%PDF-")) {
			t.Errorf("%s: the PDF answer is not a PDF: %.40q", route, data)
		}
	}
	return resp.StatusCode, resp.Header, data
}

// TestConsentAnswersFollowTheDescription takes a consent through its life
// over HTTP and checks every answer against openapi.json.
func TestConsentAnswersFollowTheDescription(t *testing.T) {
	schemas := compileSchemas(t)
	if t.Failed() {
		return
	}
	d := described{doc: loadDoc(t), schemas: schemas}
	each(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		key, _, err := b.keys.Create(ctx, "test", "app", "")
		if err != nil {
			t.Fatal(err)
		}
		call := func(method, path, purpose, accept string, in any, wantStatus int, wantCode string) []byte {
			t.Helper()
			status, _, data := d.exchange(t, b, key, method, path, purpose, accept, in)
			if status != wantStatus {
				t.Fatalf("%s %s: %d %s; want %d %s", method, path, status, data, wantStatus, wantCode)
			}
			if wantCode != "" && !bytes.Contains(data, []byte(`"urn:derbes:problem:`+wantCode+`"`)) {
				t.Fatalf("%s %s: %s; want %s", method, path, data, wantCode)
			}
			return data
		}
		decode := func(data []byte, v any) {
			t.Helper()
			if err := json.Unmarshal(data, v); err != nil {
				t.Fatal(err)
			}
		}

		// A subject with their consent and a record resting on it.
		given := consent.Request{SubjectName: name, Purposes: []string{"appeals"}, Fields: []string{"iin", "full_name", "appeal_text"},
			ThirdParty: true, Form: consent.Form{Kind: consent.FormOther, Reference: "call recording"}}
		var created api.Created
		decode(call("POST", "/v1/subjects", "", "", api.SubjectIn{Category: "applicant", Purpose: "appeals", Identifiers: map[string]string{"iin": iin},
			Consent: &given, Record: &api.RecordIn{Channel: "call", Fields: map[string]string{"full_name": name, "appeal_text": text}}}, 201, ""), &created)
		if created.Consent == "" || created.Record == "" {
			t.Fatalf("created %+v", created)
		}
		sub, c1, r1 := created.Subject, created.Consent, created.Record

		// A second consent, bound to the account, given on the site by a
		// representative; a record naming it.
		later := consent.Request{SubjectName: name, Representative: &consent.Representative{FullName: "Ата-ана", Authority: "birth certificate"},
			Purposes: []string{"appeals"}, Fields: []string{"full_name", "address"}, Until: time.Now().AddDate(1, 0, 0).Format(time.DateOnly),
			AccountBound: true, Form: consent.Form{Kind: consent.FormWebsite, Page: "https://example.kz/appeal", ClientIP: "192.0.2.7"}}
		var cc api.ConsentCreated
		decode(call("POST", "/v1/subjects/"+sub+"/consents", "", "", later, 201, ""), &cc)
		c2 := cc.Consent
		var r2 api.Created
		decode(call("POST", "/v1/subjects/"+sub+"/records", "", "", api.RecordIn{Purpose: "appeals", Channel: "call", Consent: c2,
			Fields: map[string]string{"address": "Астана"}}, 201, ""), &r2)
		call("POST", "/v1/subjects/"+sub+"/records", "", "", api.RecordIn{Purpose: "appeals", Channel: "call", Consent: c2,
			Fields: map[string]string{"phone": phone}}, 422, "consent-lacks-field")
		bad := later
		bad.Form = consent.Form{Kind: consent.FormWritten, Reference: "form 12"}
		call("POST", "/v1/subjects/"+sub+"/consents", "", "", bad, 422, "evidence-required")

		var list api.Consents
		decode(call("GET", "/v1/subjects/"+sub+"/consents", "appeals", "", nil, 200, ""), &list)
		if len(list.Consents) != 2 || list.Consents[0].ID != c1 || !list.Consents[1].AccountBound {
			t.Fatalf("consents %+v", list.Consents)
		}
		givenEvent := list.Consents[0].Events[0].ID
		var rec vault.Record
		decode(call("GET", "/v1/records/"+r2.Record, "appeals", "", nil, 200, ""), &rec)
		if rec.Consent != c2 {
			t.Errorf("record rests on %q, want %q", rec.Consent, c2)
		}

		// A refusal, then the withdrawal.
		var res vault.WithdrawResult
		decode(call("POST", "/v1/consents/"+c1+"/withdraw", "", "", api.WithdrawIn{Purpose: "appeals",
			Refusal: &api.RefusalIn{Reason: "obligation-unfulfilled", Basis: "the appeal is being answered"}}, 200, ""), &res)
		if res.Kind != "withdrawal-refused" || res.Due != nil {
			t.Errorf("refusal %+v", res)
		}
		call("POST", "/v1/consents/"+c1+"/withdraw", "", "", api.WithdrawIn{Purpose: "appeals", Refusal: &api.RefusalIn{Reason: "busy", Basis: "x"}}, 422, "invalid-reason")
		decode(call("POST", "/v1/consents/"+c1+"/withdraw", "", "", api.WithdrawIn{Purpose: "appeals"}, 200, ""), &res)
		if res.Kind != "withdrawn" || res.Due == nil || !slices.Equal(res.Queued, []string{r1}) {
			t.Errorf("withdrawal %+v", res)
		}
		call("GET", "/v1/records/"+r1, "appeals", "", nil, 409, "ground-withdrawn")
		call("PATCH", "/v1/records/"+r1, "appeals", "", api.UpdateIn{Fields: map[string]*string{"appeal_text": nil}}, 409, "ground-withdrawn")
		call("POST", "/v1/consents/"+c1+"/withdraw", "", "", api.WithdrawIn{Purpose: "appeals"}, 409, "consent-not-in-force")
		call("POST", "/v1/subjects/"+sub+"/records", "", "", api.RecordIn{Purpose: "appeals", Channel: "call", Consent: c1,
			Fields: map[string]string{"full_name": name}}, 409, "consent-not-in-force")
		call("POST", "/v1/consents/"+c1+"/withdraw", "", "", api.WithdrawIn{Purpose: "stats"}, 403, "purpose-mismatch")

		// Deleting the account withdraws the account-bound consent only.
		var wd api.Withdrawals
		decode(call("POST", "/v1/subjects/"+sub+"/account-deleted", "", "", api.AccountDeletedIn{Purpose: "appeals"}, 200, ""), &wd)
		if len(wd.Withdrawn) != 1 || !slices.Equal(wd.Withdrawn[0].Queued, []string{r2.Record}) {
			t.Errorf("account deletion %+v", wd)
		}
		decode(call("POST", "/v1/subjects/"+sub+"/account-deleted", "", "", api.AccountDeletedIn{Purpose: "appeals"}, 200, ""), &wd)
		if len(wd.Withdrawn) != 0 {
			t.Errorf("a second account deletion withdrew %+v", wd)
		}

		// Receipts.
		var receipt consent.Receipt
		decode(call("GET", "/v1/consents/"+c1+"/receipt", "appeals", "", nil, 200, ""), &receipt)
		if receipt.Event != "withdrawn" || receipt.Withdrawal == nil || receipt.Withdrawal.Due == nil {
			t.Errorf("receipt %+v", receipt)
		}
		receipt = consent.Receipt{}
		decode(call("GET", "/v1/consents/"+c1+"/receipt?event="+givenEvent, "appeals", "", nil, 200, ""), &receipt)
		if receipt.Event != "given" || receipt.ReceiptID != givenEvent || receipt.Withdrawal != nil {
			t.Errorf("receipt of the given event %+v", receipt)
		}
		call("GET", "/v1/consents/"+c2+"/receipt?format=pdf&lang=ru", "appeals", "", nil, 200, "")
		_, h, _ := d.exchange(t, b, key, "GET", "/v1/consents/"+c2+"/receipt", "appeals", "application/pdf", nil)
		if h.Get("Content-Type") != "application/pdf" || !strings.Contains(h.Get("Content-Disposition"), "consent-"+c2+"-kk.pdf") {
			t.Errorf("Accept: application/pdf answered %v", h)
		}
		call("GET", "/v1/consents/"+c1+"/receipt?lang=de", "appeals", "", nil, 400, "invalid-parameter")
		call("GET", "/v1/consents/"+c1+"/receipt?event="+c2, "appeals", "", nil, 404, "not-found")
		call("GET", "/v1/consents/"+c1+"/receipt", "stats", "", nil, 403, "purpose-mismatch")

		// After destruction.
		call("DELETE", "/v1/subjects/"+sub+"?reason=subject-request", "appeals", "", nil, 204, "")
		call("GET", "/v1/consents/"+c1+"/receipt", "appeals", "", nil, 410, "destroyed")
		call("GET", "/v1/subjects/"+sub+"/consents", "appeals", "", nil, 410, "destroyed")
		call("POST", "/v1/subjects/"+sub+"/consents", "", "", given, 410, "destroyed")
	})
}

// caller sends requests with exchange and checks their status and problem
// code.
type caller struct {
	t *testing.T
	d described
	b *testBundle
}

func (c caller) as(key, method, path, purpose, accept string, in any, wantStatus int, wantCode string) []byte {
	c.t.Helper()
	status, _, data := c.d.exchange(c.t, c.b, key, method, path, purpose, accept, in)
	if status != wantStatus {
		c.t.Fatalf("%s %s: %d %s; want %d %s", method, path, status, data, wantStatus, wantCode)
	}
	if wantCode != "" && !bytes.Contains(data, []byte(`"urn:derbes:problem:`+wantCode+`"`)) {
		c.t.Fatalf("%s %s: %s; want %s", method, path, data, wantCode)
	}
	return data
}

func decodeInto(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// TestRequestAnswersFollowTheDescription takes subjects' requests through
// their lives over HTTP and checks every answer against openapi.json.
func TestRequestAnswersFollowTheDescription(t *testing.T) {
	schemas := compileSchemas(t)
	if t.Failed() {
		return
	}
	d := described{doc: loadDoc(t), schemas: schemas}
	each(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		key, _, err := b.keys.Create(ctx, "test", "app", "")
		if err != nil {
			t.Fatal(err)
		}
		c := caller{t: t, d: d, b: b}
		call := func(method, path string, in any, wantStatus int, wantCode string) []byte {
			t.Helper()
			return c.as(key, method, path, "", "", in, wantStatus, wantCode)
		}
		read := func(method, path, purpose string, in any, wantStatus int, wantCode string) []byte {
			t.Helper()
			return c.as(key, method, path, purpose, "", in, wantStatus, wantCode)
		}

		// A subject with their consent and a record resting on it.
		given := consent.Request{SubjectName: name, Purposes: []string{"appeals"}, Fields: []string{"iin", "full_name", "appeal_text", "address"},
			ThirdParty: true, Form: consent.Form{Kind: consent.FormOther, Reference: "call recording"}}
		var created api.Created
		decodeInto(t, call("POST", "/v1/subjects", api.SubjectIn{Category: "applicant", Purpose: "appeals", Identifiers: map[string]string{"iin": iin},
			Consent: &given, Record: &api.RecordIn{Channel: "call", Fields: map[string]string{"full_name": name, "appeal_text": text}}}, 201, ""), &created)
		sub, rec := created.Subject, created.Record
		nobody := "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c99"

		full := request.Identity{FullName: name, IDDocument: &request.IDDocument{Number: "045123456", Issued: "2019-05-14", Issuer: "МВД РК"}, Signature: true}
		checked := []string{"full_name", "id_document", "signature"}
		submit := func(kind string, content request.Content, subject string) *vault.Request {
			t.Helper()
			var r vault.Request
			decodeInto(t, call("POST", "/v1/requests", api.RequestIn{Kind: kind, Channel: "letter", Lang: "ru", Subject: subject, Content: content}, 201, ""), &r)
			if r.State != request.Received || r.Kind != kind {
				t.Fatalf("submitted %+v", r)
			}
			return &r
		}
		who := request.Requester{FullName: name}

		// Intake refuses what it cannot register.
		call("POST", "/v1/requests", map[string]any{"kind": "information", "channel": "letter", "requester": who, "verified": []string{"signature"}}, 400, "unknown-member")
		call("POST", "/v1/requests", api.RequestIn{Kind: "complaint", Channel: "letter", Content: request.Content{Requester: who}}, 422, "unknown-kind")
		call("POST", "/v1/requests", api.RequestIn{Kind: "information", Channel: "letter", Subject: nobody, Content: request.Content{Requester: who}}, 422, "unknown-subject")
		call("POST", "/v1/requests", api.RequestIn{Kind: "information", Channel: "letter", Content: request.Content{Requester: request.Requester{FullName: " "}}}, 422, "value-required")

		// An information request, from intake to the letter.
		info := submit(request.Information, request.Content{Requester: who, Identity: full, Text: "what do you hold about me?"}, "")
		call("GET", "/v1/requests?state=received", nil, 200, "")
		call("GET", "/v1/requests?overdue=true&assignee=nobody&limit=5", nil, 200, "")
		call("GET", "/v1/requests?due_before=2099-01-01T00:00:00%2B05:00", nil, 200, "")
		call("GET", "/v1/requests?state=lost", nil, 400, "invalid-parameter")
		call("GET", "/v1/requests?limit=0", nil, 400, "invalid-parameter")
		var got vault.Request
		decodeInto(t, call("GET", "/v1/requests/"+info.ID, nil, 200, ""), &got)
		if got.Content == nil || got.Content.Identity.IDDocument == nil {
			t.Fatalf("read %+v", got)
		}
		call("GET", "/v1/requests/"+nobody, nil, 404, "not-found")
		call("POST", "/v1/requests/"+info.ID+"/fulfil", api.FulfilIn{}, 409, "request-not-in-progress")
		call("GET", "/v1/requests/"+info.ID+"/answer", nil, 409, "not-answered")
		call("POST", "/v1/requests/"+info.ID+"/verify", api.VerifyIn{Checked: []string{"passport"}}, 422, "invalid-value")
		call("POST", "/v1/requests/"+info.ID+"/verify", api.VerifyIn{Checked: checked}, 422, "subject-required")
		decodeInto(t, call("POST", "/v1/requests/"+info.ID+"/verify", api.VerifyIn{Checked: []string{"full_name"}, Await: true}, 200, ""), &got)
		if got.State != request.Verifying {
			t.Errorf("awaiting documents: %+v", got)
		}
		decodeInto(t, call("POST", "/v1/requests/"+info.ID+"/verify", api.VerifyIn{Subject: sub, Checked: checked}, 200, ""), &got)
		if got.State != request.InProgress || got.Subject != sub {
			t.Errorf("verified: %+v", got)
		}
		call("POST", "/v1/requests/"+info.ID+"/verify", api.VerifyIn{Subject: sub, Checked: checked}, 409, "request-not-verifiable")
		call("POST", "/v1/requests/"+info.ID+"/assign", api.AssignIn{Assignee: "Ivan Petrov"}, 422, "invalid-value")
		call("POST", "/v1/requests/"+info.ID+"/assign", api.AssignIn{Assignee: "dpo-1"}, 200, "")
		decodeInto(t, call("POST", "/v1/requests/"+info.ID+"/fulfil", api.FulfilIn{IncludeValues: true}, 200, ""), &got)
		if got.State != request.Answered || got.Outcome != request.Fulfilled {
			t.Errorf("fulfilled: %+v", got)
		}
		var letter request.Letter
		decodeInto(t, call("GET", "/v1/requests/"+info.ID+"/answer", nil, 200, ""), &letter)
		if len(letter.Held) != 2 || letter.Held[1].Record != rec || letter.Addressee != name {
			t.Errorf("letter %+v", letter)
		}
		call("GET", "/v1/requests/"+info.ID+"/answer?format=pdf&lang=en", nil, 200, "")
		_, h, _ := d.exchange(t, b, key, "GET", "/v1/requests/"+info.ID+"/answer", "", "application/pdf", nil)
		if h.Get("Content-Type") != "application/pdf" || !strings.Contains(h.Get("Content-Disposition"), "answer-"+info.ID+"-ru.pdf") {
			t.Errorf("Accept: application/pdf answered %v", h)
		}
		call("GET", "/v1/requests/"+info.ID+"/answer?lang=de", nil, 400, "invalid-parameter")
		call("POST", "/v1/requests/"+info.ID+"/refuse", api.RefuseIn{Reason: "no-data", Explanation: "x"}, 409, "request-answered")
		call("POST", "/v1/requests/"+info.ID+"/assign", api.AssignIn{Assignee: "dpo-1"}, 409, "request-answered")

		// A request without the requisites is refused by itself, with
		// reasons.
		bare := submit(request.Correction, request.Content{Requester: who, Identity: request.Identity{FullName: name}}, sub)
		decodeInto(t, call("POST", "/v1/requests/"+bare.ID+"/verify", api.VerifyIn{Checked: []string{"full_name"}}, 200, ""), &got)
		if got.State != request.Answered || got.Outcome != request.Refused || got.Refusal != request.RefusedIdentity {
			t.Errorf("identity incomplete: %+v", got)
		}
		letter = request.Letter{}
		decodeInto(t, call("GET", "/v1/requests/"+bare.ID+"/answer", nil, 200, ""), &letter)
		if !slices.Equal(letter.Missing, []string{"id_document", "signature"}) {
			t.Errorf("missing %v", letter.Missing)
		}

		// A refusal with reasons.
		refused := submit(request.Objection, request.Content{Requester: who, Identity: full}, sub)
		call("POST", "/v1/requests/"+refused.ID+"/refuse", api.RefuseIn{Reason: "busy", Explanation: "x"}, 422, "invalid-reason")
		call("POST", "/v1/requests/"+refused.ID+"/refuse", api.RefuseIn{Reason: "law-forbids"}, 422, "value-required")
		call("POST", "/v1/requests/"+refused.ID+"/refuse", api.RefuseIn{Reason: "law-forbids", Explanation: "Law X forbids it"}, 200, "")

		// Blocking makes the subject's records answer 423 until unblocked.
		block := submit(request.Blocking, request.Content{Requester: who, Identity: full}, sub)
		early := block.ReceivedAt.Add(-time.Minute)
		call("POST", "/v1/requests/"+block.ID+"/verify", api.VerifyIn{Checked: checked, ConfirmedAt: &early}, 422, "invalid-value")
		decodeInto(t, call("POST", "/v1/requests/"+block.ID+"/verify", api.VerifyIn{Checked: checked, ConfirmedAt: &block.ReceivedAt}, 200, ""), &got)
		if !got.ClockAt.Equal(block.ReceivedAt) {
			t.Errorf("the clock starts at %v, want the confirmation at %v", got.ClockAt, block.ReceivedAt)
		}
		call("POST", "/v1/requests/"+block.ID+"/fulfil", api.FulfilIn{}, 200, "")
		read("GET", "/v1/records/"+rec, "appeals", nil, 423, "blocked")
		unblock := submit(request.Unblocking, request.Content{Requester: who, Identity: full}, sub)
		call("POST", "/v1/requests/"+unblock.ID+"/verify", api.VerifyIn{Checked: checked}, 200, "")
		call("POST", "/v1/requests/"+unblock.ID+"/fulfil", api.FulfilIn{}, 200, "")
		read("GET", "/v1/records/"+rec, "appeals", nil, 200, "")

		// A correction replaces the value.
		fix := submit(request.Correction, request.Content{Requester: who, Identity: full, Record: rec, Corrections: map[string]string{"appeal_text": "corrected"}}, sub)
		call("POST", "/v1/requests/"+fix.ID+"/verify", api.VerifyIn{Checked: checked}, 200, "")
		call("POST", "/v1/requests/"+fix.ID+"/fulfil", api.FulfilIn{Record: nobody}, 422, "record-not-subjects")
		health := "ill"
		call("POST", "/v1/requests/"+fix.ID+"/fulfil", api.FulfilIn{Corrections: map[string]*string{"health": &health}}, 422, "forbidden-category")
		call("POST", "/v1/requests/"+fix.ID+"/fulfil", api.FulfilIn{}, 200, "")
		var r vault.Record
		decodeInto(t, read("GET", "/v1/records/"+rec, "appeals", nil, 200, ""), &r)
		if r.Fields["appeal_text"] != "corrected" {
			t.Errorf("corrected record %+v", r.Fields)
		}

		// A withdrawal stops processing; a destruction destroys.
		var list api.Consents
		decodeInto(t, read("GET", "/v1/subjects/"+sub+"/consents", "appeals", nil, 200, ""), &list)
		wd := submit(request.Withdrawal, request.Content{Requester: who, Identity: full}, sub)
		call("POST", "/v1/requests/"+wd.ID+"/verify", api.VerifyIn{Checked: checked}, 200, "")
		call("POST", "/v1/requests/"+wd.ID+"/fulfil", api.FulfilIn{}, 422, "consent-required")
		call("POST", "/v1/requests/"+wd.ID+"/fulfil", api.FulfilIn{Consent: nobody}, 422, "consent-not-subjects")
		call("POST", "/v1/requests/"+wd.ID+"/fulfil", api.FulfilIn{Consent: list.Consents[0].ID}, 200, "")
		read("GET", "/v1/records/"+rec, "appeals", nil, 409, "ground-withdrawn")
		gone := submit(request.Destruction, request.Content{Requester: who, Identity: full}, sub)
		call("POST", "/v1/requests/"+gone.ID+"/verify", api.VerifyIn{Checked: checked}, 200, "")
		call("POST", "/v1/requests/"+gone.ID+"/fulfil", api.FulfilIn{}, 200, "")
		var s vault.Subject
		decodeInto(t, read("GET", "/v1/subjects/"+sub, "appeals", nil, 200, ""), &s)
		if s.State != "destroyed" {
			t.Errorf("after destruction %+v", s)
		}
		again := submit(request.Destruction, request.Content{Requester: who, Identity: full}, sub)
		call("POST", "/v1/requests/"+again.ID+"/verify", api.VerifyIn{Checked: checked}, 200, "")
		call("POST", "/v1/requests/"+again.ID+"/fulfil", api.FulfilIn{}, 410, "destroyed")

		// An objection needs words.
		obj := submit(request.Objection, request.Content{Requester: who, Identity: full}, "")
		call("POST", "/v1/requests/"+obj.ID+"/verify", api.VerifyIn{Checked: checked, Subject: sub}, 200, "")
		call("POST", "/v1/requests/"+obj.ID+"/fulfil", api.FulfilIn{}, 422, "value-required")
		call("POST", "/v1/requests/"+obj.ID+"/fulfil", api.FulfilIn{Partly: true, Done: "the decision was reviewed by a person"}, 200, "")

		// The journal, with the requests' entries, follows its schema.
		call("GET", "/v1/journal?limit=1000", nil, 200, "")
	})
}

// TestTransferAnswersFollowTheDescription passes data to a recipient,
// reads it through the grant and revokes it, checking every answer
// against openapi.json.
func TestTransferAnswersFollowTheDescription(t *testing.T) {
	schemas := compileSchemas(t)
	if t.Failed() {
		return
	}
	d := described{doc: loadDoc(t), schemas: schemas}
	each(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		key, _, err := b.keys.Create(ctx, "test", "app", "")
		if err != nil {
			t.Fatal(err)
		}
		c := caller{t: t, d: d, b: b}
		call := func(method, path string, in any, wantStatus int, wantCode string) []byte {
			t.Helper()
			return c.as(key, method, path, "", "", in, wantStatus, wantCode)
		}

		newSubject := func(id string, thirdParty bool) (string, string) {
			t.Helper()
			given := consent.Request{SubjectName: name, Purposes: []string{"appeals"}, Fields: []string{"iin", "full_name", "appeal_text"},
				ThirdParty: thirdParty, NotifyTransfers: true, Form: consent.Form{Kind: consent.FormOther, Reference: "call recording"}}
			var created api.Created
			decodeInto(t, call("POST", "/v1/subjects", api.SubjectIn{Category: "applicant", Purpose: "appeals", Identifiers: map[string]string{"iin": id},
				Consent: &given, Record: &api.RecordIn{Channel: "call", Fields: map[string]string{"full_name": name, "appeal_text": text}}}, 201, ""), &created)
			return created.Subject, created.Record
		}
		sub, rec := newSubject(iin, true)
		nobody := "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c99"
		pass := func(in api.TransferIn, wantStatus int, wantCode string) *vault.Transfer {
			t.Helper()
			var x vault.Transfer
			data := call("POST", "/v1/transfers", in, wantStatus, wantCode)
			if wantStatus == 201 {
				decodeInto(t, data, &x)
			}
			return &x
		}
		ok := api.TransferIn{Subject: sub, Recipient: "akimat", Purpose: "appeals", Fields: []string{"full_name", "iin", "appeal_text"}, Grant: "72h"}

		// What the policy or the ground does not allow is refused.
		with := func(f func(*api.TransferIn)) api.TransferIn {
			in := ok
			f(&in)
			return in
		}
		pass(with(func(in *api.TransferIn) { in.Recipient = "interpol" }), 422, "unknown-recipient")
		pass(with(func(in *api.TransferIn) { in.Purpose = "" }), 422, "purpose-required")
		pass(with(func(in *api.TransferIn) { in.Purpose = "stats"; in.Fields = []string{"address"} }), 403, "recipient-not-allowed")
		pass(with(func(in *api.TransferIn) { in.Fields = nil }), 422, "fields-required")
		pass(with(func(in *api.TransferIn) { in.Fields = []string{"health"} }), 403, "field-not-visible")
		pass(with(func(in *api.TransferIn) { in.Fields = []string{"address"} }), 422, "field-not-held")
		pass(with(func(in *api.TransferIn) { in.Grant = "1000h" }), 422, "invalid-value")
		call("POST", "/v1/transfers", map[string]any{"subject": sub, "recipient": "akimat", "purpose": "appeals", "fields": []string{"full_name"}, "grant": "3 days"},
			422, "invalid-value")
		pass(with(func(in *api.TransferIn) { in.Records = []string{nobody} }), 422, "records-not-found")
		pass(with(func(in *api.TransferIn) { in.Ground = "law-enforcement" }), 422, "reference-required")
		pass(with(func(in *api.TransferIn) { in.Ground = "whim" }), 422, "ground-required")
		pass(with(func(in *api.TransferIn) { in.Subject = nobody }), 404, "not-found")
		other, _ := newSubject("900101300126", false)
		pass(with(func(in *api.TransferIn) { in.Subject = other }), 403, "consent-does-not-allow")

		// Allowed: exactly these fields, with a grant.
		x := pass(ok, 201, "")
		if x.Grant == nil || x.Consent == "" || x.NotifyDue == nil || !slices.Equal(x.Records, []string{rec}) {
			t.Fatalf("transfer %+v", x)
		}
		byLaw := pass(with(func(in *api.TransferIn) {
			in.Ground, in.Reference, in.Grant, in.Records = "law-enforcement", "request 12/345 of 2026-03-01", "", []string{rec}
		}), 201, "")
		if byLaw.Grant != nil || byLaw.NotifyDue != nil {
			t.Errorf("transfer by law %+v", byLaw)
		}
		var list api.Transfers
		decodeInto(t, call("GET", "/v1/transfers?subject="+sub, nil, 200, ""), &list)
		if len(list.Transfers) != 2 || list.Transfers[0].Grant != nil {
			t.Errorf("register %+v", list.Transfers)
		}
		call("GET", "/v1/transfers?recipient=akimat", nil, 200, "")
		call("GET", "/v1/transfers", nil, 422, "filter-required")

		// The recipient reads through the grant exactly what was passed.
		token := x.Grant.Token
		shared := func(path string, wantStatus int, wantCode string) []byte {
			t.Helper()
			return c.as(token, "GET", path, "", "", nil, wantStatus, wantCode)
		}
		var sh vault.Shared
		decodeInto(t, shared("/v1/shared", 200, ""), &sh)
		if sh.Identifiers["iin"] != iin || len(sh.Records) != 1 || sh.Records[0].Fields["appeal_text"] != text || len(sh.Records[0].Fields) != 2 {
			t.Errorf("shared %+v", sh)
		}
		sh = vault.Shared{}
		decodeInto(t, shared("/v1/shared/records/"+rec+"?fields=full_name", 200, ""), &sh)
		if len(sh.Identifiers) != 0 || len(sh.Records) != 1 || len(sh.Records[0].Fields) != 1 {
			t.Errorf("shared record %+v", sh)
		}
		shared("/v1/shared?fields=phone", 403, "field-not-granted")
		shared("/v1/shared/records/"+nobody, 403, "record-not-granted")
		c.as(key, "GET", "/v1/shared", "", "", nil, 403, "grant-invalid")
		resp, err := http.Get(b.srv.URL + "/v1/shared")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "derbes-shared") {
			t.Errorf("no grant: %d %v", resp.StatusCode, resp.Header)
		}

		// Blocking on the subject's request reaches the recipient too.
		full := request.Identity{FullName: name, IDDocument: &request.IDDocument{Number: "1", Issued: "2019-05-14", Issuer: "МВД РК"}, Signature: true}
		checked := []string{"full_name", "id_document", "signature"}
		var block vault.Request
		decodeInto(t, call("POST", "/v1/requests", api.RequestIn{Kind: "blocking", Channel: "letter", Subject: sub,
			Content: request.Content{Requester: request.Requester{FullName: name}, Identity: full}}, 201, ""), &block)
		call("POST", "/v1/requests/"+block.ID+"/verify", api.VerifyIn{Checked: checked}, 200, "")
		call("POST", "/v1/requests/"+block.ID+"/fulfil", api.FulfilIn{}, 200, "")
		shared("/v1/shared", 423, "blocked")
		pass(with(func(in *api.TransferIn) { in.Records = []string{rec} }), 403, "record-not-transferable")
		var unblock vault.Request
		decodeInto(t, call("POST", "/v1/requests", api.RequestIn{Kind: "unblocking", Channel: "letter", Subject: sub,
			Content: request.Content{Requester: request.Requester{FullName: name}, Identity: full}}, 201, ""), &unblock)
		call("POST", "/v1/requests/"+unblock.ID+"/verify", api.VerifyIn{Checked: checked}, 200, "")
		call("POST", "/v1/requests/"+unblock.ID+"/fulfil", api.FulfilIn{}, 200, "")
		shared("/v1/shared", 200, "")

		// The information answer lists the register's transfers.
		var info vault.Request
		decodeInto(t, call("POST", "/v1/requests", api.RequestIn{Kind: "information", Channel: "letter", Subject: sub,
			Content: request.Content{Requester: request.Requester{FullName: name}, Identity: full}}, 201, ""), &info)
		call("POST", "/v1/requests/"+info.ID+"/verify", api.VerifyIn{Checked: checked}, 200, "")
		call("POST", "/v1/requests/"+info.ID+"/fulfil", api.FulfilIn{}, 200, "")
		var letter request.Letter
		decodeInto(t, call("GET", "/v1/requests/"+info.ID+"/answer", nil, 200, ""), &letter)
		if len(letter.Transfers) != 2 || letter.Transfers[0].Recipient.ID != "akimat" {
			t.Errorf("letter's transfers %+v", letter.Transfers)
		}

		// Revocation ends access at once.
		call("POST", "/v1/transfers/"+x.ID+"/revoke", nil, 204, "")
		call("POST", "/v1/transfers/"+x.ID+"/revoke", nil, 409, "already-revoked")
		call("POST", "/v1/transfers/"+nobody+"/revoke", nil, 404, "not-found")
		shared("/v1/shared", 403, "grant-invalid")

		// A destroyed subject's data is passed to nobody.
		call("DELETE", "/v1/subjects/"+sub+"?reason=subject-request&purpose=appeals", nil, 204, "")
		pass(ok, 410, "destroyed")

		// The journal, with the recipient's reads, follows its schema.
		call("GET", "/v1/journal?limit=1000", nil, 200, "")
	})
}

// setupStaff is setup with staff sign-in and two more roles: security
// (admin, journal) and clerk, which sees IINs and phones only masked and
// opens an incident after two refusals in an hour. It returns the bundle,
// the app key and the staff service.
func setupStaff(t *testing.T, dialect string) (*testBundle, string, *access.Staff) {
	t.Helper()
	ctx := context.Background()
	env := storetest.Open(t, dialect)
	src, err := os.ReadFile("../policy/testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	roles := `roles:
  - id: security
    title: {kk: Қауіпсіздік, ru: Безопасность, en: Security}
    purposes: [appeals]
    fields: [full_name]
    can: [admin, journal]
  - id: clerk
    title: {kk: Оператор, ru: Оператор, en: Clerk}
    purposes: [appeals]
    fields: [full_name, appeal_text]
    masked: [iin, phone]
    can: [read, update]
    limits: {denials_per_hour: 2}
`
	if !bytes.Contains(src, []byte("\nroles:\n")) {
		t.Fatal("minimal.yaml has no roles: section; has it changed?")
	}
	src = bytes.Replace(src, []byte("\nroles:\n"), []byte("\n"+roles), 1)
	p, err := policy.Parse("minimal.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(ctx, env.Store, env.Ring)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Activate(ctx, vault.System, p, src); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	k := access.NewKeys(env.Store)
	staff := access.NewStaff(env.Store, env.Ring, &access.Argon2{Time: 1, Memory: 1024, Threads: 1})
	srv := httptest.NewServer(api.New(v, k, log, func(context.Context) error { return nil }).WithStaff(staff))
	t.Cleanup(srv.Close)
	appKey, _, err := k.Create(ctx, "test", "app", "appeals CRM")
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{env: env, srv: srv, keys: k, logs: logs}, appKey, staff
}

// TestAccessAnswersFollowTheDescription signs staff in, reads masked data,
// restores a record, draws the people-with-access report and takes
// incidents through the register, checking every answer against
// openapi.json.
func TestAccessAnswersFollowTheDescription(t *testing.T) {
	schemas := compileSchemas(t)
	if t.Failed() {
		return
	}
	d := described{doc: loadDoc(t), schemas: schemas}
	t.Parallel()
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b, appKey, staff := setupStaff(t, dialect)
			const password = "correct horse battery"
			if _, err := staff.Create(ctx, "test", access.NewAccount{Login: "officer", Name: "Security Officer", Role: "security", Password: password}); err != nil {
				t.Fatal(err)
			}
			clerkAcc, err := staff.Create(ctx, "test", access.NewAccount{Login: "clerk1", Name: "Clerk One", Role: "clerk", Password: password, TOTP: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := staff.Create(ctx, "test", access.NewAccount{Login: "careless", Name: "Careless", Role: "clerk", Password: password}); err != nil {
				t.Fatal(err)
			}
			secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(clerkAcc.TOTPSecret)
			if err != nil {
				t.Fatal(err)
			}
			c := caller{t: t, d: d, b: b}
			app := func(method, path, purpose string, in any, wantStatus int, wantCode string) []byte {
				t.Helper()
				return c.as(appKey, method, path, purpose, "", in, wantStatus, wantCode)
			}
			login := func(in any, wantStatus int, wantCode string) (api.LoginOut, http.Header) {
				t.Helper()
				status, h, data := d.exchange(t, b, "", "POST", "/v1/login", "", "", in)
				if status != wantStatus || (wantCode != "" && !bytes.Contains(data, []byte(`"urn:derbes:problem:`+wantCode+`"`))) {
					t.Fatalf("POST /v1/login: %d %s; want %d %s", status, data, wantStatus, wantCode)
				}
				var out api.LoginOut
				if status == 200 {
					decodeInto(t, data, &out)
				}
				return out, h
			}

			// Sign-in: wrong passwords and codes are answered alike; five
			// failures lock the account, even for the right password.
			login(api.LoginIn{Login: "nobody", Password: password}, 401, "login-failed")
			login(api.LoginIn{Login: "officer", Password: "wrong password!"}, 401, "login-failed")
			login(api.LoginIn{Login: "clerk1", Password: password}, 401, "login-failed")
			login(api.LoginIn{Login: "clerk1", Password: password, TOTP: "000000"}, 401, "login-failed")
			login(map[string]any{"login": "officer", "password": password, "otp": "1"}, 400, "unknown-member")
			login(map[string]any{"login": "officer", "password": 12}, 422, "wrong-type")
			for range access.MaxFailures {
				login(api.LoginIn{Login: "careless", Password: "wrong password!"}, 401, "login-failed")
			}
			if _, h := login(api.LoginIn{Login: "careless", Password: password}, 429, "locked"); h.Get("Retry-After") != "900" {
				t.Errorf("locked: Retry-After %q", h.Get("Retry-After"))
			}
			officerSession, _ := login(api.LoginIn{Login: "officer", Password: password}, 200, "")
			clerkTOTP := time.Now()
			clerkSession, _ := login(api.LoginIn{Login: "clerk1", Password: password, TOTP: access.TOTP(secret, clerkTOTP)}, 200, "")
			if time.Until(clerkSession.ExpiresAt) < 7*time.Hour || officerSession.Token == clerkSession.Token {
				t.Errorf("sessions %+v %+v", officerSession, clerkSession)
			}
			officer := func(method, path string, in any, wantStatus int, wantCode string) []byte {
				t.Helper()
				return c.as(officerSession.Token, method, path, "", "", in, wantStatus, wantCode)
			}
			clerk := func(method, path, purpose string, in any, wantStatus int, wantCode string) []byte {
				t.Helper()
				return c.as(clerkSession.Token, method, path, purpose, "", in, wantStatus, wantCode)
			}
			c.as("dss_0123456789ab_"+strings.Repeat("A", 43), "GET", "/v1/incidents", "", "", nil, 401, "unauthenticated")

			// A subject collected by the application; the clerk sees the IIN
			// and the phone only masked.
			given := consent.Request{SubjectName: name, Purposes: []string{"appeals"}, Fields: []string{"iin", "phone", "full_name", "appeal_text"},
				Form: consent.Form{Kind: consent.FormOther, Reference: "call recording"}}
			var created api.Created
			decodeInto(t, app("POST", "/v1/subjects", "", api.SubjectIn{Category: "applicant", Purpose: "appeals", Identifiers: map[string]string{"iin": iin, "phone": phone},
				Consent: &given, Record: &api.RecordIn{Channel: "call", Fields: map[string]string{"full_name": name, "appeal_text": text, "phone": phone}}}, 201, ""), &created)
			sub, rec := created.Subject, created.Record
			var s vault.Subject
			decodeInto(t, clerk("GET", "/v1/subjects/"+sub, "appeals", nil, 200, ""), &s)
			if s.Identifiers["iin"] != "95031*******" || s.Identifiers["phone"] != "+7 701 *** ** 67" || !slices.Equal(s.Masked, []string{"iin", "phone"}) {
				t.Errorf("the clerk sees the subject as %+v", s)
			}
			var r vault.Record
			decodeInto(t, clerk("GET", "/v1/records/"+rec, "appeals", nil, 200, ""), &r)
			if r.Fields["phone"] != "+7 701 *** ** 67" || r.Fields["full_name"] != name || !slices.Equal(r.Masked, []string{"phone"}) {
				t.Errorf("the clerk sees the record as %+v", r)
			}
			r = vault.Record{}
			decodeInto(t, app("GET", "/v1/records/"+rec, "appeals", nil, 200, ""), &r)
			if r.Fields["phone"] != "+77011234567" || len(r.Masked) != 0 {
				t.Errorf("the application sees the record as %+v", r)
			}

			// A change, then its undoing.
			intruder := "changed by an intruder"
			clerk("PATCH", "/v1/records/"+rec, "appeals", api.UpdateIn{Fields: map[string]*string{"appeal_text": &intruder}}, 200, "")
			var vs api.Versions
			decodeInto(t, clerk("GET", "/v1/records/"+rec+"/versions", "appeals", nil, 200, ""), &vs)
			if len(vs.Versions) != 1 || vs.Versions[0].Version != 1 || vs.Versions[0].ReplacedBy != "staff:clerk1" ||
				!slices.Equal(vs.Versions[0].Fields, []string{"appeal_text", "full_name", "phone"}) {
				t.Fatalf("versions %+v", vs)
			}
			clerk("GET", "/v1/records/"+rec+"/versions", "stats", nil, 403, "purpose-not-allowed")
			app("GET", "/v1/records/"+rec+"/versions", "stats", nil, 403, "purpose-mismatch")
			clerk("POST", "/v1/records/"+rec+"/restore", "appeals", api.RestoreIn{Version: 99}, 404, "no-such-version")
			clerk("POST", "/v1/records/0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c99/restore", "appeals", api.RestoreIn{Version: 1}, 404, "not-found")
			clerk("POST", "/v1/records/"+rec+"/restore", "appeals", map[string]any{"version": "1"}, 422, "wrong-type")
			r = vault.Record{}
			decodeInto(t, clerk("POST", "/v1/records/"+rec+"/restore", "", api.RestoreIn{Purpose: "appeals", Version: 1}, 200, ""), &r)
			if r.Fields["appeal_text"] != text || !slices.Equal(r.Masked, []string{"phone"}) {
				t.Errorf("restored %+v", r)
			}
			vs = api.Versions{}
			decodeInto(t, app("GET", "/v1/records/"+rec+"/versions?purpose=appeals", "", nil, 200, ""), &vs)
			if len(vs.Versions) != 2 || vs.Versions[1].Version != 2 {
				t.Errorf("after the restore: %+v", vs)
			}

			// The clerk's third refusal within the hour opens an incident.
			clerk("GET", "/v1/access/report", "", nil, 403, "action-not-allowed")
			clerk("GET", "/v1/incidents", "", nil, 403, "action-not-allowed")
			clerk("POST", "/v1/records/"+rec+"/restore", "", api.RestoreIn{Version: 1}, 403, "purpose-required")

			// The people-with-access report.
			var report api.AccessReport
			decodeInto(t, officer("GET", "/v1/access/report", nil, 200, ""), &report)
			var clerkLine *vault.AccessLine
			for i, l := range report.Lines {
				if l.Principal == "staff:clerk1" {
					clerkLine = &report.Lines[i]
				}
			}
			if clerkLine == nil || clerkLine.Kind != "staff" || clerkLine.Purpose != "appeals" || !slices.Equal(clerkLine.Masked, []string{"iin", "phone"}) ||
				!slices.Equal(clerkLine.Fields, []string{"full_name", "appeal_text"}) {
				t.Errorf("report %+v", report.Lines)
			}
			report = api.AccessReport{}
			decodeInto(t, officer("GET", "/v1/access/report?at=2000-01-01T00:00:00%2B05:00", nil, 200, ""), &report)
			if len(report.Lines) != 0 {
				t.Errorf("report of 2000: %+v", report.Lines)
			}
			if report.PolicyVersion != 0 {
				t.Errorf("report of 2000 names policy version %d", report.PolicyVersion)
			}
			report = api.AccessReport{}
			decodeInto(t, officer("GET", "/v1/access/report?at="+time.Now().Format(time.DateOnly), nil, 200, ""), &report)
			if len(report.Lines) == 0 || report.PolicyVersion == 0 {
				t.Errorf("report of today: %+v", report)
			}
			csvData := officer("GET", "/v1/access/report?format=csv&lang=en", nil, 200, "")
			if !strings.HasPrefix(string(csvData), "principal,kind,label,role,role_title,purpose,purpose_title,fields,masked,can,since,until\n") || !strings.Contains(string(csvData), "staff:clerk1,staff,") {
				t.Errorf("csv report:\n%s", csvData)
			}
			if pdf := officer("GET", "/v1/access/report?format=pdf&lang=kk", nil, 200, ""); !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Errorf("pdf report: %.40q", pdf)
			}
			officer("GET", "/v1/access/report?at=yesterday", nil, 400, "invalid-parameter")
			officer("GET", "/v1/access/report?format=pdf&lang=de", nil, 400, "invalid-parameter")

			// The register.
			var list api.Incidents
			decodeInto(t, officer("GET", "/v1/incidents?status=open", nil, 200, ""), &list)
			if len(list.Incidents) != 1 || list.Incidents[0].Kind != vault.IncidentDenials || list.Incidents[0].Principal != "staff:clerk1" || list.Incidents[0].Content != nil {
				t.Fatalf("incidents %+v", list.Incidents)
			}
			denials := list.Incidents[0].ID
			officer("POST", "/v1/incidents", api.IncidentIn{Description: " "}, 422, "value-required")
			officer("POST", "/v1/incidents", api.IncidentIn{Description: "x", Subjects: []string{"Айгерім"}}, 422, "invalid-value")
			var made map[string]string
			decodeInto(t, officer("POST", "/v1/incidents", api.IncidentIn{Description: "a printed list of applicants was left on a bus", Subjects: []string{sub}}, 201, ""), &made)
			manual := made["incident"]
			var x vault.Incident
			decodeInto(t, officer("GET", "/v1/incidents/"+manual, nil, 200, ""), &x)
			if x.Kind != vault.IncidentManual || x.Classification != vault.Suspected || x.Status != "open" || x.Content == nil || !slices.Equal(x.Subjects, []string{sub}) {
				t.Errorf("reported %+v", x)
			}
			officer("GET", "/v1/incidents/"+manual+"/notice", nil, 409, "not-confirmed")
			officer("PATCH", "/v1/incidents/"+manual, api.IncidentChangeIn{Classification: "breach"}, 422, "invalid-value")
			officer("PATCH", "/v1/incidents/"+manual, api.IncidentChangeIn{Status: "done"}, 422, "invalid-value")
			officer("PATCH", "/v1/incidents/"+manual, api.IncidentChangeIn{Measure: strings.Repeat("x", 8001)}, 422, "too-large")
			x = vault.Incident{}
			decodeInto(t, officer("PATCH", "/v1/incidents/"+manual, api.IncidentChangeIn{Classification: "confirmed", Measure: "the subjects were told"}, 200, ""), &x)
			if x.Classification != vault.Confirmed || x.Content == nil || len(x.Content.Measures) != 1 || x.Content.Measures[0].By != "staff:officer" {
				t.Errorf("classified %+v", x)
			}
			var n vault.Notice
			decodeInto(t, officer("GET", "/v1/incidents/"+manual+"/notice", nil, 200, ""), &n)
			if n.Incident != manual || n.Responsible != "Responsible Person" || n.WhatHappened == "" || len(n.Measures) != 1 || !slices.Equal(n.Subjects, []string{sub}) {
				t.Errorf("notice %+v", n)
			}
			// A confirmed incident with no measures and no subjects has a
			// notice too.
			officer("PATCH", "/v1/incidents/"+denials, api.IncidentChangeIn{Classification: "confirmed"}, 200, "")
			officer("GET", "/v1/incidents/"+denials+"/notice", nil, 200, "")
			x = vault.Incident{}
			decodeInto(t, officer("PATCH", "/v1/incidents/"+manual, api.IncidentChangeIn{NoticeSent: true, Status: "closed"}, 200, ""), &x)
			if x.NoticeSentAt == nil || x.Status != "closed" {
				t.Errorf("closed %+v", x)
			}
			list = api.Incidents{}
			decodeInto(t, officer("GET", "/v1/incidents?status=closed", nil, 200, ""), &list)
			if len(list.Incidents) != 1 || list.Incidents[0].ID != manual {
				t.Errorf("closed incidents %+v", list.Incidents)
			}
			officer("GET", "/v1/incidents", nil, 200, "")
			nobody := "0190c9a4-6f1e-7c3a-9b2d-5e8f1a2b3c99"
			officer("GET", "/v1/incidents/"+nobody, nil, 404, "not-found")
			officer("PATCH", "/v1/incidents/"+nobody, api.IncidentChangeIn{Status: "closed"}, 404, "not-found")
			officer("GET", "/v1/incidents/"+nobody+"/notice", nil, 404, "not-found")

			// The Go client reads the same answers.
			// A TOTP code works once: the next step's code (within the
			// drift allowed) signs in again.
			if _, err := client.Login(ctx, b.srv.URL, "clerk1", password, access.TOTP(secret, clerkTOTP)); client.Code(err) != "login-failed" {
				t.Errorf("client.Login with a code already used: %v", err)
			}
			session, err := client.Login(ctx, b.srv.URL, "clerk1", password, access.TOTP(secret, clerkTOTP.Add(30*time.Second)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := client.Login(ctx, b.srv.URL, "clerk1", password, "000000"); client.Code(err) != "login-failed" {
				t.Errorf("client.Login with a wrong code: %v", err)
			}
			cc := client.New(b.srv.URL, session.Token)
			if cs, err := cc.Subject(ctx, sub, "appeals"); err != nil || !slices.Equal(cs.Masked, []string{"iin", "phone"}) {
				t.Errorf("client: subject %+v, %v", cs, err)
			}
			// Version 2 is what the first restore replaced: the intruder's
			// text. Restoring it undoes the restore.
			if cvs, err := cc.RecordVersions(ctx, rec, "appeals"); err != nil || len(cvs) != 2 {
				t.Errorf("client: versions %+v, %v", cvs, err)
			} else if cr, err := cc.RestoreRecord(ctx, rec, "appeals", cvs[1].Version); err != nil || cr.Fields["appeal_text"] != intruder || !slices.Equal(cr.Masked, []string{"phone"}) {
				t.Errorf("client: restored %+v, %v", cr, err)
			}
			if _, err := cc.RestoreRecord(ctx, rec, "appeals", 99); client.Code(err) != "no-such-version" {
				t.Errorf("client: restore of version 99: %v", err)
			}
			oc := client.New(b.srv.URL, officerSession.Token)
			if cr, err := oc.AccessReport(ctx, time.Now()); err != nil || len(cr.Lines) == 0 {
				t.Errorf("client: access report %+v, %v", cr, err)
			}
			if csv, err := oc.AccessReportCSV(ctx, time.Time{}); err != nil || !strings.HasPrefix(string(csv), "principal,") {
				t.Errorf("client: access report CSV %q, %v", csv, err)
			}
			if pdf, err := oc.AccessReportPDF(ctx, time.Time{}, "en"); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Errorf("client: access report PDF %.20q, %v", pdf, err)
			}
			id, err := oc.ReportIncident(ctx, "a clerk's screen was photographed", sub)
			if err != nil {
				t.Fatal(err)
			}
			if ci, err := oc.UpdateIncident(ctx, id, client.IncidentChange{Classification: client.IncidentConfirmed, Measure: "talked to the clerk"}); err != nil ||
				ci.Content == nil || len(ci.Content.Measures) != 1 {
				t.Errorf("client: incident %+v, %v", ci, err)
			}
			if cn, err := oc.IncidentNotice(ctx, id); err != nil || cn.Incident != id || len(cn.Subjects) != 1 {
				t.Errorf("client: notice %+v, %v", cn, err)
			}
			if cl, err := oc.Incidents(ctx, client.IncidentOpen); err != nil || len(cl) != 2 {
				t.Errorf("client: open incidents %+v, %v", cl, err)
			}
			if _, err := cc.Incidents(ctx, ""); client.Code(err) != "action-not-allowed" {
				t.Errorf("client: the clerk lists incidents: %v", err)
			}

			// The journal, with the staff's entries, follows its schema.
			var page api.JournalPage
			decodeInto(t, officer("GET", "/v1/journal?limit=1000", nil, 200, ""), &page)
			raw, _ := json.Marshal(page.Entries)
			for _, a := range []string{"staff.login", "record.restore", "incident.open", "incident.update", `"staff:clerk1"`, `"staff:unknown"`} {
				if !bytes.Contains(raw, []byte(a)) {
					t.Errorf("the journal has no %s", a)
				}
			}
			if bytes.Contains(raw, []byte("nobody")) {
				t.Error("the journal names a login that does not exist")
			}

			// Signing out ends the session at once; an API key cannot be
			// signed out.
			c.as(appKey, "POST", "/v1/logout", "", "", nil, 401, "unauthenticated")
			c.as(officerSession.Token, "POST", "/v1/logout", "", "", nil, 204, "")
			officer("GET", "/v1/incidents", nil, 401, "unauthenticated")
			c.as(officerSession.Token, "POST", "/v1/logout", "", "", nil, 401, "unauthenticated")
			if err := cc.Logout(ctx); err != nil {
				t.Errorf("client: logout: %v", err)
			}
			if _, err := cc.Incidents(ctx, ""); client.Code(err) != "unauthenticated" {
				t.Errorf("client: after logout: %v", err)
			}
		})
	}
}
