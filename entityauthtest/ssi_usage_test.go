package entityauthtest_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// usageGet calls a usage route with tok and decodes its answer.
func usageGet(t *testing.T, s *entityauthtest.Server, tok, path string, v any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	a := do(t, s, req)
	if a.status != http.StatusOK {
		t.Fatalf("GET %s = %d %s; want 200", path, a.status, a.body)
	}
	if err := json.Unmarshal([]byte(a.body), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// TestUsageDays, on virtual time: the usage routes count by UTC day and
// between the dates asked, default from the first of the month at local
// midnight to now.
func TestUsageDays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{Lifetime: 24 * time.Hour * 30, RateLimit: -1})
		defer s.Close()
		resolve := func(n int) {
			tok := token(t, s, tokenRequest{})
			for range n {
				callAPI(t, s, http.MethodGet, "/api/v1/did/resolve/did:hid:testnet:x", tok)
			}
		}
		day1 := time.Now().UTC()
		resolve(2)
		time.Sleep(24 * time.Hour)
		resolve(3)
		day2 := time.Now().UTC()
		tok := token(t, s, tokenRequest{})

		var detail struct {
			StartDate      string
			EndDate        string
			ServiceDetails []struct {
				APIPath  string         `json:"apiPath"`
				Quantity int            `json:"quantity"`
				Data     map[string]int `json:"data"`
			}
		}
		usageGet(t, s, tok, "/api/v1/usage/detail?startDate="+day1.Add(-time.Hour).Format(time.RFC3339), &detail)
		if len(detail.ServiceDetails) != 1 {
			t.Fatalf("detail = %+v; want one path", detail)
		}
		d := detail.ServiceDetails[0]
		want := map[string]int{day1.Format(time.DateOnly): 2, day2.Format(time.DateOnly): 3}
		if d.APIPath != "/api/v1/did/resolve" || d.Quantity != 5 || len(d.Data) != 2 || d.Data[day1.Format(time.DateOnly)] != 2 || d.Data[day2.Format(time.DateOnly)] != 3 {
			t.Errorf("detail = %+v; want /api/v1/did/resolve, 5, %v", d, want)
		}
		if got, want := detail.EndDate, day2.Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Errorf("endDate = %s; want now, %s", got, want)
		}

		var usage struct {
			StartDate      string
			ServiceDetails []struct{ Quantity int }
		}
		usageGet(t, s, tok, "/api/v1/usage?startDate="+day2.Add(-time.Minute).Format(time.RFC3339), &usage)
		if len(usage.ServiceDetails) != 1 || usage.ServiceDetails[0].Quantity != 3 {
			t.Errorf("usage of the last minute = %+v; want the 3 calls of day 2", usage)
		}
		usageGet(t, s, tok, "/api/v1/usage", &usage)
		now := time.Now()
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02T15:04:05.000Z")
		if usage.StartDate != first {
			t.Errorf("default startDate = %s; want the first of the month at midnight UTC (the fake server's local time), %s", usage.StartDate, first)
		}
		// The bubble starts at 2000-01-01 00:00 UTC: both days are in January.
		if total := usage.ServiceDetails; len(total) != 1 || total[0].Quantity != 5 {
			t.Errorf("usage this month = %+v; want the 5 calls", total)
		}
	})
}
