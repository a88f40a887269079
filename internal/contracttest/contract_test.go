package contracttest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// tokenRoute loads spec/openapi.yaml and returns the route of the token endpoint.
func tokenRoute(t *testing.T) *routers.Route {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../../spec/openapi.yaml")
	if err != nil {
		t.Fatalf("loading the spec: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validating the spec: %v", err)
	}
	item := doc.Paths.Find("/api/v1/app/oauth")
	if item == nil || item.Post == nil {
		t.Fatal("the spec has no POST /api/v1/app/oauth")
	}
	return &routers.Route{Spec: doc, Path: "/api/v1/app/oauth", PathItem: item, Method: http.MethodPost, Operation: item.Post}
}

// validate runs one exchange through openapi3filter, returning the
// request's and the response's validation errors.
func validate(route *routers.Route, req *http.Request, status int, header http.Header, body []byte) (reqErr, respErr error) {
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: map[string]string{},
		Route:      route,
		Options:    &openapi3filter.Options{IncludeResponseStatus: true},
	}
	reqErr = openapi3filter.ValidateRequest(ctx, in)
	respErr = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                in.Options,
	})
	return reqErr, respErr
}

// TestContract sends every answer the fake gives on the token endpoint through
// kin-openapi's validator against spec/openapi.yaml, requests and responses.
func TestContract(t *testing.T) {
	route := tokenRoute(t)
	tests := []struct {
		name       string
		opts       entityauthtest.Options
		faults     []entityauthtest.Fault
		before     int // requests sent first (to reach the rate limit, or to create the session)
		setup      func(*entityauthtest.Server)
		req        tokenRequest
		wantStatus int
		// wantReqValid says whether the request itself conforms to the spec:
		// the server also answers requests that do not.
		wantReqValid bool
	}{
		{name: "200 default lifetime", wantStatus: 200, wantReqValid: true},
		{name: "200 ExpiresIn", req: tokenRequest{expiresIn: "12", grant: "grant_type=access_service_ssi"}, wantStatus: 200, wantReqValid: true},
		{name: "200 ExpiresIn without maximum", req: tokenRequest{expiresIn: "2000000"}, wantStatus: 200, wantReqValid: true},
		{name: "200 ExpiresIn empty", req: tokenRequest{header: http.Header{"Expiresin": {""}}}, wantStatus: 200}, // "" is no integer
		{name: "200 unknown grant, no session", req: tokenRequest{grant: "grant_type=client_credentials"}, wantStatus: 200, wantReqValid: true},
		{name: "200 unknown grant copied", before: 1, req: tokenRequest{grant: "grant_type=client_credentials"}, wantStatus: 200, wantReqValid: true},
		{name: "200 two Origin headers", req: tokenRequest{header: http.Header{"Origin": {"https://a.example", "https://b.example"}}}, wantStatus: 200, wantReqValid: true},
		{name: "200 well-formed JSON body", req: tokenRequest{body: `{"ignored":true}`}, wantStatus: 200, wantReqValid: true},
		{name: "400 ExpiresIn 0", req: tokenRequest{expiresIn: "0"}, wantStatus: 400},
		{name: "400 ExpiresIn 4h", req: tokenRequest{expiresIn: "4h"}, wantStatus: 400},
		{name: "400 ExpiresIn 05", req: tokenRequest{expiresIn: "05"}, wantStatus: 400, wantReqValid: true}, // the spec's integer admits "05"; the server does not
		{name: "400 ExpiresIn 0 without a key", req: tokenRequest{key: strp("<absent>"), expiresIn: "0"}, wantStatus: 400},
		{name: "400 malformed JSON body, string message", req: tokenRequest{body: `{"a":}`}, wantStatus: 400, wantReqValid: true},
		{name: "401 missing key", req: tokenRequest{key: strp("<absent>")}, wantStatus: 401},
		{name: "401 wrong key", req: tokenRequest{key: strp("wrong")}, wantStatus: 401, wantReqValid: true},
		{name: "401 legacy string message", opts: entityauthtest.Options{LegacyErrors: true}, req: tokenRequest{key: strp("wrong")}, wantStatus: 401, wantReqValid: true},
		{name: "401 admin user not found", setup: (*entityauthtest.Server).DeleteOwner, wantStatus: 401, wantReqValid: true},
		{name: "400 invalid service ID", opts: entityauthtest.Options{UnknownService: true}, wantStatus: 400, wantReqValid: true},
		{name: "429", opts: entityauthtest.Options{RateLimit: 1}, before: 1, wantStatus: 429, wantReqValid: true},
		{name: "400 objects in message", faults: []entityauthtest.Fault{{Status: 400, JSON: map[string]any{"statusCode": 400, "message": []any{
			map[string]any{"property": "namespace", "constraints": map[string]string{"isString": "namespace must be a string"}},
			map[string]any{"totalCount": 1, "data": []any{map[string]any{"status": 1}}},
		}, "error": "Bad Request"}}}, wantStatus: 400, wantReqValid: true},
		{name: "500 injected", faults: []entityauthtest.Fault{entityauthtest.InternalServerError()}, req: tokenRequest{grant: "grant_type=access_service_ssi"}, wantStatus: 500, wantReqValid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := entityauthtest.Start(t, tt.opts)
			for range tt.before {
				fetchToken(t, s, tokenRequest{})
			}
			if tt.setup != nil {
				tt.setup(s)
			}
			s.Enqueue(entityauthtest.TokenEndpoint, tt.faults...)
			req, body := exchange(t, s, tt.req)
			if body.status != tt.wantStatus {
				t.Fatalf("status = %d (%s); want %d", body.status, body.body, tt.wantStatus)
			}
			reqErr, respErr := validate(route, req, body.status, body.header, []byte(body.body))
			if (reqErr == nil) != tt.wantReqValid {
				t.Errorf("request validation error = %v; want valid = %v", reqErr, tt.wantReqValid)
			}
			if respErr != nil {
				t.Errorf("the response does not match the spec: %v", respErr)
			}
		})
	}
}

