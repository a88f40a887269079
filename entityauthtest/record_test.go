package entityauthtest_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// bigHeaders sends n unauthenticated requests to unknown paths, each with
// 256 KiB of headers, and returns their paths.
func bigHeaders(t *testing.T, s *entityauthtest.Server, n int) []string {
	t.Helper()
	pad := strings.Repeat("x", 64<<10)
	var paths []string
	for i := range n {
		path := fmt.Sprintf("/nowhere/%d", i)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j := range 4 {
			req.Header.Set(fmt.Sprintf("X-Pad-%d", j), pad)
		}
		if a := do(t, s, req); a.status != http.StatusNotFound {
			t.Fatalf("GET %s = %d; want 404", path, a.status)
		}
		paths = append(paths, path)
	}
	return paths
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestRecordIsBounded: 120 requests with 256 KiB of headers each (30 MiB in
// all) leave the server's record small, each header capped; the record keeps
// the latest requests, and the counts count them all.
func TestRecordIsBounded(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{MaxRecorded: 50})
	before := heapInUse()
	paths := bigHeaders(t, s, 120)
	if grew := int64(heapInUse()) - int64(before); grew > 8<<20 {
		t.Errorf("the heap grew by %d MiB after 120 requests; want at most 8 MiB", grew>>20)
	}
	reqs := s.Requests()
	if len(reqs) != 50 || reqs[0].Path != paths[70] || reqs[49].Path != paths[119] {
		t.Fatalf("Requests() = %d requests from %s; want the latest 50, from %s", len(reqs), reqs[0].Path, paths[70])
	}
	for _, r := range reqs {
		size := 0
		for k, vs := range r.Header {
			for _, v := range vs {
				size += len(k) + len(v)
			}
		}
		if size > entityauthtest.MaxRecordedHeaderBytes {
			t.Fatalf("request %s keeps %d bytes of header; want at most %d", r.Path, size, entityauthtest.MaxRecordedHeaderBytes)
		}
	}

	tok := token(t, s, tokenRequest{})
	send(t, s, tok, http.MethodGet, "/api/v1/did", nil)
	if got := s.Requests(); len(got) != 50 || got[48].Path != "/api/v1/app/oauth" || got[48].Header.Get("X-Api-Secret-Key") != s.APIKey() ||
		got[49].Header.Get("Authorization") != "Bearer "+tok {
		t.Errorf("the last two records lack the token request and its key, or the API request and its token")
	}
	if s.TokenRequests() != 1 || s.APIRequests() != 1 {
		t.Errorf("TokenRequests, APIRequests = %d, %d; want 1, 1", s.TokenRequests(), s.APIRequests())
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 || s.TokenRequests() != 0 {
		t.Errorf("after ResetRequests: %d requests, %d token requests; want none", len(s.Requests()), s.TokenRequests())
	}
}

// TestRecordOff: with MaxRecorded negative, as the entityauth fake command
// runs, nothing is kept, and the counts still count.
func TestRecordOff(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{MaxRecorded: -1})
	bigHeaders(t, s, 10)
	tok := token(t, s, tokenRequest{})
	send(t, s, tok, http.MethodGet, "/api/v1/did", nil)
	if got := s.Requests(); len(got) != 0 {
		t.Errorf("Requests() = %d requests; want none", len(got))
	}
	if s.TokenRequests() != 1 || s.APIRequests() != 1 {
		t.Errorf("TokenRequests, APIRequests = %d, %d; want 1, 1", s.TokenRequests(), s.APIRequests())
	}
}

// TestRecordDefault: the zero Options keep DefaultMaxRecorded requests.
func TestRecordDefault(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	bigHeaders(t, s, 3)
	if got := s.Requests(); len(got) != 3 || len(got[0].Header) == 0 {
		t.Errorf("Requests() = %d requests; want the 3 with their headers", len(got))
	}
}
