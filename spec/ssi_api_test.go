package spec_test

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const ssiSpecPath = "ssi-api.yaml"

// ssiOperations lists every operation that spec/ssi-api.yaml must keep, by
// operationId, with its method, path and success status. The operationIds name
// the generated methods that users code against, so none may change.
var ssiOperations = []struct {
	id, method, path string
	success          int
}{
	{"listDIDs", http.MethodGet, "/api/v1/did", 200},
	{"resolveDID", http.MethodGet, "/api/v1/did/resolve/{did}", 200},
	{"createDID", http.MethodPost, "/api/v1/did/create", 201},
	{"registerDID", http.MethodPost, "/api/v1/did/register", 201},
	{"updateDID", http.MethodPatch, "/api/v1/did", 200},
	{"addVerificationMethod", http.MethodPost, "/api/v1/did/addVerificationMethod", 201},
	{"signDIDAuth", http.MethodPost, "/api/v1/did/auth/sign", 201},
	{"verifyDIDAuth", http.MethodPost, "/api/v1/did/auth/verify", 201},
	{"listCredentials", http.MethodGet, "/api/v1/credential", 200},
	{"getCredential", http.MethodGet, "/api/v1/credential/{id}", 200},
	{"issueCredential", http.MethodPost, "/api/v1/credential/issue", 201},
	{"updateCredentialStatus", http.MethodPatch, "/api/v1/credential/status/{id}", 200},
	{"registerCredentialStatus", http.MethodPost, "/api/v1/credential/status/register", 201},
	{"createPresentationTemplate", http.MethodPost, "/api/v1/presentation/template", 201},
	{"listPresentationTemplates", http.MethodGet, "/api/v1/presentation/template", 200},
	{"getPresentationTemplate", http.MethodGet, "/api/v1/presentation/template/{id}", 200},
	{"updatePresentationTemplate", http.MethodPatch, "/api/v1/presentation/template/{id}", 200},
	{"deletePresentationTemplate", http.MethodDelete, "/api/v1/presentation/template/{id}", 200},
	{"createPresentationRequest", http.MethodPost, "/api/v1/presentation/request", 201},
	{"verifyPresentation", http.MethodPost, "/api/v1/presentation/verify", 201},
	{"getSSIStatus", http.MethodGet, "/api/v1/status/ssi/{id}", 200},
	{"getTransactionStatus", http.MethodGet, "/api/v1/status/transaction/{hash}", 200},
	{"registerDIDV2", http.MethodPost, "/api/v1/did/register/v2", 201},
	{"issueDIDJWT", http.MethodPost, "/api/v1/did/auth/issue-jwt", 201},
	{"createPresentation", http.MethodPost, "/api/v1/presentation", 200},
	{"getUsage", http.MethodGet, "/api/v1/usage", 200},
	{"getUsageDetail", http.MethodGet, "/api/v1/usage/detail", 200},
}

// operations returns the spec's operations by operationId.
func operations(doc *openapi3.T) map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ops[op.OperationID] = op
		}
	}
	return ops
}

// TestSSISpecKeepsOperations fails when an operationId that users code against
// goes missing or moves, and when an operation appears that this test does not know.
func TestSSISpecKeepsOperations(t *testing.T) {
	doc := loadFile(t, ssiSpecPath)
	ops := operations(doc)
	for _, want := range ssiOperations {
		item := doc.Paths.Find(want.path)
		if item == nil {
			t.Errorf("path %s is missing", want.path)
			continue
		}
		op := item.GetOperation(want.method)
		if op == nil || op.OperationID != want.id {
			t.Errorf("%s %s: operation missing or renamed; want operationId %s", want.method, want.path, want.id)
			continue
		}
		if op.Responses.Status(want.success) == nil {
			t.Errorf("%s: no %d response", want.id, want.success)
		}
		for code := range op.Responses.Map() {
			if n, err := strconv.Atoi(code); err == nil && n >= 200 && n < 300 && n != want.success {
				t.Errorf("%s: success status %d; want only %d", want.id, n, want.success)
			}
		}
	}
	known := map[string]bool{}
	for _, o := range ssiOperations {
		known[o.id] = true
	}
	for _, id := range slices.Sorted(maps.Keys(ops)) {
		if !known[id] {
			t.Errorf("operation %s is not in ssiOperations; add it to the list", id)
		}
	}
}

// TestSSISpecExcludesAPIKeyForbiddenRoutes keeps out the routes that refuse
// API-key tokens with 403: the schema routes and POST /credential/verify.
func TestSSISpecExcludesAPIKeyForbiddenRoutes(t *testing.T) {
	doc := loadFile(t, ssiSpecPath)
	for path := range doc.Paths.Map() {
		if strings.HasPrefix(path, "/api/v1/schema") {
			t.Errorf("path %s is a schema route; API-key tokens get 403 there", path)
		}
	}
	if item := doc.Paths.Find("/api/v1/credential/verify"); item != nil && item.Post != nil {
		t.Error("POST /api/v1/credential/verify is in the spec; API-key tokens get 403 there")
	}
}

