package ssi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/entity-studio-go/entityauth/ssi"
)

// pagedDIDs serves GET /api/v1/did over n DIDs as the real server pages them,
// claiming total as the totalCount (n when negative), and failing on page failAt.
func pagedDIDs(n, total, failAt int) http.HandlerFunc {
	if total < 0 {
		total = n
	}
	return func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if page == failAt {
			answer(http.StatusBadRequest, `{"statusCode":400,"message":["No credits found or credit exhausted. Please contact the admin"],"error":"Bad Request"}`)(w, r)
			return
		}
		data := []string{}
		for i := (page - 1) * limit; i < page*limit && i < n; i++ {
			data = append(data, fmt.Sprintf("did:hid:testnet:z%d", i))
		}
		body, _ := json.Marshal(map[string]any{"totalCount": total, "data": data})
		answer(http.StatusOK, string(body))(w, r)
	}
}

func TestDIDsFollowsPagesToTotalCount(t *testing.T) {
	s := newServer(t, pagedDIDs(250, -1, 0))
	var got []string
	for did, err := range newClient(t, s).DIDs(t.Context()) {
		if err != nil {
			t.Fatalf("DIDs: %v", err)
		}
		got = append(got, did)
	}
	if len(got) != 250 || got[0] != "did:hid:testnet:z0" || got[249] != "did:hid:testnet:z249" {
		t.Errorf("DIDs yielded %d DIDs (%q…); want 250 in order", len(got), got[:min(len(got), 2)])
	}
	var queries []string
	for _, r := range s.requests() {
		queries = append(queries, r.RawQuery)
	}
	want := []string{"page=1&limit=100", "page=2&limit=100", "page=3&limit=100"}
	if fmt.Sprint(queries) != fmt.Sprint(want) {
		t.Errorf("queries = %q; want %q", queries, want)
	}
}

func TestDIDsStops(t *testing.T) {
	t.Run("when the caller breaks", func(t *testing.T) {
		s := newServer(t, pagedDIDs(250, -1, 0))
		n := 0
		for _, err := range newClient(t, s).DIDs(t.Context()) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if n == 150 {
				break
			}
		}
		if got := len(s.requests()); got != 2 {
			t.Errorf("requests = %d; want 2", got)
		}
	})
	t.Run("on an empty page below totalCount", func(t *testing.T) {
		s := newServer(t, pagedDIDs(120, 1000, 0))
		n := 0
		for _, err := range newClient(t, s).DIDs(t.Context()) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 120 || len(s.requests()) != 3 {
			t.Errorf("yielded %d DIDs in %d requests; want 120 in 3", n, len(s.requests()))
		}
	})
	t.Run("on an error, yielded once", func(t *testing.T) {
		s := newServer(t, pagedDIDs(250, -1, 2))
		n, errs := 0, 0
		for _, err := range newClient(t, s).DIDs(t.Context()) {
			if err != nil {
				errs++
				if !errors.Is(err, ssi.ErrCreditsExhausted) {
					t.Errorf("error = %v; want ErrCreditsExhausted", err)
				}
				continue
			}
			n++
		}
		if n != 100 || errs != 1 {
			t.Errorf("yielded %d DIDs and %d errors; want 100 and 1", n, errs)
		}
	})
}

func TestCredentialsFiltersByIssuer(t *testing.T) {
	s := newServer(t, answer(http.StatusOK, `{"totalCount":2,"data":[{"credentialId":"vc:hid:testnet:z2","createdAt":"2025-11-19T07:47:15.632Z"},{"credentialId":"vc:hid:testnet:z1","createdAt":"2025-11-18T07:47:15.632Z"}]}`))
	var ids []string
	for c, err := range newClient(t, s).Credentials(t.Context(), "did:hid:testnet:zIssuer") {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.CredentialId)
	}
	if fmt.Sprint(ids) != "[vc:hid:testnet:z2 vc:hid:testnet:z1]" {
		t.Errorf("Credentials = %q; want both, newest first", ids)
	}
	if q := s.requests()[0].RawQuery; q != "page=1&limit=100&issuerDid=did%3Ahid%3Atestnet%3AzIssuer" {
		t.Errorf("query = %q; want page, limit and issuerDid", q)
	}
}
