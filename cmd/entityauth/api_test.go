package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// ssiRequest is one request as an ssiServer received it.
type ssiRequest struct {
	Method, Path, Query, Auth, ContentType, Body string
}

// ssiServer is an httptest SSI API that records its requests and answers
// them with answer. The tokens come from an entityauthtest server, which the
// handler cannot verify: it checks only that a Bearer token came.
type ssiServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []ssiRequest
}

func startSSI(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *ssiServer {
	t.Helper()
	s := &ssiServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		s.mu.Lock()
		s.reqs = append(s.reqs, ssiRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)})
		s.mu.Unlock()
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer eyJ") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"statusCode":401,"message":["Unauthorized","Please pass access token"],"error":"Unauthorized"}`)
			return
		}
		answer(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *ssiServer) requests() []ssiRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// apiEnv returns a token service (the fake) and an SSI API (an httptest
// server answering with answer), and an environment pointed at both.
func apiEnv(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (*entityauthtest.Server, *ssiServer, *env) {
	t.Helper()
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	api := startSSI(t, answer)
	return srv, api, newEnv(t, envSecret+"="+srv.APIKey(), envBaseURL+"="+srv.URL, envSSIURL+"="+api.URL)
}

// listOf answers GET requests with pages of n items "item-1" … "item-n",
// following page and limit (defaults 1 and 10) as the SSI API does.
func listOf(n int) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		page, limit := 1, 10
		if p := r.URL.Query().Get("page"); p != "" {
			page, _ = strconv.Atoi(p)
		}
		if l := r.URL.Query().Get("limit"); l != "" {
			limit, _ = strconv.Atoi(l)
		}
		data := []string{}
		for i := (page-1)*limit + 1; i <= page*limit && i <= n; i++ {
			data = append(data, "item-"+strconv.Itoa(i))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"totalCount": n, "data": data})
	}
}