// exchange sends one token request and returns it (re-readable) with its answer.
func exchange(t *testing.T, s *entityauthtest.Server, tr tokenRequest) (*http.Request, answer) {
	t.Helper()
	a := fetchToken(t, s, tr)
	reqs := s.Requests()
	last := reqs[len(reqs)-1]
	req, err := http.NewRequestWithContext(t.Context(), last.Method, s.URL+last.Path+"?"+last.RawQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = last.Header
	return req, a
}

// TestContractRejectsUndeclared shows that the contract test can fail: answers
// that the spec does not declare are refused by the same validation.
func TestContractRejectsUndeclared(t *testing.T) {
	route := tokenRoute(t)
	tests := []struct {
		name   string
		fault  entityauthtest.Fault
		header http.Header // overrides the recorded header for validation, if set
	}{
		{name: "418", fault: entityauthtest.Fault{Status: 418, JSON: map[string]any{"statusCode": 418}}},
		{name: "200 without access_token", fault: entityauthtest.Fault{JSON: map[string]any{"expiresIn": 14400, "tokenType": "Bearer"}}},
		{name: "200 expiresIn as string", fault: entityauthtest.Fault{JSON: map[string]any{"access_token": "x", "expiresIn": "14400", "tokenType": "Bearer"}}},
		{name: "400 message objects with text of the wrong type", fault: entityauthtest.Fault{Status: 400, JSON: map[string]any{"statusCode": 400, "message": []any{map[string]any{"constraints": map[string]int{"a": 1}}}}}},
		{name: "401 message as number", fault: entityauthtest.Fault{Status: 401, JSON: map[string]any{"statusCode": 401, "message": 7}}},
		{name: "429 object", fault: entityauthtest.Fault{Status: 429, JSON: map[string]any{"message": "slow down"}}},
		{name: "500 without timestamp", fault: entityauthtest.Fault{Status: 500, JSON: map[string]any{"statusCode": 500, "path": "/api/v1/app/oauth"}}},
		{name: "502 HTML", fault: entityauthtest.Fault{Status: 502, Body: "<html>bad gateway</html>"}},
		{name: "200 HTML", fault: entityauthtest.Fault{Body: "<html>hello</html>"}, header: http.Header{"Content-Type": {"text/html"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := entityauthtest.Start(t, entityauthtest.Options{})
			s.Enqueue(entityauthtest.TokenEndpoint, tt.fault)
			req, a := exchange(t, s, tokenRequest{})
			h := a.header
			if tt.header != nil {
				h = tt.header
			}
			reqErr, respErr := validate(route, req, a.status, h, []byte(a.body))
			if reqErr != nil {
				t.Fatalf("request validation: %v; want a valid request", reqErr)
			}
			if respErr == nil {
				t.Errorf("%d %s validated; want a validation error", a.status, a.body)
			}
		})
	}
	// The same validation accepts a declared answer, so the failures above are about the answers.
	s := entityauthtest.Start(t, entityauthtest.Options{})
	req, a := exchange(t, s, tokenRequest{})
	if _, err := validate(route, req, a.status, a.header, []byte(a.body)); err != nil {
		t.Errorf("a normal 200 failed validation: %v", err)
	}
}
