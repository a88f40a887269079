package entityauthtest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestUsageLogBounded: the usage log keeps at most maxUsageEntries requests
// and maxUsageBytes of paths, forgetting the oldest first.
func TestUsageLogBounded(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	for i := range maxUsageEntries + 10 {
		s.logUsage(httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/v1/did?page="+strconv.Itoa(i), nil), jsObject{})
	}
	l := &s.ssi.usage
	if len(l.entries) != maxUsageEntries || l.forgotten != 10 {
		t.Fatalf("entries, forgotten = %d, %d; want %d, 10", len(l.entries), l.forgotten, maxUsageEntries)
	}
	if got, want := l.entries[0].path, "/api/v1/did?page=10"; got != want {
		t.Errorf("oldest kept = %s; want %s", got, want)
	}
	long := "/api/v1/did?q=" + strings.Repeat("x", 1<<20)
	for range 9 {
		s.logUsage(httptest.NewRequestWithContext(t.Context(), http.MethodGet, long, nil), jsObject{})
	}
	if l.bytes > maxUsageBytes {
		t.Errorf("bytes = %d; want at most %d", l.bytes, maxUsageBytes)
	}
	sum := 0
	for _, e := range l.entries {
		sum += len(e.path)
	}
	if sum != l.bytes {
		t.Errorf("bytes = %d; the entries hold %d", l.bytes, sum)
	}
	if last := l.entries[len(l.entries)-1].path; last != long {
		t.Errorf("newest entry = %.40s…; want the last long path", last)
	}
}

// TestUsageDate reads dates as new Date(…) does for the ISO forms.
func TestUsageDate(t *testing.T) {
	for _, tt := range []struct {
		in, want string // want: toISOString, or "" for Invalid Date
	}{
		{"2025-01-31", "2025-01-31T00:00:00.000Z"},
		{"2025-01", "2025-01-01T00:00:00.000Z"},
		{"2025", "2025-01-01T00:00:00.000Z"},
		{"2025-01-31T10:20:30.5Z", "2025-01-31T10:20:30.500Z"},
		{"2025-01-31T10:20:30.123456Z", "2025-01-31T10:20:30.123Z"},
		{"2025-01-31T10:20+02:00", "2025-01-31T08:20:00.000Z"},
		{"2025-02-30", ""},
		{"2025-13-01", ""},
		{"yesterday", ""},
		{"", ""},
	} {
		got, ok := usageDate(tt.in)
		if s := jsISO(got); (tt.want == "") == ok || (ok && s != tt.want) {
			t.Errorf("usageDate(%q) = %s, %v; want %q", tt.in, s, ok, tt.want)
		}
	}
	local, ok := usageDate("2025-01-31T10:20")
	if want := time.Date(2025, 1, 31, 10, 20, 0, 0, time.UTC); !ok || !local.Equal(want) {
		t.Errorf("usageDate of a date-time without offset = %v; want %v, the server's local time as UTC", local, want)
	}
}
