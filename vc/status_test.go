package vc

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/entity-studio-go/entityauth/internal/ldproof"
)

// statusServer serves hid-node's REST answer body (with status code) for
// every request, and records the paths asked for.
type statusServer struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newStatusServer(t *testing.T, code int, body []byte) *statusServer {
	t.Helper()
	s := &statusServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.EscapedPath())
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *statusServer) requested() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

func statusVerifier(t *testing.T, base string, hc *http.Client, extra ...[]byte) *Verifier {
	t.Helper()
	st, err := HIDNodeStatus(base, hc)
	if err != nil {
		t.Fatal(err)
	}
	return newTestVerifier(t, Options{Status: st, Resolver: vectorResolver(t, extra...)})
}

func TestHIDNodeStatusVectors(t *testing.T) {
	for _, tc := range []struct {
		file     string
		sentinel error
	}{
		{"status/01-live.rest.json", nil},
		{"status/01-revoked.rest.json", ErrRevoked},
	} {
		t.Run(tc.file, func(t *testing.T) {
			srv := newStatusServer(t, http.StatusOK, read(t, tc.file))
			v := statusVerifier(t, srv.URL, srv.Client())
			res, err := v.VerifyCredential(bg, read(t, "vc/01-valid.vc.json"))
			switch {
			case tc.sentinel != nil:
				wantErr(t, err, tc.sentinel, "credentialStatus https://api.prajna.hypersign.id/")
			case err != nil:
				t.Fatal(err)
			case res.Status != StatusLive:
				t.Errorf("Status = %q; want %q", res.Status, StatusLive)
			}
			if got, want := srv.requested(), []string{"/hypersign-protocol/hidnode/ssi/credential/" + vc01ID}; !equalStrings(got, want) {
				t.Errorf("requested %q; want %q", got, want)
			}
		})
	}
}

// TestHIDNodeStatusRefusesBadDocuments changes the status answer: the
// status must then be unavailable, never live.
func TestHIDNodeStatusRefusesBadDocuments(t *testing.T) {
	live := read(t, "status/01-live.rest.json")
	for _, tc := range []struct {
		name     string
		code     int
		body     []byte
		fragment string
	}{
		{"forged remarks", 200, bytes.Replace(live, []byte("Credential is active"), []byte("Credential is fine"), 1), "proof does not verify"},
		{"revoked forged to live", 200, bytes.Replace(read(t, "status/01-revoked.rest.json"), []byte(`"revoked": true`), []byte(`"revoked": false`), 1), "proof does not verify"},
		{"another credential", 200, bytes.ReplaceAll(live, []byte(`"id": "vc:hid:testnet:z6Mkun`), []byte(`"id": "vc:hid:testnet:z6Mkzz`)), "not this credential"},
		{"another issuer", 200, bytes.Replace(live, []byte(`"issuer": "`+issuerDID), []byte(`"issuer": "`+strangerDID), 1), "names issuer"},
		{"not found", 404, []byte(`{"code":5,"message":"credential status not found"}`), "404 Not Found: credential status not found"},
		{"server error", 500, []byte(`oops`), "500 Internal Server Error"},
		{"not a status", 200, []byte(`{"credentialStatus":null}`), "not a credential status"},
		{"not JSON", 200, []byte(`<html>`), "not a credential status"},
		{"too large", 200, bytes.Repeat([]byte(" "), MaxStatusBytes+1), "over"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newStatusServer(t, tc.code, tc.body)
			v := statusVerifier(t, srv.URL, srv.Client())
			res, err := v.VerifyCredential(bg, read(t, "vc/01-valid.vc.json"))
			if res != nil {
				t.Errorf("result = %+v; want nil", res)
			}
			wantErr(t, err, ErrStatusUnavailable, tc.fragment)
			if n := len(srv.requested()); n != 1 {
				t.Errorf("%d requests; want 1 (redirects are not followed)", n)
			}
		})
	}
}