// merged decodes the output of --paginate.
func merged(t *testing.T, stdout string) (total int, data []string) {
	t.Helper()
	var out struct {
		TotalCount *int      `json:"totalCount"`
		Data       *[]string `json:"data"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.TotalCount == nil || out.Data == nil {
		t.Fatalf("stdout = %.200q; want {\"totalCount\":N,\"data\":[…]} (%v)", stdout, err)
	}
	if strings.Count(stdout, "\n") != 1 || !strings.HasSuffix(stdout, "\n") {
		t.Errorf("stdout = %.200q; want one line", stdout)
	}
	return *out.TotalCount, *out.Data
}

// itemsFrom returns the items that listOf(250) holds from item first on.
func itemsFrom(first int) []string {
	var s []string
	for i := first; i <= 250; i++ {
		s = append(s, "item-"+strconv.Itoa(i))
	}
	return s
}

// TestAPIPaginate: --paginate asks for page 1, 2, … with limit 100 (or the
// PATH's limit, from the PATH's page) until totalCount, keeps the PATH's
// other query values, and prints one merged list.
func TestAPIPaginate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		path    string
		queries []string
		data    []string
	}{
		{"limit 100", "/api/v1/did", []string{"limit=100&page=1", "limit=100&page=2", "limit=100&page=3"}, itemsFrom(1)},
		{"no leading slash, flag after PATH", "api/v1/did", []string{"limit=100&page=1", "limit=100&page=2", "limit=100&page=3"}, itemsFrom(1)},
		{"the PATH's limit", "/api/v1/did?limit=120", []string{"limit=120&page=1", "limit=120&page=2", "limit=120&page=3"}, itemsFrom(1)},
		{"the PATH's page and other values", "/api/v1/credential?issuerDid=did%3Ahid%3Ax&page=2&limit=100",
			[]string{"issuerDid=did%3Ahid%3Ax&limit=100&page=2", "issuerDid=did%3Ahid%3Ax&limit=100&page=3"}, itemsFrom(101)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, api, e := apiEnv(t, listOf(250))
			args := []string{"api", "--paginate", tc.path}
			if strings.Contains(tc.name, "flag after") {
				args = []string{"api", tc.path, "--paginate"}
			}
			r := e.run("", args...)
			r.want(t, 0, args...)
			total, data := merged(t, r.stdout)
			if total != 250 {
				t.Errorf("totalCount = %d; want 250", total)
			}
			if !slices.Equal(data, tc.data) {
				t.Errorf("data = %d items %.3q…; want %d items %.3q…", len(data), data, len(tc.data), tc.data)
			}
			var queries []string
			for _, req := range api.requests() {
				if req.Method != http.MethodGet || req.Path != strings.Split("/"+strings.TrimPrefix(tc.path, "/"), "?")[0] {
					t.Errorf("request %s %s; want GET of the PATH", req.Method, req.Path)
				}
				queries = append(queries, req.Query)
			}
			if !slices.Equal(queries, tc.queries) {
				t.Errorf("queries = %q; want %q", queries, tc.queries)
			}
			if r.stderr != "" {
				t.Errorf("stderr = %q; want none", r.stderr)
			}
		})
	}
}

// TestAPIPaginateStops: an empty page ends the walk even before totalCount;
// an empty list is one request; the merged list escapes no HTML.
func TestAPIPaginateStops(t *testing.T) {
	_, api, e := apiEnv(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Query().Get("page") {
		case "1":
			_, _ = io.WriteString(w, `{"totalCount":1000,"data":[{"name":"<a&b>"}]}`)
		default:
			_, _ = io.WriteString(w, `{"totalCount":1000,"data":[]}`)
		}
	})
	r := e.run("", "api", "--paginate", "/api/v1/presentation/template")
	r.want(t, 0)
	if want := `{"totalCount":1000,"data":[{"name":"<a&b>"}]}` + "\n"; r.stdout != want {
		t.Errorf("stdout = %q; want %q", r.stdout, want)
	}
	if n := len(api.requests()); n != 2 {
		t.Errorf("requests = %d; want 2 (the empty page ends the walk)", n)
	}

	_, api, e = apiEnv(t, listOf(0))
	r = e.run("", "api", "--paginate", "/api/v1/did")
	r.want(t, 0)
	if want := `{"totalCount":0,"data":[]}` + "\n"; r.stdout != want {
		t.Errorf("stdout = %q; want %q", r.stdout, want)
	}
	if n := len(api.requests()); n != 1 {
		t.Errorf("requests = %d; want 1", n)
	}
}

// TestAPIPaginateRefusesNonList: an answer that is no {totalCount, data}
// page fails with a clear error and prints nothing; a failed page exits as
// its status says.
func TestAPIPaginateRefusesNonList(t *testing.T) {
	for _, body := range []string{
		`[{"totalCount":1,"data":["did:hid:x"]}]`, // what the fake's GET /did answered before issue 14
		`{"did":"did:hid:x"}`,
		`{"totalCount":1}`,
		`{"data":[]}`,
		`{"totalCount":"1","data":[]}`,
		`not json`,
	} {
		_, _, e := apiEnv(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) })
		r := e.run("", "api", "--paginate", "/api/v1/did/resolve/did:hid:x")
		r.want(t, 1, body)
		if r.stdout != "" {
			t.Errorf("%s: stdout = %q; want none", body, r.stdout)
		}
		if want := `entityauth api: GET /api/v1/did/resolve/did:hid:x: page 1: the answer is not a list page {"totalCount":N,"data":[…]}; call it without --paginate` + "\n"; r.stderr != want {
			t.Errorf("%s: stderr = %q; want %q", body, r.stderr, want)
		}
	}

	_, _, e := apiEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"statusCode":503,"message":"down for maintenance"}`)
			return
		}
		listOf(150)(w, r)
	})
	r := e.run("", "api", "--paginate", "/api/v1/did")
	r.want(t, 75)
	if want := `{"statusCode":503,"message":"down for maintenance"}`; r.stdout != want {
		t.Errorf("stdout = %q; want the failed page's body %q", r.stdout, want)
	}
	if want := "entityauth api: ssi: GET /api/v1/did: 503 Service Unavailable: down for maintenance\n"; r.stderr != want {
		t.Errorf("stderr = %q; want %q", r.stderr, want)
	}
}

