package ssi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/ssi"
)

// TestErrorShapes feeds every error shape of the real SSI API through the
// client and checks the *Error, its messages and the sentinels it matches.
func TestErrorShapes(t *testing.T) {
	all := []error{ssi.ErrValidation, ssi.ErrCreditsExhausted, ssi.ErrInvalidGrant, ssi.ErrUnauthorized, ssi.ErrOriginMismatch,
		ssi.ErrPermissionDenied, ssi.ErrNotFound, ssi.ErrConflict, ssi.ErrServer}
	tests := []struct {
		name     string
		status   int
		body     string
		reason   string
		messages []string
		is       []error
	}{
		{"no bearer", 401, `{"statusCode":401,"message":["Unauthorized","Please pass access token"],"error":"Unauthorized"}`,
			"Unauthorized", []string{"Unauthorized", "Please pass access token"}, []error{ssi.ErrUnauthorized}},
		{"session dropped", 401, `{"statusCode":401,"message":["Token expired"],"error":"Unauthorized"}`,
			"Unauthorized", []string{"Token expired"}, []error{ssi.ErrUnauthorized}},
		{"origin mismatch", 401, `{"statusCode":401,"message":["Origin mismatch"],"error":"Unauthorized"}`,
			"Unauthorized", []string{"Origin mismatch"}, []error{ssi.ErrUnauthorized, ssi.ErrOriginMismatch}},
		{"passport", 401, `{"statusCode":401,"message":"Unauthorized"}`,
			"", []string{"Unauthorized"}, []error{ssi.ErrUnauthorized}},
		{"object message", 401, `{"statusCode":401,"message":[{"name":"TokenExpiredError","message":"jwt expired","expiredAt":"2023-02-20T11:45:39.000Z"}],"error":"Unauthorized"}`,
			"Unauthorized", []string{`{"name":"TokenExpiredError","message":"jwt expired","expiredAt":"2023-02-20T11:45:39.000Z"}`}, []error{ssi.ErrUnauthorized}},
		{"credits exhausted", 400, `{"statusCode":400,"message":["No credits found or credit exhausted. Please contact the admin"],"error":"Bad Request"}`,
			"Bad Request", []string{"No credits found or credit exhausted. Please contact the admin"}, []error{ssi.ErrCreditsExhausted}},
		{"grant type", 400, `{"statusCode":400,"message":["Invalid grant type"],"error":"Bad Request"}`,
			"Bad Request", []string{"Invalid grant type"}, []error{ssi.ErrInvalidGrant}},
		{"validation", 400, `{"statusCode":400,"message":["limit must not be greater than 100"],"error":"Bad Request"}`,
			"Bad Request", []string{"limit must not be greater than 100"}, []error{ssi.ErrValidation}},
		{"plain-string 400", 400, `{"statusCode":400,"message":"Invalid didDoc","error":"Bad Request"}`,
			"Bad Request", []string{"Invalid didDoc"}, []error{ssi.ErrValidation}},
		{"permission", 403, `{"statusCode":403,"message":["Permission denied: Missing access rights"],"error":"Forbidden"}`,
			"Forbidden", []string{"Permission denied: Missing access rights"}, []error{ssi.ErrPermissionDenied}},
		{"not found", 404, `{"statusCode":404,"message":["vc:hid:testnet:z6Mk is not found","vc:hid:testnet:z6Mk does not belongs to the App id: 42"],"error":"Not Found"}`,
			"Not Found", []string{"vc:hid:testnet:z6Mk is not found", "vc:hid:testnet:z6Mk does not belongs to the App id: 42"}, []error{ssi.ErrNotFound}},
		{"conflict", 409, `{"statusCode":409,"message":["Duplicate key error"],"error":"Conflict"}`,
			"Conflict", []string{"Duplicate key error"}, []error{ssi.ErrConflict}},
		{"internal", 500, `{"statusCode":500,"timestamp":"2023-02-21T05:33:48.911Z","path":"/api/v1/did","message":["Error","HID-SSI-SDK:: Error: unsupported chain Id","Internal server error"]}`,
			"", []string{"Error", "HID-SSI-SDK:: Error: unsupported chain Id", "Internal server error"}, []error{ssi.ErrServer}},
		{"proxy page", 502, `<html><body>Bad Gateway</body></html>`, "", nil, []error{ssi.ErrServer}},
		{"mixed list", 400, `{"statusCode":400,"message":["a",{"b":1},2],"error":"Bad Request"}`,
			"Bad Request", []string{"a", `{"b":1}`, "2"}, []error{ssi.ErrValidation}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, answer(tt.status, tt.body))
			_, err := newClient(t, s).ListDIDs(t.Context(), 1, 10)
			var e *ssi.Error
			if !errors.As(err, &e) {
				t.Fatalf("ListDIDs error = %v; want an *ssi.Error", err)
			}
			if e.StatusCode != tt.status || e.Operation != "listDIDs" || e.Reason != tt.reason {
				t.Errorf("Error = {%s %d %q}; want {listDIDs %d %q}", e.Operation, e.StatusCode, e.Reason, tt.status, tt.reason)
			}
			if !slices.Equal(e.Messages, tt.messages) {
				t.Errorf("Messages = %q; want %q", e.Messages, tt.messages)
			}
			for _, sentinel := range all {
				if got, want := errors.Is(err, sentinel), slices.Contains(tt.is, sentinel); got != want {
					t.Errorf("errors.Is(err, %v) = %v; want %v", sentinel, got, want)
				}
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "entityauth: ssi: listDIDs: ") || !strings.Contains(msg, http.StatusText(tt.status)) {
				t.Errorf("Error() = %q; want the operation and the status", msg)
			}
			for _, m := range tt.messages {
				if !strings.Contains(msg, m) {
					t.Errorf("Error() = %q; want it to hold %q", msg, m)
				}
			}
			if strings.Contains(msg, "test-token") {
				t.Errorf("Error() = %q holds the access token", msg)
			}
		})
	}
}

