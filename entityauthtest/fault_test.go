package entityauthtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

const tooMany = `"Too many requests. Try again later."`

func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{})
		defer s.Close()
		// Failures count too: 5 wrong keys, 5 good requests, then the 11th is refused.
		for i := range 10 {
			tr := tokenRequest{}
			if i%2 == 0 {
				tr.key = strp("wrong")
			}
			if a := fetchToken(t, s, tr); a.status == http.StatusTooManyRequests {
				t.Fatalf("request %d: 429; want the limit at 10", i+1)
			}
		}
		a := fetchToken(t, s, tokenRequest{})
		if a.status != http.StatusTooManyRequests || a.body != tooMany {
			t.Fatalf("11th request: %d %s; want 429 %s", a.status, a.body, tooMany)
		}
		if got := a.header.Get("Retry-After"); got != "" {
			t.Errorf("Retry-After = %q; want none", got)
		}
		if got, want := a.header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
			t.Errorf("Content-Type = %q; want %q", got, want)
		}
		// The SSI API is not limited.
		if a := callAPI(t, s, http.MethodGet, "/api/v1/did", ""); a.status != http.StatusUnauthorized {
			t.Errorf("SSI API while the token route is limited: %d; want 401", a.status)
		}
		time.Sleep(59 * time.Second)
		if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusTooManyRequests {
			t.Errorf("59 s into the window: %d; want 429", a.status)
		}
		time.Sleep(time.Second)
		if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusOK {
			t.Errorf("after the window: %d %s; want 200", a.status, a.body)
		}
		if got := s.TokenRequests(); got != 13 {
			t.Errorf("TokenRequests = %d; want 13", got)
		}
	})
}

func TestRateLimitOptions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{RateLimit: 2, RateWindow: 10 * time.Second})
		defer s.Close()
		fetchToken(t, s, tokenRequest{})
		fetchToken(t, s, tokenRequest{})
		if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusTooManyRequests {
			t.Errorf("3rd request with RateLimit 2: %d; want 429", a.status)
		}
		time.Sleep(10 * time.Second)
		if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusOK {
			t.Errorf("after a 10 s window: %d; want 200", a.status)
		}

		u := entityauthtest.NewPipeServer(entityauthtest.Options{RateLimit: -1})
		defer u.Close()
		for i := range 50 {
			if a := fetchToken(t, u, tokenRequest{}); a.status != http.StatusOK {
				t.Fatalf("request %d with RateLimit -1: %d; want 200", i+1, a.status)
			}
		}
	})
}

func TestRateLimitCountsFaults(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{RateLimit: 3})
	s.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 503}, entityauthtest.Fault{Status: 503}, entityauthtest.Fault{Status: 503})
	for range 3 {
		if a := fetchToken(t, s, tokenRequest{}); a.status != 503 {
			t.Fatalf("queued fault: %d; want 503", a.status)
		}
	}
	if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusTooManyRequests {
		t.Errorf("after 3 faults with RateLimit 3: %d; want 429", a.status)
	}
}