// TestAPIOutput: the body exactly as received on stdout (no newline added
// to one that lacks it, none taken from one that ends with it), exit 0 on
// any 2xx, the PATH with or without its slash or as a full URL under the
// base URL, which may have a path of its own.
func TestAPIOutput(t *testing.T) {
	const body = "{\"did\":\"did:hid:testnet:z1\",\"html\":\"<b>&amp;</b>\",\n  \"n\": 1.50}"
	_, api, e := apiEnv(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/prefix/api/v1/status/ssi/1" {
			w.WriteHeader(http.StatusAccepted)
		}
		if r.URL.Path == "/api/v1/did/resolve/did:hid:testnet:z2" {
			_, _ = io.WriteString(w, body+"\n\n")
			return
		}
		_, _ = io.WriteString(w, body)
	})
	if r := e.run("", "api", "/api/v1/did/resolve/did:hid:testnet:z2"); r.stdout != body+"\n\n" {
		t.Errorf("stdout = %q; want %q, as received", r.stdout, body+"\n\n")
	}
	for _, args := range [][]string{
		{"api", "/api/v1/did/resolve/did:hid:testnet:z1"},
		{"api", "api/v1/did/resolve/did:hid:testnet:z1"},
		{"api", api.URL + "/api/v1/did/resolve/did:hid:testnet:z1"},
		{"api", "--api-url", api.URL + "/prefix/", "/api/v1/status/ssi/1"},
		{"api", "--api-url", api.URL + "/prefix", api.URL + "/prefix/api/v1/status/ssi/1"},
		// Relative to the API's root, as in gh api.
		{"api", "did/resolve/did:hid:testnet:z1"},
		{"api", "/did/resolve/did:hid:testnet:z1"},
		{"api", "--api-url", api.URL + "/prefix", "status/ssi/1"},
		{"api", "--api-url", api.URL + "/api/v1/", "did/resolve/did:hid:testnet:z1"},
		{"api", "--api-url", api.URL + "/api/v1", "/api/v1/did/resolve/did:hid:testnet:z1"},
	} {
		r := e.run("", args...)
		r.want(t, 0, args...)
		if r.stdout != body {
			t.Errorf("%q: stdout = %q; want %q, as received", args, r.stdout, body)
		}
		if r.stderr != "" {
			t.Errorf("%q: stderr = %q; want none", args, r.stderr)
		}
	}
	var paths []string
	for _, req := range api.requests() {
		paths = append(paths, req.Method+" "+req.Path)
		checkToken(t, strings.TrimPrefix(req.Auth, "Bearer "))
	}
	want := []string{
		"GET /api/v1/did/resolve/did:hid:testnet:z2",
		"GET /api/v1/did/resolve/did:hid:testnet:z1", "GET /api/v1/did/resolve/did:hid:testnet:z1", "GET /api/v1/did/resolve/did:hid:testnet:z1",
		"GET /prefix/api/v1/status/ssi/1", "GET /prefix/api/v1/status/ssi/1",
		"GET /api/v1/did/resolve/did:hid:testnet:z1", "GET /api/v1/did/resolve/did:hid:testnet:z1",
		"GET /prefix/api/v1/status/ssi/1",
		"GET /api/v1/did/resolve/did:hid:testnet:z1", "GET /api/v1/did/resolve/did:hid:testnet:z1",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("requests = %q; want %q", paths, want)
	}
}

