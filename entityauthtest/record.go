package entityauthtest

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// A Request is one request as the server received it.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	// Header is a copy of the request's header, capped at
	// [MaxRecordedHeaderBytes] of names and values, in the order of the
	// names: the value that crosses the cap is cut, and later ones are left
	// out. It holds secrets such as X-Api-Secret-Key as sent.
	Header     http.Header
	Time       time.Time // when the server received it, by time.Now
	RemoteAddr string
}

// DefaultMaxRecorded is how many requests a Server keeps for
// [Server.Requests] when Options.MaxRecorded is 0.
const DefaultMaxRecorded = 10_000

// MaxRecordedHeaderBytes caps the header of each recorded [Request], so that
// the record stays small whatever clients send.
const MaxRecordedHeaderBytes = 4 << 10

// requestLog is the record of requests: the latest max of them in a ring,
// and the count of every request per endpoint since the last reset.
type requestLog struct {
	max    int       // 0: keep none
	ring   []Request // oldest first until it is full, then from next
	next   int
	counts [2]int // by Endpoint
}

func newRequestLog(max int) requestLog {
	switch {
	case max == 0:
		max = DefaultMaxRecorded
	case max < 0:
		max = 0
	}
	return requestLog{max: max}
}

// add records r and counts it. s.mu must be held.
func (l *requestLog) add(r Request) {
	if e := endpointOf(r.Method, r.Path); e != noEndpoint {
		l.counts[e]++
	}
	switch {
	case l.max == 0:
	case len(l.ring) < l.max:
		l.ring = append(l.ring, r)
	default:
		l.ring[l.next] = r
		l.next = (l.next + 1) % l.max
	}
}

// list returns the recorded requests in order, with headers of their own.
func (l *requestLog) list() []Request {
	out := make([]Request, 0, len(l.ring))
	out = append(out, l.ring[l.next:]...)
	out = append(out, l.ring[:l.next]...)
	for i := range out {
		out[i].Header = out[i].Header.Clone()
	}
	return out
}

// recordedHeader copies h within MaxRecordedHeaderBytes.
func recordedHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	left := MaxRecordedHeaderBytes
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			if left -= len(k); left <= 0 {
				return out
			}
			if len(v) > left {
				v = v[:left]
			}
			left -= len(v)
			out[k] = append(out[k], v)
		}
	}
	return out
}

// Requests returns a copy of the requests received since the server started
// or since the last [Server.ResetRequests], in order: the latest
// Options.MaxRecorded of them ([DefaultMaxRecorded] by default).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.list()
}

// TokenRequests returns the number of requests to the token endpoint, POST
// /api/v1/app/oauth, whatever their answer, since the server started or
// since the last [Server.ResetRequests], recorded or not.
func (s *Server) TokenRequests() int { return s.count(TokenEndpoint) }

// APIRequests returns the number of requests to the SSI API slice (every
// path under /api/v1/ but the token endpoint), whatever their answer, as
// [Server.TokenRequests] counts.
func (s *Server) APIRequests() int { return s.count(APIEndpoint) }

// ResetRequests forgets the recorded requests and sets the counts to zero.
// It does not reset the rate limit.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = newRequestLog(s.opts.MaxRecorded)
}

func (s *Server) count(e Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.counts[e]
}

// noEndpoint marks a request outside both endpoints.
const noEndpoint Endpoint = -1

func endpointOf(method, path string) Endpoint {
	switch {
	case method == http.MethodPost && path == tokenPath:
		return TokenEndpoint
	case strings.HasPrefix(path, ssiPrefix):
		return APIEndpoint
	}
	return noEndpoint
}

// rateCounter is the real rate limiter's Redis counter for one client
// address (src/utils/middleware/rate-limit.middleware.ts): INCR on every
// request, and EXPIRE with the window on the request that made it 1. So the
// window starts at its first request, and counting past the limit does not
// extend it.
type rateCounter struct {
	n       int
	expires time.Time // zero until the first INCR sets the expiry
}

// maxCounters is how many client addresses the limiter tracks before it
// forgets those whose window has ended, as Redis would have.
const maxCounters = 1024

// limitedLocked counts a token request from host and reports whether it is
// over the limit. s.mu must be held.
func (s *Server) limitedLocked(host string, now time.Time) bool {
	if s.limit < 0 {
		return false
	}
	if len(s.counters) >= maxCounters {
		for h, c := range s.counters {
			if !now.Before(c.expires) {
				delete(s.counters, h)
			}
		}
	}
	c := s.counters[host]
	if c == nil || !now.Before(c.expires) {
		c = &rateCounter{} // the key has expired: INCR starts from 0
		s.counters[host] = c
	}
	c.n++
	if c.n == 1 {
		c.expires = now.Add(s.window)
	}
	return c.n > s.limit
}
