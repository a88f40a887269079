package contracttest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// ssiRouter loads and validates spec/ssi-api.yaml and returns its router,
// with the spec's server replaced by any host.
func ssiRouter(t *testing.T) (routers.Router, *openapi3.T) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../../spec/ssi-api.yaml")
	if err != nil {
		t.Fatalf("loading the spec: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validating the spec: %v", err)
	}
	doc.Servers = nil // match the fake's loopback URL
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r, doc
}

// ssiOperations returns the operationIds of the spec.
func ssiOperations(doc *openapi3.T) []string {
	var ids []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ids = append(ids, op.OperationID)
		}
	}
	sort.Strings(ids)
	return ids
}

// contractRecorder, when set, records the SSI exchanges of ssiClient and
// do: TestSSIContract sets it while it replays the other SSI tests.
var contractRecorder *recorder

// exchange is one recorded request and its answer.
type ssiExchange struct {
	req    *http.Request
	status int
	header http.Header
	body   []byte
}

// recorder keeps every SSI exchange of the transports that wrap makes.
type recorder struct {
	mu  sync.Mutex
	got []ssiExchange
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// wrap returns base, recording.
func (rec *recorder) wrap(base http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if !strings.HasSuffix(req.URL.Path, "/app/oauth") {
			rec.mu.Lock()
			rec.got = append(rec.got, ssiExchange{req: req.Clone(context.Background()), status: resp.StatusCode, header: resp.Header.Clone(), body: b})
			rec.mu.Unlock()
		}
		return resp, nil
	})
}

// validateSSI validates one answer against the spec and returns the
// operation it belongs to.
func validateSSI(t *testing.T, router routers.Router, x ssiExchange) (string, error) {
	t.Helper()
	route, params, err := router.FindRoute(x.req)
	if err != nil {
		return "", err
	}
	in := &openapi3filter.RequestValidationInput{
		Request: x.req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	return route.Operation.OperationID, openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: x.status, Header: x.header, Body: io.NopCloser(bytes.NewReader(x.body)), Options: in.Options,
	})
}

// TestSSIContract runs the SSI tests' scenarios through a recording
// transport and validates every answer, errors included, against
// spec/ssi-api.yaml. Every operation of the spec must have been answered.
func TestSSIContract(t *testing.T) {
	router, doc := ssiRouter(t)
	rec := &recorder{}
	for _, scenario := range []func(*testing.T){TestSSILifecycle, TestSSIPagination, TestSSIAuthOrder, TestSSICredits, TestSSIPermissions, TestSSIValidation, TestSSIPresentations, TestSSIDIDTools,
		TestSSIQueuedLifecycle, TestDisagreement3ResolveUnregisteredOwnDID, TestDisagreement4TemplateNameRecased, TestDisagreement5PartialTemplateUpdate,
		TestDisagreement6RegisterBySignInfosOfCreatedDID, TestDisagreement7IssuedDocument, TestDisagreement8KeyTypes, TestDisagreement9UpdateDIDKeyAgreementAndNotFound,
		TestSSIRegisterDIDV2, TestSSIIssueDIDJWT, TestSSICreatePresentation, TestSSIUsage} {
		contractRecorder = rec
		scenario(t)
		contractRecorder = nil
	}
	seen := map[string]map[int]bool{}
	for _, x := range rec.got {
		op, err := validateSSI(t, router, x)
		if err != nil {
			t.Errorf("%s %s -> %d %s: %v", x.req.Method, x.req.URL, x.status, x.body, err)
			continue
		}
		if seen[op] == nil {
			seen[op] = map[int]bool{}
		}
		seen[op][x.status] = true
	}
	var missing []string
	for _, item := range ssiOperations(doc) {
		if seen[item] == nil {
			missing = append(missing, item)
		}
	}
	if len(missing) > 0 {
		t.Errorf("operations never answered: %v", missing)
	}
	// Every answer that the fake gives to the routes added for issue 19.
	for op, codes := range map[string][]int{
		"registerDIDV2":      {201, 400, 401, 404, 500},
		"issueDIDJWT":        {201, 400, 401},
		"createPresentation": {200, 400, 401, 404, 500},
		"getUsage":           {200, 400, 401},
		"getUsageDetail":     {200, 400, 401},
	} {
		for _, code := range codes {
			if !seen[op][code] {
				t.Errorf("%s never answered %d", op, code)
			}
		}
	}
	var report []string
	for op, st := range seen {
		var codes []int
		for c := range st {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		report = append(report, fmt.Sprint(op, codes))
	}
	sort.Strings(report)
	t.Logf("validated %d answers: %s", len(rec.got), strings.Join(report, "; "))
}

// TestSSIContractRejectsUndeclared shows that the contract test can fail:
// answers that the spec does not declare, queued as faults, are refused by
// the same validation that passes the fake's own answers.
func TestSSIContractRejectsUndeclared(t *testing.T) {
	router, _ := ssiRouter(t)
	tests := []struct {
		name  string
		fault entityauthtest.Fault
	}{
		{"418", entityauthtest.Fault{Status: 418, JSON: map[string]any{"statusCode": 418, "message": []string{"teapot"}}}},
		{"200 list as an array", entityauthtest.Fault{JSON: []map[string]any{{"totalCount": 1, "data": []string{"did:hid:testnet:z"}}}}},
		{"200 without totalCount", entityauthtest.Fault{JSON: map[string]any{"data": []string{}}}},
		{"400 message as number", entityauthtest.Fault{Status: 400, JSON: map[string]any{"statusCode": 400, "message": 7}}},
		{"500 without timestamp", entityauthtest.Fault{Status: 500, JSON: map[string]any{"statusCode": 500, "path": "/api/v1/did", "message": []string{"x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := entityauthtest.Start(t, entityauthtest.Options{})
			rec := &recorder{}
			contractRecorder = rec
			defer func() { contractRecorder = nil }()
			tok := token(t, s, tokenRequest{})
			s.Enqueue(entityauthtest.APIEndpoint, tt.fault)
			getAPI(t, s, "/api/v1/did", tok)
			getAPI(t, s, "/api/v1/did", tok) // the fake's own answer
			if len(rec.got) != 2 {
				t.Fatalf("recorded %d exchanges; want 2", len(rec.got))
			}
			if _, err := validateSSI(t, router, rec.got[0]); err == nil {
				t.Errorf("%d %s validated; want a validation error", rec.got[0].status, rec.got[0].body)
			}
			if _, err := validateSSI(t, router, rec.got[1]); err != nil {
				t.Errorf("the fake's own answer failed validation: %v", err)
			}
		})
	}
}