func TestFaultAnswers(t *testing.T) {
	date := "Wed, 21 Oct 2015 07:28:00 GMT"
	tests := []struct {
		name       string
		ep         entityauthtest.Endpoint
		fault      entityauthtest.Fault
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{"json", entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 503, JSON: map[string]any{"statusCode": 503, "message": "down"}}, 503,
			`{"message":"down","statusCode":503}`, map[string]string{"Content-Type": "application/json; charset=utf-8"}},
		{"bare string", entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 429, JSON: "Too many requests. Try again later."}, 429, tooMany, nil},
		{"html", entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 502, Body: "<html><body>502 Bad Gateway</body></html>"}, 502,
			"<html><body>502 Bad Gateway</body></html>", map[string]string{"Content-Type": "text/html; charset=utf-8"}},
		{"content type override", entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 500, Body: "oops", ContentType: "text/x-custom"}, 500, "oops",
			map[string]string{"Content-Type": "text/x-custom"}},
		{"retry-after seconds", entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 429, RetryAfter: "3"}, 429, "", map[string]string{"Retry-After": "3"}},
		{"retry-after date", entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 503, RetryAfter: date}, 503, "", map[string]string{"Retry-After": date}},
		{"extra header", entityauthtest.APIEndpoint, entityauthtest.Fault{Status: 418, Header: http.Header{"X-Test": {"yes"}}}, 418, "", map[string]string{"X-Test": "yes"}},
		{"internal error", entityauthtest.TokenEndpoint, entityauthtest.InternalServerError(), 500, "", nil},
		{"status only 200", entityauthtest.APIEndpoint, entityauthtest.Fault{Status: 200, Body: "[]"}, 200, "[]", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := entityauthtest.Start(t, entityauthtest.Options{})
			s.Enqueue(tt.ep, tt.fault)
			var a answer
			if tt.ep == entityauthtest.TokenEndpoint {
				a = fetchToken(t, s, tokenRequest{})
			} else {
				a = callAPI(t, s, http.MethodGet, "/api/v1/did", "")
			}
			if a.status != tt.wantStatus {
				t.Fatalf("status = %d; want %d", a.status, tt.wantStatus)
			}
			if tt.wantBody != "" && a.body != tt.wantBody {
				t.Errorf("body = %q; want %q", a.body, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if got := a.header.Get(k); got != v {
					t.Errorf("%s = %q; want %q", k, got, v)
				}
			}
			// The queue is consumed: the next request is answered normally.
			if tt.ep == entityauthtest.TokenEndpoint {
				token(t, s, tokenRequest{})
			} else if a := callAPI(t, s, http.MethodGet, "/api/v1/did", ""); a.status != 401 {
				t.Errorf("after the fault: %d; want the normal 401", a.status)
			}
		})
	}
}

func TestFaultFIFOPerEndpoint(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	s.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 500}, entityauthtest.Fault{Status: 502})
	s.Enqueue(entityauthtest.APIEndpoint, entityauthtest.Fault{Status: 504})
	var got []int
	for range 3 {
		got = append(got, fetchToken(t, s, tokenRequest{}).status)
	}
	got = append(got, callAPI(t, s, http.MethodGet, "/api/v1/did", "").status)
	if want := []int{500, 502, 200, 504}; !equalInts(got, want) {
		t.Errorf("statuses = %v; want %v", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultRedirect(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	s.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Redirect: "https://elsewhere.example/oauth"})
	c := *s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/api/v1/app/oauth", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://elsewhere.example/oauth" {
		t.Errorf("got %d Location %q; want 302 to https://elsewhere.example/oauth", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestFaultDrop(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	s.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Drop: true})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/api/v1/app/oauth", nil)
	resp, err := s.Client().Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("dropped request: status %d; want a connection error", resp.StatusCode)
	}
	token(t, s, tokenRequest{})
}

func TestFaultTruncate(t *testing.T) {
	for _, f := range []entityauthtest.Fault{
		{TruncateAt: 20}, // the normal token answer, cut
		{Status: 200, JSON: map[string]string{"access_token": "abcdefghijklmnopqrstuvwxyz"}, TruncateAt: 10},
	} {
		s := entityauthtest.Start(t, entityauthtest.Options{})
		s.Enqueue(entityauthtest.TokenEndpoint, f)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/api/v1/app/oauth", nil)
		req.Header.Set("X-Api-Secret-Key", s.APIKey())
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatalf("headers of a truncated answer: %v; want them intact", err)
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("reading a truncated body: err = %v; want io.ErrUnexpectedEOF", err)
		}
		if len(b) != f.TruncateAt || resp.ContentLength <= int64(f.TruncateAt) {
			t.Errorf("read %d of %d bytes; want %d of more", len(b), resp.ContentLength, f.TruncateAt)
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(b), `{"access_t`) {
			t.Errorf("got %d %q; want 200 and the start of a token body", resp.StatusCode, b)
		}
	}
}