// TestAPIData: --data inline, from @FILE and from standard input is sent as
// it is, with Content-Type application/json, by POST unless -X says
// otherwise.
func TestAPIData(t *testing.T) {
	_, api, e := apiEnv(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	const doc = `{"namespace": "testnet", "options": {"keyType": "Ed25519VerificationKey2020"}}`
	file := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(file, []byte(doc+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		stdin  string
		args   []string
		method string
		body   string
	}{
		{"", []string{"-d", doc, "/api/v1/did/create"}, "POST", doc},
		{"", []string{"--data", "@" + file, "api/v1/did/create"}, "POST", doc + "\n"},
		{doc, []string{"--data", "-", "/api/v1/did/create"}, "POST", doc},
		{"", []string{"-X", "patch", "--data", `{"didDocument":{}}`, "/api/v1/did"}, "PATCH", `{"didDocument":{}}`},
		{"", []string{"--method", "DELETE", "/api/v1/presentation/template/t1"}, "DELETE", ""},
		{"", []string{"-X", "POST", "/api/v1/did/create"}, "POST", ""},
	} {
		before := len(api.requests())
		r := e.run(tc.stdin, append([]string{"api"}, tc.args...)...)
		r.want(t, 0, tc.args...)
		if r.stdout != `{"ok":true}` {
			t.Errorf("%q: stdout = %q", tc.args, r.stdout)
		}
		reqs := api.requests()[before:]
		if len(reqs) != 1 {
			t.Fatalf("%q: requests = %d; want 1", tc.args, len(reqs))
		}
		req := reqs[0]
		if req.Method != tc.method || req.Body != tc.body {
			t.Errorf("%q: sent %s with body %q; want %s with %q", tc.args, req.Method, req.Body, tc.method, tc.body)
		}
		wantType := ""
		if tc.body != "" {
			wantType = "application/json"
		}
		if req.ContentType != wantType {
			t.Errorf("%q: Content-Type = %q; want %q", tc.args, req.ContentType, wantType)
		}
	}
}

// TestAPIDataBounded: --data larger than the SSI API's limit fails before
// any request.
func TestAPIDataBounded(t *testing.T) {
	srv, api, e := apiEnv(t, listOf(0))
	big := `"` + strings.Repeat("a", maxAPIBody) + `"`
	file := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(file, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
	}{{"", []string{"-d", "@" + file, "/api/v1/did/create"}}, {big, []string{"-d", "-", "/api/v1/did/create"}}} {
		r := e.run(tc.stdin, append([]string{"api"}, tc.args...)...)
		r.want(t, 1, tc.args...)
		if want := fmt.Sprintf("larger than %d bytes", maxAPIBody); !strings.Contains(r.stderr, want) {
			t.Errorf("stderr = %q; want it to hold %q", r.stderr, want)
		}
	}
	if n := len(api.requests()) + srv.TokenRequests(); n != 0 {
		t.Errorf("requests = %d; want none", n)
	}
}

// TestAPIAnswerBounded: an answer beyond the limit fails with a clear error
// and prints nothing.
func TestAPIAnswerBounded(t *testing.T) {
	_, _, e := apiEnv(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `"`+strings.Repeat("a", maxAPIBody)+`"`)
	})
	r := e.run("", "api", "/api/v1/did")
	r.want(t, 1)
	if r.stdout != "" {
		t.Errorf("stdout = %.100q…; want none", r.stdout)
	}
	if want := fmt.Sprintf("entityauth api: GET /api/v1/did: reading the 200 answer: larger than %d bytes\n", maxAPIBody); r.stderr != want {
		t.Errorf("stderr = %q; want %q", r.stderr, want)
	}
}

// TestAPIUsageErrorsMakeNoRequest: usage errors of api exit 2 and reach
// neither the token service nor the SSI API; a full URL to another host
// never gets the token.
func TestAPIUsageErrorsMakeNoRequest(t *testing.T) {
	srv, api, e := apiEnv(t, listOf(1))
	other := startSSI(t, listOf(1))
	for _, args := range [][]string{
		{"-X", "FETCH", "/api/v1/did"},
		{"-d", "{bad", "/api/v1/did/create"},
		{"-d", "", "/api/v1/did/create"},
		{"-X", "GET", "-d", "{}", "/api/v1/did"},
		{"--paginate", "-X", "POST", "/api/v1/did"},
		{"--paginate", "/api/v1/did?limit=0"},
		{"--paginate", "/api/v1/did?page=x"},
		{},
		{"/api/v1/did", "/api/v1/credential"},
		{other.URL + "/api/v1/did"},
		{"//" + strings.TrimPrefix(other.URL, "http://") + "/api/v1/did"},
		{"https://" + strings.TrimPrefix(api.URL, "http://") + "/api/v1/did"}, // another scheme
		{"/api/v1/did#x"},
		{"--api-url", "http://192.0.2.1", "/api/v1/did"},
		{"--api-url", "api.example.com", "/api/v1/did"},
		{"--api-url", api.URL + "?x=1", "/api/v1/did"},
		{"--secret-file", "-", "-d", "-", "/api/v1/did/create"},
		{"--lifetime", "90m", "/api/v1/did"},
		{"--base-url", "http://192.0.2.1", "/api/v1/did"},
	} {
		r := e.run("{}", append([]string{"api"}, args...)...)
		r.want(t, 2, args...)
		if r.stdout != "" || !strings.HasSuffix(r.stderr, "\nRun 'entityauth api -h' for usage.\n") || strings.Count(r.stderr, "\n") != 2 {
			t.Errorf("%q: stdout %q, stderr %q; want one usage error on stderr", args, r.stdout, r.stderr)
		}
	}
	if n := len(api.requests()) + len(other.requests()) + srv.TokenRequests(); n != 0 {
		t.Errorf("requests = %d; want none", n)
	}
	// Without a key: a usage error that names the variable.
	r := newEnv(t, envSSIURL+"="+api.URL).run("", "api", "/api/v1/did")
	r.want(t, 2)
	if !strings.HasPrefix(r.stderr, "entityauth api: no API secret key: set $"+envSecret) {
		t.Errorf("stderr = %q; want the missing key named", r.stderr)
	}
}

