package loopback

import (
	"net/url"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSecure(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{"https://api.entity.hypersign.id", true},
		{"HTTPS://api.entity.hypersign.id", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.9.8.7", true},
		{"http://localhost:1", true},
		{"http://LocalHost", true},
		{"http://[::1]:80/x", true},
		{"http://api.entity.hypersign.id", false},
		{"http://10.0.0.1", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1.example.com", false},
		{"http://[::2]", false},
		{"ftp://127.0.0.1", false},
		{"//127.0.0.1", false},
		{"", false},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := Secure(u); got != tc.want {
			t.Errorf("Secure(%q) = %v; want %v", tc.url, got, tc.want)
		}
	}
}