// TestHIDNodeStatusNoRedirects checks that a redirect is not followed: the
// status is unavailable and the other host gets no request.
func TestHIDNodeStatusNoRedirects(t *testing.T) {
	other := newStatusServer(t, http.StatusOK, read(t, "status/01-live.rest.json"))
	srv := httptest.NewServer(http.RedirectHandler(other.URL+"/x", http.StatusFound))
	defer srv.Close()
	v := statusVerifier(t, srv.URL, srv.Client())
	_, err := v.VerifyCredential(bg, read(t, "vc/01-valid.vc.json"))
	wantErr(t, err, ErrStatusUnavailable, "302 Found")
	if got := other.requested(); len(got) != 0 {
		t.Errorf("the redirect's target got %q; want no request", got)
	}
}

// roundTripFunc is an http.RoundTripper from a function: it lets a test see
// the URL that HIDNodeStatus asks for, without any network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestHIDNodeStatusAllowList checks that with baseURL "" the credential's
// status host is used only when it is one of Hypersign's hid-node REST hosts.
func TestHIDNodeStatusAllowList(t *testing.T) {
	live := read(t, "status/01-live.rest.json")
	var mu sync.Mutex
	var asked []string
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		asked = append(asked, r.URL.String())
		mu.Unlock()
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(live)), Request: r}, nil
	})}
	v := statusVerifier(t, "", hc)
	res, err := v.VerifyCredential(bg, read(t, "vc/01-valid.vc.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusLive {
		t.Errorf("Status = %q; want live", res.Status)
	}
	want := "https://api.prajna.hypersign.id/hypersign-protocol/hidnode/ssi/credential/" + vc01ID
	if len(asked) != 1 || asked[0] != want {
		t.Errorf("asked %q; want [%s]", asked, want)
	}

	// A credential that names another host: that host is never asked.
	k := newTestKey("issuer of TestHIDNodeStatusAllowList")
	for _, statusID := range []string{
		"https://status.example/hypersign-protocol/hidnode/ssi/credential/" + vc01ID,
		"http://api.prajna.hypersign.id/hypersign-protocol/hidnode/ssi/credential/" + vc01ID,
		"https://api.prajna.hypersign.id.example/x",
	} {
		asked = nil
		doc := ownCredential(t, k)
		doc["credentialStatus"].(map[string]any)["id"] = statusID
		v := statusVerifier(t, "", hc, k.didDocument(t))
		_, err := v.VerifyCredential(bg, k.sign(t, doc, "assertionMethod", nil))
		wantErr(t, err, ErrStatusUnavailable, "not on one of Hypersign's hid-node REST hosts")
		if len(asked) != 0 {
			t.Errorf("%s: asked %q; want no request", statusID, asked)
		}
	}
}

func TestHIDNodeStatusBaseURL(t *testing.T) {
	for _, base := range []string{"http://api.prajna.hypersign.id", "ftp://127.0.0.1", "127.0.0.1:8080", "https://", "https://h.example/?q=1"} {
		if _, err := HIDNodeStatus(base, nil); err == nil {
			t.Errorf("HIDNodeStatus(%q): no error; want one", base)
		}
	}
	for _, base := range []string{"https://api.prajna.hypersign.id", "http://127.0.0.1:1317/", "http://localhost:1317"} {
		if _, err := HIDNodeStatus(base, nil); err != nil {
			t.Errorf("HIDNodeStatus(%q): %v", base, err)
		}
	}
}