// TestAPIRedirectElsewhere: a redirect to another host is not followed
// with the token: the command fails and the other host gets nothing.
func TestAPIRedirectElsewhere(t *testing.T) {
	other := startSSI(t, listOf(1))
	_, _, e := apiEnv(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	})
	r := e.run("", "api", "/api/v1/did")
	r.want(t, 1)
	if !strings.Contains(r.stderr, "host not allowed") || !strings.Contains(r.stderr, "hint: the token goes to the SSI API's host alone") {
		t.Errorf("stderr = %q; want the refused host and a hint", r.stderr)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the other host got %d requests; want none", n)
	}
}

// fakeEnv returns the fake, serving both halves, and an environment
// pointed at it.
func fakeEnv(t *testing.T) (*entityauthtest.Server, *env) {
	t.Helper()
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	return srv, newEnv(t, envSecret+"="+srv.APIKey(), envBaseURL+"="+srv.URL, envSSIURL+"="+srv.URL)
}

// apiRequests returns the requests of srv other than token requests.
func apiRequests(srv *entityauthtest.Server) []entityauthtest.Request {
	var out []entityauthtest.Request
	for _, r := range srv.Requests() {
		if r.Path != "/api/v1/app/oauth" {
			out = append(out, r)
		}
	}
	return out
}

// TestAPIAuth, against the fake: api sends the fake's token as Bearer, takes
// it from the cache that token fills (so calls in a row make one token
// request), and after DropSessions spends one refresh and succeeds.
func TestAPIAuth(t *testing.T) {
	srv, e := fakeEnv(t)
	r := e.run("", "token")
	r.want(t, 0)
	tok := strings.TrimSpace(r.stdout)
	for range 3 {
		r = e.run("", "api", "-d", `{"namespace":"testnet"}`, "/api/v1/did/create")
		r.want(t, 0)
		var created struct{ DID string }
		if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || !strings.HasPrefix(created.DID, "did:hid:") {
			t.Fatalf("stdout = %q; want the created DID (%v)", r.stdout, err)
		}
	}
	if got := srv.TokenRequests(); got != 1 {
		t.Errorf("token requests after token and 3 api calls = %d; want 1 (the cache is shared)", got)
	}
	for _, req := range apiRequests(srv) {
		if got := req.Header.Get("Authorization"); got != "Bearer "+tok {
			t.Errorf("Authorization = %.20q…; want the cached token", got)
		}
	}

	srv.ResetRequests()
	srv.DropSessions()
	r = e.run("", "api", "/api/v1/did")
	r.want(t, 0)
	if !json.Valid([]byte(r.stdout)) || r.stderr != "" {
		t.Errorf("after DropSessions: stdout %q, stderr %q; want the list and no message", r.stdout, r.stderr)
	}
	if got := srv.TokenRequests(); got != 1 {
		t.Errorf("token requests after DropSessions = %d; want 1 refresh", got)
	}
	if got := len(apiRequests(srv)); got != 2 {
		t.Errorf("API requests after DropSessions = %d; want 2 (the 401 and the retry)", got)
	}
	// The refreshed token went to the cache: the next run makes no token request.
	r = e.run("", "api", "/api/v1/did")
	r.want(t, 0)
	if got := srv.TokenRequests(); got != 1 {
		t.Errorf("token requests after the refresh = %d; want still 1", got)
	}
}

