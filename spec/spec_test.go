// Package spec_test checks that spec/openapi.yaml and spec/ssi-api.yaml are
// valid OpenAPI 3.0 documents and that they still record the facts of the real
// servers.
package spec_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const specPath = "openapi.yaml"

// load parses and validates an OpenAPI document.
func load(t *testing.T, data []byte) (*openapi3.T, error) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	return doc, nil
}

// readFile returns the text of the spec at path.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the spec: %v", err)
	}
	return data
}

// loadFile loads and validates the spec at path, and fails the test if it
// does not validate.
func loadFile(t *testing.T, path string) *openapi3.T {
	t.Helper()
	doc, err := load(t, readFile(t, path))
	if err != nil {
		t.Fatalf("spec/%s does not validate: %v", path, err)
	}
	return doc
}

// specs are the two specs, each with its production server and an edit that
// breaks it: a reference to a schema that does not exist.
var specs = []struct {
	path, server string
	old, broken  string
}{
	{specPath, "https://api.entity.dashboard.hypersign.id",
		`$ref: "#/components/schemas/AccessTokenResponse"`, `$ref: "#/components/schemas/NoSuchSchema"`},
	{ssiSpecPath, "https://api.entity.hypersign.id",
		`$ref: "#/components/schemas/DIDList"`, `$ref: "#/components/schemas/NoSuchSchema"`},
}

// TestSpecsAreValid checks that each spec validates as OpenAPI 3.0.3, names
// its production server first, and declares bearer authentication.
func TestSpecsAreValid(t *testing.T) {
	for _, sp := range specs {
		t.Run(sp.path, func(t *testing.T) {
			doc := loadFile(t, sp.path)
			if got, want := doc.OpenAPI, "3.0.3"; got != want {
				t.Errorf("openapi = %q; want %q", got, want)
			}
			if len(doc.Servers) == 0 || doc.Servers[0].URL != sp.server {
				t.Errorf("servers = %v; want %s first", doc.Servers, sp.server)
			}
			if s := doc.Components.SecuritySchemes["bearerAuth"]; s == nil || s.Value.Scheme != "bearer" {
				t.Errorf("securitySchemes.bearerAuth is missing or not an http bearer scheme")
			}
		})
	}
}

// TestSpecValidationCanFail shows that the validation of each spec, which
// every test here relies on, can fail: a dangling reference must be refused.
func TestSpecValidationCanFail(t *testing.T) {
	for _, sp := range specs {
		t.Run(sp.path, func(t *testing.T) {
			good := string(readFile(t, sp.path))
			if !strings.Contains(good, sp.old) {
				t.Fatalf("the spec no longer contains %q; update this test", sp.old)
			}
			if _, err := load(t, []byte(strings.Replace(good, sp.old, sp.broken, 1))); err == nil {
				t.Error("a spec with a dangling reference validated; want an error")
			}
		})
	}
}

