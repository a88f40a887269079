package entityauth

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// TestNothingLeaks prints a Config and a TokenSource holding a token in every
// way a user might, and logs a refresh and a failure, then looks for the key
// and the token in the output.
func TestNothingLeaks(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		logger, logs := newLogger()
		c := configFor(srv)
		c.Origin = "https://app.example.com"
		c.Lifetime = time.Hour
		c.Logger = logger
		ts := c.TokenSource(t.Context())
		tok := mustToken(t, ts)
		srv.RotateKey()
		sleepUntil(tok.Expiry)
		_, fetchErr := ts.Token()
		if fetchErr == nil {
			t.Fatal("Token after the key was rotated: no error")
		}

		var out strings.Builder
		for _, v := range []any{c, *c, ts} {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
				fmt.Fprintf(&out, verb+"\n", v)
			}
			fmt.Fprintln(&out, v)
			fmt.Fprintf(&out, "%v\n", []any{v})
			fmt.Fprintf(&out, "%+v\n", struct{ C any }{v})
			logger.Info("value", "v", v)
		}
		fmt.Fprintln(&out, fetchErr)
		fmt.Fprintf(&out, "%+v %#v\n", fetchErr, fetchErr)
		out.WriteString(logs.String())

		s := out.String()
		if strings.Contains(s, c.APISecretKey) {
			t.Errorf("output holds the API key:\n%s", s)
		}
		if strings.Contains(s, tok.AccessToken) {
			t.Errorf("output holds the access token:\n%s", s)
		}
		for _, want := range []string{"[REDACTED]", "https://app.example.com", srv.URL, "token refresh failed", "Access denied"} {
			if !strings.Contains(s, want) {
				t.Errorf("output lacks %q:\n%s", want, s)
			}
		}
	})
}

func TestConfigStrings(t *testing.T) {
	c := Config{APISecretKey: "k", GrantType: "access_service_ssi", Lifetime: 2 * time.Hour}
	tests := []struct{ format, want string }{
		{"%v", "entityauth.Config{APISecretKey: [REDACTED], BaseURL: https://api.entity.dashboard.hypersign.id, GrantType: access_service_ssi, Lifetime: 2h0m0s}"},
		{"%#v", `entityauth.Config{APISecretKey:"[REDACTED]", BaseURL:"", Origin:"", GrantType:"access_service_ssi", Lifetime:7200000000000, RefreshTimeout:0, MaxAttempts:0}`},
		{"%v", "entityauth.Config{APISecretKey: [REDACTED], BaseURL: https://api.entity.dashboard.hypersign.id, GrantType: access_service_ssi, Lifetime: 2h0m0s}"},
	}
	for _, tt := range tests {
		if got := fmt.Sprintf(tt.format, c); got != tt.want {
			t.Errorf("Sprintf(%q) = %q; want %q", tt.format, got, tt.want)
		}
	}
	if got := fmt.Sprint(Config{}); !strings.Contains(got, "APISecretKey: (unset)") {
		t.Errorf("Sprint(Config{}) = %q; want the key shown as (unset)", got)
	}
	logger, logs := newLogger()
	logger.Info("m", "cfg", c)
	if want := `"cfg":{"api_secret_key":"[REDACTED]"`; !strings.Contains(logs.String(), want) {
		t.Errorf("slog output %q lacks %q", logs, want)
	}
	ts := (&Config{APISecretKey: "k", BaseURL: "http://example.com"}).TokenSource(context.Background())
	if got := fmt.Sprint(ts); !strings.Contains(got, "insecure base URL") {
		t.Errorf("Sprint(ts) = %q; want its config error", got)
	}
}