// signedStatus returns hid-node's REST answer for a credential of k, signed
// by k as hid-node canonicalizes it (revoked and suspended left out when
// false, clientSpecType not signed).
func signedStatus(t *testing.T, k testKey, credID string, revoked, suspended bool, remarks string) []byte {
	t.Helper()
	ctx := []any{"https://raw.githubusercontent.com/hypersign-protocol/hypersign-contexts/main/CredentialStatus.jsonld", "https://w3id.org/security/suites/ed25519-2020/v1"}
	doc := map[string]any{"@context": ctx, "id": credID, "remarks": remarks, "issuer": k.did, "issuanceDate": "2025-01-16T07:42:48Z", "credentialMerkleRootHash": "f26bfc64"}
	if revoked {
		doc["revoked"] = true
	}
	if suspended {
		doc["suspended"] = true
	}
	proof := map[string]any{"type": "Ed25519Signature2020", "created": "2025-02-01T00:00:00Z", "verificationMethod": k.vm, "proofPurpose": "assertionMethod"}
	data, _, err := processor.SigningInput(doc, proof, ldproof.HypersignCopy, "")
	if err != nil {
		t.Fatal(err)
	}
	proof["proofValue"] = ldproof.Sign(k.priv, data)
	proof["clientSpecType"] = "CLIENT_SPEC_TYPE_NONE"
	delete(doc, "@context")
	doc["context"] = ctx
	doc["revoked"], doc["suspended"] = revoked, suspended
	b, err := json.Marshal(map[string]any{"credentialStatus": map[string]any{"credentialStatusDocument": doc, "credentialStatusProof": proof}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHIDNodeStatusSuspended(t *testing.T) {
	k := newTestKey("issuer of TestHIDNodeStatusSuspended")
	raw := k.sign(t, ownCredential(t, k), "assertionMethod", nil)
	for _, tc := range []struct {
		revoked, suspended bool
		sentinel           error
	}{
		{false, false, nil},
		{false, true, ErrSuspended},
		{true, false, ErrRevoked},
		{true, true, ErrRevoked},
	} {
		srv := newStatusServer(t, http.StatusOK, signedStatus(t, k, vc01ID, tc.revoked, tc.suspended, "remarks"))
		v := statusVerifier(t, srv.URL, srv.Client(), k.didDocument(t))
		res, err := v.VerifyCredential(bg, raw)
		switch {
		case tc.sentinel == nil && err != nil:
			t.Errorf("revoked %v, suspended %v: %v", tc.revoked, tc.suspended, err)
		case tc.sentinel == nil && res.Status != StatusLive:
			t.Errorf("revoked %v, suspended %v: Status = %q; want live", tc.revoked, tc.suspended, res.Status)
		case tc.sentinel != nil:
			wantErr(t, err, tc.sentinel)
		}
	}

	// A status document signed by another key than the issuer's.
	other := newTestKey("not the issuer")
	body := signedStatus(t, other, vc01ID, false, false, "remarks")
	body = bytes.ReplaceAll(body, []byte(other.did+`"`), []byte(k.did+`"`))
	srv := newStatusServer(t, http.StatusOK, body)
	v := statusVerifier(t, srv.URL, srv.Client(), k.didDocument(t))
	_, err := v.VerifyCredential(bg, raw)
	wantErr(t, err, ErrStatusUnavailable, other.vm, "not in "+k.did+"'s assertionMethod")
}

func TestStatusNone(t *testing.T) {
	srv := newStatusServer(t, http.StatusOK, read(t, "status/01-live.rest.json"))
	v := statusVerifier(t, srv.URL, srv.Client())
	// vc/09 names a status, which this server answers with vc/01's document.
	_, err := v.VerifyCredential(bg, read(t, "vc/09-schemaorg-context.vc.json"))
	wantErr(t, err, ErrStatusUnavailable, "not this credential")
	k := newTestKey("issuer of TestStatusNoneAndNotChecked")
	doc := ownCredential(t, k)
	delete(doc, "credentialStatus")
	v = statusVerifier(t, srv.URL, srv.Client(), k.didDocument(t))
	res, err := v.VerifyCredential(bg, k.sign(t, doc, "assertionMethod", nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusNone || res.StatusID != "" {
		t.Errorf("Status = %q, StatusID = %q; want none, empty", res.Status, res.StatusID)
	}
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n") && len(a) == len(b)
}
