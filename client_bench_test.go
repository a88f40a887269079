package entityauth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// BenchmarkClientGet compares an authenticated GET through Config.Client with
// the same GET through a plain http.Client that sets a static Authorization
// header, against the same loopback server and on the same base transport.
// Run it with -benchmem; the ratio of the two is what matters.
func BenchmarkClientGet(b *testing.B) {
	fake := entityauthtest.NewServer(entityauthtest.Options{})
	b.Cleanup(fake.Close)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, `[{"totalCount":0,"data":[]}]`)
	}))
	b.Cleanup(api.Close)

	cfg := &Config{APISecretKey: fake.APIKey(), BaseURL: fake.URL}
	tok, err := cfg.Token(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	base := api.Client().Transport
	clients := []struct {
		name   string
		client *http.Client
		header string
	}{
		{"entityauth", (&Config{APISecretKey: fake.APIKey(), BaseURL: fake.URL, HTTPClient: &http.Client{Transport: base}}).Client(b.Context()), ""},
		{"static-header", &http.Client{Transport: base}, "Bearer " + tok.AccessToken},
	}
	for _, c := range clients {
		b.Run(c.name, func(b *testing.B) {
			req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, api.URL+"/api/v1/did", nil)
			if err != nil {
				b.Fatal(err)
			}
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := c.client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status = %d; want 200", resp.StatusCode)
				}
			}
		})
	}
}