// TestAPIHTTPErrors, against the fake with queued answers: the body on
// stdout as received, the server's message on stderr whatever the shape of
// message, a hint where one helps, and exit 1, or 75 for a 429 or 5xx.
func TestAPIHTTPErrors(t *testing.T) {
	srv, e := fakeEnv(t)
	nest := func(status int, message any, reason string) entityauthtest.Fault {
		return entityauthtest.Fault{Status: status, JSON: map[string]any{"statusCode": status, "message": message, "error": reason}}
	}
	for _, tc := range []struct {
		name   string
		faults []entityauthtest.Fault
		code   int
		stderr string
	}{
		{"403", []entityauthtest.Fault{nest(403, []string{"Permission denied: Missing access rights"}, "Forbidden")}, 1,
			"entityauth api: ssi: GET /api/v1/did: 403 Forbidden: Permission denied: Missing access rights\n" +
				"hint: tokens minted from an API key lack this permission (the schema routes and POST /api/v1/credential/verify need a user's token)\n"},
		{"401 twice", []entityauthtest.Fault{nest(401, []string{"Token expired"}, "Unauthorized"), nest(401, []string{"Token expired"}, "Unauthorized")}, 1,
			"entityauth api: ssi: GET /api/v1/did: 401 Unauthorized: Token expired\n" +
				"hint: the SSI API refused the token, and a fresh one; check that --api-url and --base-url belong to the same Entity Studio\n"},
		{"origin", []entityauthtest.Fault{nest(401, []string{"Origin mismatch"}, "Unauthorized"), nest(401, []string{"Origin mismatch"}, "Unauthorized")}, 1,
			"entityauth api: ssi: GET /api/v1/did: 401 Unauthorized: Origin mismatch\n" +
				"hint: the app does not allow this Origin; set --origin (or $ENTITY_API_ORIGIN) to one of its allowed origins\n"},
		{"400 string", []entityauthtest.Fault{nest(400, "No credits found or credit exhausted. Please contact the admin", "Bad Request")}, 1,
			"entityauth api: ssi: GET /api/v1/did: 400 Bad Request: No credits found or credit exhausted. Please contact the admin\n" +
				"hint: the app has no credits left; an admin of the app must add some\n"},
		{"400 objects", []entityauthtest.Fault{nest(400, []any{map[string]any{"property": "namespace", "constraints": map[string]string{"isIn": "namespace must be testnet"}}, "limit must not be greater than 100"}, "Bad Request")}, 1,
			`entityauth api: ssi: GET /api/v1/did: 400 Bad Request: {"constraints":{"isIn":"namespace must be testnet"},"property":"namespace"}; limit must not be greater than 100` + "\n"},
		{"404 no message", []entityauthtest.Fault{{Status: 404, JSON: map[string]any{"statusCode": 404, "error": "Not Found"}}}, 1,
			"entityauth api: ssi: GET /api/v1/did: 404 Not Found\n"},
		{"429", []entityauthtest.Fault{{Status: 429, JSON: "ThrottlerException: Too Many Requests"}}, 75,
			"entityauth api: ssi: GET /api/v1/did: 429 Too Many Requests: ThrottlerException: Too Many Requests\n"},
		{"500", []entityauthtest.Fault{{Status: 500, JSON: map[string]any{"statusCode": 500, "timestamp": "2025-01-01T00:00:00.000Z", "path": "/api/v1/did", "message": []string{"chain refused"}}}}, 75,
			"entityauth api: ssi: GET /api/v1/did: 500 Internal Server Error: chain refused\n"},
		{"502 HTML", []entityauthtest.Fault{{Status: 502, Body: "<html>bad gateway</html>", ContentType: "text/html"}}, 75,
			"entityauth api: ssi: GET /api/v1/did: 502 Bad Gateway\n"},
		{"dropped", []entityauthtest.Fault{{Drop: true}}, 75, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Enqueue(entityauthtest.APIEndpoint, tc.faults...)
			r := e.run("", "api", "/api/v1/did")
			r.want(t, tc.code, tc.name)
			if tc.stderr != "" && r.stderr != tc.stderr {
				t.Errorf("stderr = %q; want %q", r.stderr, tc.stderr)
			}
			if tc.name == "dropped" {
				if r.stdout != "" || !strings.HasPrefix(r.stderr, "entityauth api: GET /api/v1/did: ") {
					t.Errorf("stdout %q, stderr %q; want no output and the failed request", r.stdout, r.stderr)
				}
				return
			}
			last := tc.faults[len(tc.faults)-1]
			want := last.Body
			if last.JSON != nil {
				b, _ := json.Marshal(last.JSON)
				want = string(b)
			}
			if r.stdout != want {
				t.Errorf("stdout = %q; want the answer's body %q", r.stdout, want)
			}
		})
	}
}