// TestSSISpecDeclaresEveryStatus checks bearerAuth and the error statuses that the
// source gives each operation.
func TestSSISpecDeclaresEveryStatus(t *testing.T) {
	doc := loadFile(t, ssiSpecPath)
	ops := operations(doc)
	if len(doc.Security) != 1 || doc.Security[0]["bearerAuth"] == nil {
		t.Errorf("top-level security = %v; want bearerAuth", doc.Security)
	}
	// Each operation answers 400 (validation, grant type, credits), 401 and 500.
	// 403 comes from the access guard, 404 and 409 from the services.
	extra := map[string][]int{
		"listDIDs": {403}, "resolveDID": {403}, "createDID": {403, 409}, "registerDID": {403, 404},
		"updateDID": {403, 404}, "addVerificationMethod": {403}, "signDIDAuth": {403}, "verifyDIDAuth": {403},
		"listCredentials": {403}, "getCredential": {403, 404}, "issueCredential": {403, 404},
		"updateCredentialStatus": {404}, "registerCredentialStatus": {403},
		"getPresentationTemplate": {404}, "deletePresentationTemplate": {404},
		"getSSIStatus": {403}, "getTransactionStatus": {403},
		"registerDIDV2": {403, 404}, "issueDIDJWT": {403}, "createPresentation": {404},
	}
	// issueDIDJWT's vault failures are HttpExceptions: a 500 without timestamp and path.
	internal := map[string]string{"issueDIDJWT": "InternalOrHTTPError"}
	for _, o := range ssiOperations {
		op := ops[o.id]
		if op == nil {
			continue // TestSSISpecKeepsOperations reports it.
		}
		if op.Security != nil {
			t.Errorf("%s overrides security; every operation needs bearerAuth", o.id)
		}
		var got []int
		for code := range op.Responses.Map() {
			if n, err := strconv.Atoi(code); err == nil && n >= 400 {
				got = append(got, n)
			}
		}
		want := append([]int{400, 401, 500}, extra[o.id]...)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s error statuses = %v; want %v", o.id, got, want)
		}
		for _, code := range got {
			r := op.Responses.Status(code).Value
			if r.Description == nil || *r.Description == "" {
				t.Errorf("%s %d has no description", o.id, code)
			}
			mt := r.Content.Get("application/json")
			if mt == nil {
				t.Errorf("%s %d has no JSON body", o.id, code)
				continue
			}
			want := "HTTPError"
			if code == 500 {
				want = cmp.Or(internal[o.id], "InternalError")
			}
			if !strings.HasSuffix(mt.Schema.Ref, "/"+want) {
				t.Errorf("%s %d body = %q; want %s", o.id, code, mt.Schema.Ref, want)
			}
		}
	}
	unauthorized := doc.Components.Responses["Unauthorized"].Value.Description
	for _, variant := range []string{"Please pass access token", "Invalid or expired token", "Missing sessionId", "Token expired", "Origin mismatch", `"message":"Unauthorized"`} {
		if !strings.Contains(*unauthorized, variant) {
			t.Errorf("the 401 response does not describe %q", variant)
		}
	}
	if d := doc.Components.Schemas["HTTPError"].Value.Description; !strings.Contains(d, "No credits found or credit exhausted") {
		t.Error("HTTPError does not describe the 400 for exhausted credits")
	}
}

// TestSSISpecErrorMessageUnion checks that message is string | string[] | object[].
func TestSSISpecErrorMessageUnion(t *testing.T) {
	doc := loadFile(t, ssiSpecPath)
	msg := doc.Components.Schemas["HTTPError"].Value.Properties["message"].Value
	var shapes []string
	for _, s := range msg.OneOf {
		shape := strings.Join(s.Value.Type.Slice(), "")
		if s.Value.Items != nil {
			shape += "[" + strings.Join(s.Value.Items.Value.Type.Slice(), "") + "]"
		}
		shapes = append(shapes, shape)
	}
	slices.Sort(shapes)
	if want := []string{"array[object]", "array[string]", "string"}; !slices.Equal(shapes, want) {
		t.Errorf("message shapes = %v; want %v", shapes, want)
	}
	for _, body := range []string{`"x"`, `["x","y"]`, `[{"name":"TokenExpiredError"}]`} {
		if err := visitJSON(t, msg, body); err != nil {
			t.Errorf("message %s does not validate: %v", body, err)
		}
	}
	if err := visitJSON(t, msg, `42`); err == nil {
		t.Error("message 42 validated; want an error")
	}
}

// TestSSISpecDescribesEverything requires a description on every operation,
// parameter, response, schema and property, so the generated code carries doc comments.
func TestSSISpecDescribesEverything(t *testing.T) {
	doc := loadFile(t, ssiSpecPath)
	var walk func(path string, s *openapi3.SchemaRef)
	walk = func(path string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || s.Ref != "" {
			return
		}
		if s.Value.Description == "" {
			t.Errorf("%s has no description", path)
		}
		for name, p := range s.Value.Properties {
			walk(path+"."+name, p)
		}
		walk(path+"[]", s.Value.Items)
		for i, sub := range s.Value.AllOf {
			walk(path+".allOf"+strconv.Itoa(i), sub)
		}
	}
	for name, s := range doc.Components.Schemas {
		walk(name, s)
	}
	for name, p := range doc.Components.Parameters {
		if p.Value.Description == "" {
			t.Errorf("parameter %s has no description", name)
		}
		walk("parameter "+name, p.Value.Schema)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.Summary == "" || op.Description == "" {
				t.Errorf("%s lacks a summary or a description", where)
			}
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p.Value.Description == "" {
					t.Errorf("%s parameter %s has no description", where, p.Value.Name)
				}
				walk(where+" "+p.Value.Name, p.Value.Schema)
			}
			if op.RequestBody != nil && op.RequestBody.Ref == "" {
				for _, mt := range op.RequestBody.Value.Content {
					walk(where+" body", mt.Schema)
				}
			}
		}
	}
}

func visitJSON(t *testing.T, s *openapi3.Schema, body string) error {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("bad test JSON %s: %v", body, err)
	}
	return s.VisitJSON(v)
}
