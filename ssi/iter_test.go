package ssi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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

// TestDIDsStopsOnARepeatedPage: a server (or a caching proxy) that ignores
// page answers page 1 again and again, with a totalCount that never ends the
// walk: the iterator stops at the first repeat, with ErrPageRepeated.
func TestDIDsStopsOnARepeatedPage(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Set("page", "1")
		r.URL.RawQuery = q.Encode()
		pagedDIDs(500_000, -1, 0)(w, r)
	})
	n, errs := 0, 0
	for _, err := range newClient(t, s).DIDs(t.Context()) {
		if err != nil {
			errs++
			if !errors.Is(err, ssi.ErrPageRepeated) {
				t.Errorf("error = %v; want ErrPageRepeated", err)
			}
			continue
		}
		n++
	}
	if got := len(s.requests()); n != 100 || errs != 1 || got != 2 {
		t.Errorf("yielded %d DIDs and %d errors in %d requests; want 100, 1 and 2", n, errs, got)
	}
}

// TestDIDsStopsAtThePageCap: the SSI API serves pages 1 to MaxPage only, so
// the iterators yield at most MaxPage*PageSize items and then ErrPageLimit,
// which says so, rather than ask for page 101 (a bare 400) or follow a
// totalCount that keeps growing.
func TestDIDsStopsAtThePageCap(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"longer list": pagedDIDs(10_050, -1, 0),
		"growing totalCount": func(w http.ResponseWriter, r *http.Request) {
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			pagedDIDs(1_000_000, page*ssi.PageSize+1, 0)(w, r)
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if page, _ := strconv.Atoi(r.URL.Query().Get("page")); page > ssi.MaxPage {
					answer(http.StatusBadRequest, `{"statusCode":400,"message":["page must not be greater than 100"],"error":"Bad Request"}`)(w, r)
					return
				}
				h(w, r)
			})
			n := 0
			var last error
			for did, err := range newClient(t, s).DIDs(t.Context()) {
				if err != nil {
					last = err
					continue
				}
				if want := fmt.Sprintf("did:hid:testnet:z%d", n); did != want {
					t.Fatalf("DID %d = %q; want %q", n, did, want)
				}
				n++
			}
			if n != ssi.MaxPage*ssi.PageSize {
				t.Errorf("yielded %d DIDs; want %d", n, ssi.MaxPage*ssi.PageSize)
			}
			if !errors.Is(last, ssi.ErrPageLimit) || errors.Is(last, ssi.ErrValidation) || !strings.Contains(last.Error(), "10000") {
				t.Errorf("error = %v; want ErrPageLimit that gives the count, not ErrValidation", last)
			}
			if got := len(s.requests()); got != ssi.MaxPage {
				t.Errorf("requests = %d; want %d", got, ssi.MaxPage)
			}
		})
	}
}