// TestAPITokenFailures: when the token cannot be had, api fails as token
// does, with the same message, hint and exit status, and calls no API; a
// missing --data file is a failure (1), as a missing --secret-file is.
func TestAPITokenFailures(t *testing.T) {
	srv, api, e := apiEnv(t, listOf(1))
	wrong := strings.Repeat("a", 29) + "." + strings.Repeat("b", 97)
	r := newEnv(t, envSecret+"="+wrong, envBaseURL+"="+srv.URL, envSSIURL+"="+api.URL).run("", "api", "/api/v1/did")
	r.want(t, 1)
	if want := "entityauth api: token endpoint answered 401 Unauthorized: Access denied.\nhint: the token service refused the API secret key; check $" + envSecret; !strings.HasPrefix(r.stderr, want) {
		t.Errorf("stderr = %q; want it to start with %q", r.stderr, want)
	}
	assertNoSecrets(t, "stderr", r.stderr, wrong)

	// A bare 429 is probed again and would succeed; a long Retry-After fails at once.
	srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 429, RetryAfter: "600", JSON: "Too many requests. Try again later."})
	r = e.run("", "api", "/api/v1/did")
	r.want(t, 75)
	if !strings.Contains(r.stderr, "429") || !strings.Contains(r.stderr, fmt.Sprintf("hint: the token service allows %d requests a minute", tokenRateLimit)) {
		t.Errorf("stderr = %q; want the 429 and its hint", r.stderr)
	}

	r = e.run("", "api", "--base-url", closedPortURL(t), "/api/v1/did")
	r.want(t, 75)
	if !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("stderr = %q; want the refused connection", r.stderr)
	}
	r = e.run("", "api", "--api-url", closedPortURL(t), "/api/v1/did")
	r.want(t, 75)
	if !strings.HasPrefix(r.stderr, "entityauth api: GET /api/v1/did: dial tcp") || !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("stderr = %q; want the refused connection of the SSI API", r.stderr)
	}

	r = e.run("", "api", "-d", "@"+filepath.Join(t.TempDir(), "missing.json"), "/api/v1/did/create")
	r.want(t, 1)
	if !strings.HasPrefix(r.stderr, "entityauth api: reading --data: open ") || !strings.Contains(r.stderr, "no such file or directory") {
		t.Errorf("stderr = %q; want the missing file", r.stderr)
	}
	if n := len(api.requests()); n != 0 {
		t.Errorf("API requests = %d; want none", n)
	}
}

// echoAuth answers with the Authorization header it got: a list page
// holding it for GET ?page, 201 holding it for POST, else a 400 whose
// message holds it, as a careless server or a debugging proxy might.
func echoAuth(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Query().Has("page"):
		_ = json.NewEncoder(w).Encode(map[string]any{"totalCount": 1, "data": []string{auth}})
	case r.Method == http.MethodPost:
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"headers": map[string]string{"Authorization": auth}})
	default:
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"statusCode": 400, "message": []string{"bad header " + auth}, "error": "Bad Request"})
	}
}

// TestAPIRedactsEchoedToken: a body that echoes the token sent is printed
// with the token replaced, with a warning; so is the server's message.
func TestAPIRedactsEchoedToken(t *testing.T) {
	_, api, e := apiEnv(t, echoAuth)
	for _, tc := range []struct {
		args []string
		code int
		want string // on stdout
	}{
		{[]string{"/api/v1/did"}, 1, `{"error":"Bad Request","message":["bad header Bearer REDACTED"],"statusCode":400}` + "\n"},
		{[]string{"-d", "{}", "/api/v1/did/create"}, 0, `{"headers":{"Authorization":"Bearer REDACTED"}}` + "\n"},
		{[]string{"--paginate", "/api/v1/did"}, 0, `{"totalCount":1,"data":["Bearer REDACTED"]}` + "\n"},
	} {
		r := e.run("", append([]string{"api"}, tc.args...)...)
		r.want(t, tc.code, tc.args...)
		if r.stdout != tc.want {
			t.Errorf("%q: stdout = %q; want %q", tc.args, r.stdout, tc.want)
		}
		if want := "entityauth api: warning: the answer holds the API secret key or the access token sent; printed as REDACTED\n"; !strings.HasPrefix(r.stderr, want) {
			t.Errorf("%q: stderr = %q; want it to start with %q", tc.args, r.stderr, want)
		}
		if tc.code == 1 && !strings.Contains(r.stderr, "400 Bad Request: bad header Bearer REDACTED\n") {
			t.Errorf("%q: stderr = %q; want the server's message redacted", tc.args, r.stderr)
		}
		var sent []string
		for _, req := range api.requests() {
			sent = append(sent, strings.TrimPrefix(req.Auth, "Bearer "))
		}
		assertNoSecrets(t, "stdout", r.stdout, sent...)
		assertNoSecrets(t, "stderr", r.stderr, sent...)
	}
}