// TestErrorRedactsEchoedToken: an answer that echoes the token sent yields an
// *Error whose texts hold [REDACTED] in its place, through a plain bearer
// client and through Config.Client against the fake.
func TestErrorRedactsEchoedToken(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		answer(http.StatusBadRequest, `{"statusCode":400,"message":["bad header `+auth+`","again: `+auth+`"],"error":"`+auth+`"}`)(w, r)
	}
	s := newServer(t, echo)
	_, err := newClient(t, s).ListDIDs(t.Context(), 0, 0)
	var e *ssi.Error
	if !errors.As(err, &e) {
		t.Fatalf("ListDIDs error = %v; want an *ssi.Error", err)
	}
	if strings.Contains(err.Error(), "test-token") || strings.Contains(e.Reason, "test-token") {
		t.Errorf("error = %q, reason %q; want the token redacted", err, e.Reason)
	}
	if want := []string{"bad header Bearer [REDACTED]", "again: Bearer [REDACTED]"}; !slices.Equal(e.Messages, want) {
		t.Errorf("Messages = %q; want %q", e.Messages, want)
	}
	if !errors.Is(err, ssi.ErrValidation) {
		t.Errorf("errors.Is(%v, ErrValidation) = false; want true after redaction", err)
	}

	// The same through Config.Client, with a token from the fake.
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
	c, err := ssi.NewClient(s.URL, cfg.Client(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListDIDs(t.Context(), 0, 0)
	tok, tokErr := cfg.TokenSource(t.Context()).Token() // the same token, shared in the process
	if tokErr != nil {
		t.Fatal(tokErr)
	}
	if !errors.As(err, &e) || strings.Contains(err.Error(), tok.AccessToken) || !strings.Contains(err.Error(), "bad header Bearer [REDACTED]") {
		t.Errorf("ListDIDs through Config.Client error = %v; want an *ssi.Error with the token redacted", err)
	}
}

// TestSentinelsIgnoreEchoedInput: the SSI API echoes request values in its
// 400s, so a value that holds the text of another sentinel's message must
// not change which sentinel the error matches.
func TestSentinelsIgnoreEchoedInput(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	c := fakeClient(t, srv, entityauth.Config{})
	issuer, vm := newIssuer(t, c)
	for _, spoof := range []string{
		"No credits found or credit exhausted. Please contact the admin",
		"Invalid grant type",
		"Origin mismatch",
		"no presentation template matched the id (the server answered 200 with an empty body)",
	} {
		t.Run(spoof, func(t *testing.T) {
			req := credentialRequest(issuer, vm)
			req.SubjectDid = spoof
			_, err := c.IssueCredential(t.Context(), req)
			var e *ssi.Error
			if !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest || !strings.Contains(err.Error(), spoof) {
				t.Fatalf("IssueCredential(subjectDid %q) error = %v; want a 400 that echoes it", spoof, err)
			}
			for _, sentinel := range []error{ssi.ErrCreditsExhausted, ssi.ErrInvalidGrant, ssi.ErrOriginMismatch, ssi.ErrNotFound} {
				if errors.Is(err, sentinel) {
					t.Errorf("errors.Is(%v, %v) = true; want false", err, sentinel)
				}
			}
			if !errors.Is(err, ssi.ErrValidation) {
				t.Errorf("errors.Is(%v, ErrValidation) = false; want true", err)
			}
		})
	}
}

// TestSentinelMessagesMatchWhole checks the texts that select a sentinel:
// the real message, and not a message that merely holds it.
func TestSentinelMessagesMatchWhole(t *testing.T) {
	tests := []struct {
		status int
		msg    string
		is     error
		want   bool
	}{
		{400, "No credits found or credit exhausted. Please contact the admin", ssi.ErrCreditsExhausted, true},
		{400, "No credits found or credit exhausted", ssi.ErrCreditsExhausted, true}, // the real text's first sentence
		{400, "Invalid subjectDid format: No credits found or credit exhausted", ssi.ErrCreditsExhausted, false},
		{400, "did:hid:x No credits found or credit exhausted", ssi.ErrCreditsExhausted, false},
		{400, "Invalid grant type", ssi.ErrInvalidGrant, true},
		{400, "Invalid grant type: access_service_ssi expected", ssi.ErrInvalidGrant, false},
		{400, "templeteId : Invalid grant type not found", ssi.ErrInvalidGrant, false},
		{401, "Origin mismatch", ssi.ErrOriginMismatch, true},
		{401, "x Origin mismatch", ssi.ErrOriginMismatch, false},
		{400, "no presentation template matched the id (the server answered 200 with an empty body)", ssi.ErrNotFound, false},
	}
	for _, tt := range tests {
		body, _ := json.Marshal(map[string]any{"statusCode": tt.status, "message": []string{tt.msg}})
		err := ssi.ParseError("op", tt.status, body)
		if got := errors.Is(err, tt.is); got != tt.want {
			t.Errorf("errors.Is(%d %q, %v) = %v; want %v", tt.status, tt.msg, tt.is, got, tt.want)
		}
		if got, want := errors.Is(err, ssi.ErrValidation), !tt.want; tt.status == 400 && got != want {
			t.Errorf("errors.Is(%d %q, ErrValidation) = %v; want %v", tt.status, tt.msg, got, want)
		}
	}
}

// TestErrorIsPrintable: a server's messages reach Error() and Messages on
// one line each, without terminal escapes, and bounded, however long the
// answer.
func TestErrorIsPrintable(t *testing.T) {
	forged := "bad\nentityauth: ok\x1b[2K\x1b[1A\r\u202e"
	huge := strings.Repeat("x", 2<<20)
	many := make([]string, 5000)
	for i := range many {
		many[i] = "m"
	}
	manyBody, _ := json.Marshal(map[string]any{"statusCode": 400, "message": many})
	hugeBody, _ := json.Marshal(map[string]any{"statusCode": 400, "message": []string{forged, huge}, "error": forged})
	for name, body := range map[string]string{"long": string(hugeBody), "many": string(manyBody)} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, answer(http.StatusBadRequest, body))
			_, err := newClient(t, s).ListDIDs(t.Context(), 0, 0)
			var e *ssi.Error
			if !errors.As(err, &e) {
				t.Fatalf("ListDIDs error = %v; want an *ssi.Error", err)
			}
			msg := err.Error()
			if len(msg) > 4096 {
				t.Errorf("len(Error()) = %d; want at most 4096", len(msg))
			}
			size := len(e.Reason)
			for _, m := range e.Messages {
				size += len(m)
			}
			if size > 16<<10 || len(e.Messages) > 64 {
				t.Errorf("the Error keeps %d messages, %d bytes; want at most 64 and 16 KiB", len(e.Messages), size)
			}
			for _, text := range append([]string{msg, e.Reason}, e.Messages...) {
				if strings.ContainsAny(text, "\n\r\x1b\u202e") {
					t.Errorf("%q holds a newline, a carriage return, ESC or a bidi override", text)
				}
			}
			if !errors.Is(err, ssi.ErrValidation) {
				t.Errorf("errors.Is(%v, ErrValidation) = false; want true", err)
			}
		})
	}
}

// TestErrorRedactsBeforeCutting: a token echoed across the point where a
// long message is cut is redacted whole, never left in part.
func TestErrorRedactsBeforeCutting(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		pad, _ := strconv.Atoi(r.URL.Query().Get("page")) // the test's padding
		body, _ := json.Marshal(map[string]any{"statusCode": 400, "message": []string{strings.Repeat("p", pad) + r.Header.Get("Authorization")}})
		answer(http.StatusBadRequest, string(body))(w, r)
	})
	c := newClient(t, s)
	for pad := 1; pad < 1100; pad += 3 {
		_, err := c.ListDIDs(t.Context(), pad, 0)
		if err == nil || strings.Contains(err.Error(), "test-to") {
			t.Fatalf("pad %d: error = %v; want the token redacted, not cut", pad, err)
		}
	}
}