// TestSpecMatchesServer checks the facts that the reference records about the
// real server and that the docs' Swagger leaves out or gets wrong.
func TestSpecMatchesServer(t *testing.T) {
	doc := loadFile(t, specPath)
	item := doc.Paths.Find("/api/v1/app/oauth")
	if item == nil || item.Post == nil {
		t.Fatal("POST /api/v1/app/oauth is missing")
	}
	op := item.Post
	if got, want := op.OperationID, "generateAccessToken"; got != want {
		t.Errorf("operationId = %q; want %q", got, want)
	}

	params := map[string]*openapi3.Parameter{}
	for _, p := range op.Parameters {
		params[p.Value.In+":"+p.Value.Name] = p.Value
		if p.Value.Description == "" {
			t.Errorf("parameter %s has no description", p.Value.Name)
		}
	}
	wantParams := []struct {
		key      string
		required bool
		typ      string
	}{
		{"header:X-Api-Secret-Key", true, "string"},
		{"header:Origin", false, "string"},
		{"header:ExpiresIn", false, "integer"},
		{"query:grant_type", false, "string"},
	}
	for _, w := range wantParams {
		p := params[w.key]
		if p == nil {
			t.Errorf("parameter %s is missing", w.key)
			continue
		}
		if p.Required != w.required {
			t.Errorf("%s required = %v; want %v", w.key, p.Required, w.required)
		}
		if !p.Schema.Value.Type.Is(w.typ) {
			t.Errorf("%s type = %v; want %s", w.key, p.Schema.Value.Type, w.typ)
		}
	}
	if p := params["header:ExpiresIn"]; p != nil {
		if m := p.Schema.Value.Min; m == nil || *m != 1 {
			t.Errorf("ExpiresIn minimum = %v; want 1", m)
		}
	}
	if p := params["query:grant_type"]; p != nil {
		// The server does not validate grant_type for SSI apps: an open
		// string, with the known values documented, not a closed enum.
		sc := p.Schema.Value
		if len(sc.Enum) != 0 {
			t.Errorf("grant_type enum = %v; want none", sc.Enum)
		}
		if err := sc.VisitJSON("client_credentials"); err != nil {
			t.Errorf("grant_type refuses an unknown value: %v", err)
		}
		for _, v := range []string{"access_service_ssi", "access_service_kyc", "access_service_kyb", "access_service_quest"} {
			if !strings.Contains(sc.Description, v) {
				t.Errorf("grant_type's description does not document %s", v)
			}
		}
	}

	schemaOf := func(status int) *openapi3.Schema {
		t.Helper()
		r := op.Responses.Status(status)
		if r == nil {
			t.Fatalf("response %d is missing", status)
		}
		mt := r.Value.Content.Get("application/json")
		if mt == nil {
			t.Fatalf("response %d has no application/json content", status)
		}
		return mt.Schema.Value
	}

	ok := schemaOf(200)
	for prop, typ := range map[string]string{"access_token": "string", "tokenType": "string", "expiresIn": "number"} {
		p := ok.Properties[prop]
		if p == nil {
			t.Errorf("200 lacks property %s", prop)
			continue
		}
		if !p.Value.Type.Is(typ) {
			t.Errorf("200 %s type = %v; want %s", prop, p.Value.Type, typ)
		}
		if !slices.Contains(ok.Required, prop) {
			t.Errorf("200 %s is not required", prop)
		}
	}
	for _, status := range []int{400, 401} {
		msg := schemaOf(status).Properties["message"]
		if msg == nil || len(msg.Value.OneOf) != 3 {
			t.Errorf("%d message is not a oneOf of three shapes", status)
			continue
		}
		var kinds []string
		for _, s := range msg.Value.OneOf {
			kind := s.Value.Type.Slice()[0]
			if s.Value.Items != nil {
				kind += " of " + s.Value.Items.Value.Type.Slice()[0]
			}
			kinds = append(kinds, kind)
		}
		slices.Sort(kinds)
		if want := []string{"array of object", "array of string", "string"}; !slices.Equal(kinds, want) {
			t.Errorf("%d message oneOf types = %v; want %v", status, kinds, want)
		}
		// Each message shape matches exactly one branch, the empty list included.
		for _, m := range []any{"x", []any{}, []any{"a", "b"}, []any{map[string]any{"property": "p", "constraints": map[string]any{"r": "text"}}}} {
			if err := msg.Value.VisitJSON(m); err != nil {
				t.Errorf("%d message %v: %v", status, m, err)
			}
		}
	}
	if s := schemaOf(429); !s.Type.Is("string") {
		t.Errorf("429 body type = %v; want a bare string", s.Type)
	}
	internal := schemaOf(500)
	for _, prop := range []string{"timestamp", "path"} {
		if internal.Properties[prop] == nil || !slices.Contains(internal.Required, prop) {
			t.Errorf("500 lacks required property %s", prop)
		}
	}
}

// TestSpecDescribesEverything requires a description on every schema and
// property, so that the generated code carries useful doc comments.
func TestSpecDescribesEverything(t *testing.T) {
	doc := loadFile(t, specPath)
	var walk func(path string, s *openapi3.SchemaRef)
	walk = func(path string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil {
			return
		}
		if s.Ref == "" && s.Value.Description == "" {
			t.Errorf("%s has no description", path)
		}
		for name, p := range s.Value.Properties {
			walk(path+"."+name, p)
		}
		walk(path+"[]", s.Value.Items)
	}
	for name, s := range doc.Components.Schemas {
		if s.Value.Description == "" {
			t.Errorf("schema %s has no description", name)
		}
		walk(name, s)
	}
}