// TestAPIWithFakeEnv runs the README's recipe in sh: the fake in the
// background, its environment set by eval, and api calls to its SSI half.
func TestAPIWithFakeEnv(t *testing.T) {
	sh := lookShell(t)
	script := `eval "$("$0" fake --addr 127.0.0.1:0 --env 2>/dev/null &)"
"$0" api -d '{"namespace":"testnet"}' /api/v1/did/create; status=$?
kill "$ENTITYAUTH_FAKE_PID" || exit 9
exit $status`
	cmd := exec.CommandContext(t.Context(), sh, "-c", script, binary)
	cmd.Env = newEnv(t).vars
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh: %v\n%s%s", err, out, stderr.String())
	}
	var created struct{ DID, RegistrationStatus string }
	if err := json.Unmarshal(out, &created); err != nil || !strings.HasPrefix(created.DID, "did:hid:testnet:") || created.RegistrationStatus != "UNREGISTRED" {
		t.Errorf("stdout = %q; want a new DID, UNREGISTRED (%v)", out, err)
	}
}

// TestAPIPaginateStopsAtThePageCap: the SSI API serves pages 1 to 100
// (ssi.MaxPage), so --paginate never asks for page 101: it prints the items
// of pages 1 to 100, merged, and fails saying why the list is incomplete.
// A PATH whose page is past the cap is a usage error.
func TestAPIPaginateStopsAtThePageCap(t *testing.T) {
	_, api, e := apiEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if page, _ := strconv.Atoi(r.URL.Query().Get("page")); page > 100 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"statusCode":400,"message":["page must not be greater than 100"],"error":"Bad Request"}`)
			return
		}
		listOf(10_050)(w, r)
	})
	r := e.run("", "api", "--paginate", "/api/v1/did")
	r.want(t, 1)
	total, data := merged(t, r.stdout)
	if total != 10_050 || len(data) != 10_000 || data[9_999] != "item-10000" {
		t.Errorf("stdout holds totalCount %d and %d items; want 10050 and the first 10000", total, len(data))
	}
	if want := "entityauth api: GET /api/v1/did: --paginate: the SSI API serves pages 1 to 100 only: printed the 10000 items of pages 1 to 100 of the 10050 in the list\n"; r.stderr != want {
		t.Errorf("stderr = %q; want %q", r.stderr, want)
	}
	if n := len(api.requests()); n != 100 {
		t.Errorf("requests = %d; want 100 (none for page 101)", n)
	}

	r = e.run("", "api", "--paginate", "/api/v1/did?page=101")
	r.want(t, 2)
	if n := len(api.requests()); n != 100 {
		t.Errorf("requests = %d after a PATH with page 101; want none more", n)
	}
}

// TestAPIPaginateStopsOnARepeatedPage: a server that ignores page answers
// page 1 again and again; --paginate stops at the first repeat, prints what
// it has, and fails.
func TestAPIPaginateStopsOnARepeatedPage(t *testing.T) {
	_, api, e := apiEnv(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Set("page", "1")
		r.URL.RawQuery = q.Encode()
		listOf(1_000_000)(w, r)
	})
	r := e.run("", "api", "--paginate", "/api/v1/did")
	r.want(t, 1)
	if total, data := merged(t, r.stdout); total != 1_000_000 || len(data) != 100 || data[99] != "item-100" {
		t.Errorf("stdout holds totalCount %d and %d items; want 1000000 and the first 100", total, len(data))
	}
	if want := "entityauth api: GET /api/v1/did: --paginate: page 2 holds the items of page 1, as if the server ignored page: printed the 100 items before it\n"; r.stderr != want {
		t.Errorf("stderr = %q; want %q", r.stderr, want)
	}
	if n := len(api.requests()); n != 2 {
		t.Errorf("requests = %d; want 2", n)
	}
}

// TestAPIErrorRedactsBeforeCutting: the server's message on stderr is cut
// after 512 bytes; a token that it echoes across the cut is still redacted,
// not printed in part.
func TestAPIErrorRedactsBeforeCutting(t *testing.T) {
	for _, pad := range []int{300, 400, 480} {
		_, _, e := apiEnv(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"statusCode": 400, "message": []string{strings.Repeat("p", pad) + r.Header.Get("Authorization")}})
		})
		r := e.run("", "api", "/api/v1/did")
		r.want(t, 1)
		if strings.Contains(r.stderr, "eyJ") || strings.Contains(r.stdout, "eyJ") {
			t.Errorf("pad %d: stderr = %q; want no part of the token", pad, r.stderr)
		}
	}
}