func TestFaultOversize(t *testing.T) {
	const size = 5 << 20
	s := entityauthtest.Start(t, entityauthtest.Options{})
	s.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Oversize: size})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/api/v1/app/oauth", nil)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	head := make([]byte, 17)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.ContentLength != size || n+17 != size || string(head) != `{"access_token":"` {
		t.Errorf("got %d, Content-Length %d, %d bytes starting %q; want 200 and %d bytes of token JSON", resp.StatusCode, resp.ContentLength, n+17, head, size)
	}
}

func TestFaultDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{})
		defer s.Close()
		s.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: 30 * time.Second})
		start := time.Now()
		tok := token(t, s, tokenRequest{}) // a Delay alone keeps the normal answer
		if got := time.Since(start); got != 30*time.Second {
			t.Errorf("answer after %v; want 30s", got)
		}
		if tok == "" {
			t.Errorf("empty token after a delay")
		}
	})
}

func TestFaultDelayHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{})
		defer s.Close()
		s.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: time.Hour, Status: 503})
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/api/v1/app/oauth", nil)
		start := time.Now()
		resp, err := s.Client().Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v; want context.DeadlineExceeded", err)
		}
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("returned after %v; want 5s", got)
		}
		synctest.Wait() // the handler has noticed the cancellation and returned
	})
}

// TestPipeServerCloseEndsBubble proves that a pipe server leaves no goroutine
// behind: if one were left, synctest.Test would fail with a deadlock.
func TestPipeServerCloseEndsBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{})
		if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
			t.Errorf("URL = %q; want http://127.0.0.1:<port>", s.URL)
		}
		token(t, s, tokenRequest{})
		s.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: 10 * time.Second, Status: 503})
		start := time.Now()
		if a := fetchToken(t, s, tokenRequest{}); a.status != 503 {
			t.Errorf("delayed fault: %d; want 503", a.status)
		}
		if got := time.Since(start); got != 10*time.Second {
			t.Errorf("delayed answer after %v; want 10s", got)
		}
		// A request left hanging in a delay must end with Close.
		s.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: time.Hour})
		errc := make(chan error, 1)
		go func() {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/api/v1/app/oauth", nil)
			resp, err := s.Client().Do(req)
			if err == nil {
				_ = resp.Body.Close()
			}
			errc <- err
		}()
		synctest.Wait()
		s.Close()
		if err := <-errc; err == nil {
			t.Errorf("a request pending at Close succeeded; want a connection error")
		}
		s.Close() // twice is fine
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/api/v1/did", nil)
		if resp, err := s.Client().Do(req); err == nil {
			_ = resp.Body.Close()
			t.Errorf("request after Close succeeded; want an error")
		}
	})
}

// TestRateLimitWindowStartsAtFirstRequest checks the real limiter's window:
// it starts at its first request (the counter's expiry is set then), and
// requests past the limit do not extend it.
func TestRateLimitWindowStartsAtFirstRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{})
		defer s.Close()
		time.Sleep(17 * time.Second) // the window does not follow the clock's minutes
		fetchToken(t, s, tokenRequest{})
		time.Sleep(30 * time.Second)
		for i := range 9 {
			if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusOK {
				t.Fatalf("request %d of the window: %d; want 200", i+2, a.status)
			}
		}
		for range 5 { // past the limit, spread over the window's rest
			if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusTooManyRequests {
				t.Fatalf("past the limit: %d; want 429", a.status)
			}
			time.Sleep(5 * time.Second)
		}
		time.Sleep(5*time.Second - time.Millisecond) // 59.999 s after the first request
		if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusTooManyRequests {
			t.Fatalf("just before the window ends: %d; want 429", a.status)
		}
		time.Sleep(time.Millisecond)
		for i := range 10 {
			if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusOK {
				t.Fatalf("request %d of the next window: %d; want 200", i+1, a.status)
			}
		}
		if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusTooManyRequests {
			t.Errorf("11th request of the next window: %d; want 429", a.status)
		}
	})
}
