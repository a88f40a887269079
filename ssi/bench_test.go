package ssi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/entity-studio-go/entityauth/ssi"
)

// BenchmarkListDIDs measures one page of 100 DIDs through package ssi beside
// the same call written by hand with net/http and encoding/json, against the
// same httptest server in the same run.
func BenchmarkListDIDs(b *testing.B) {
	data := make([]string, ssi.PageSize)
	for i := range data {
		data[i] = fmt.Sprintf("did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJj%06d", i)
	}
	body, err := json.Marshal(map[string]any{"totalCount": 12345, "data": data})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	hc := srv.Client()

	b.Run("ssi", func(b *testing.B) {
		c, err := ssi.NewClient(srv.URL, hc)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			l, err := c.ListDIDs(b.Context(), 1, ssi.PageSize)
			if err != nil || len(l.Data) != ssi.PageSize {
				b.Fatalf("ListDIDs = %v, %v", l, err)
			}
		}
	})
	b.Run("nethttp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, fmt.Sprintf("%s/api/v1/did?page=%d&limit=%d", srv.URL, 1, ssi.PageSize), nil)
			if err != nil {
				b.Fatal(err)
			}
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var l struct {
				TotalCount int      `json:"totalCount"`
				Data       []string `json:"data"`
			}
			err = json.NewDecoder(io.LimitReader(resp.Body, ssi.MaxResponseBytes)).Decode(&l)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || len(l.Data) != ssi.PageSize {
				b.Fatalf("status %d, %d DIDs, %v", resp.StatusCode, len(l.Data), err)
			}
		}
	})
}
