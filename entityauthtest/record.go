package entityauthtest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// A Request is one request as the server received it.
type Request struct {
	Method     string
	Path       string
	RawQuery   string
	Header     http.Header // a copy; it holds secrets such as X-Api-Secret-Key as sent
	Time       time.Time   // when the server received it, by time.Now
	RemoteAddr string
}

// Requests returns a copy of every request received since the server started
// or since the last [Server.ResetRequests], in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.requests)
	for i := range out {
		out[i].Header = out[i].Header.Clone()
	}
	return out
}

// TokenRequests returns the number of recorded requests to the token
// endpoint, POST /api/v1/app/oauth, whatever their answer.
func (s *Server) TokenRequests() int { return s.count(TokenEndpoint) }

// APIRequests returns the number of recorded requests to the SSI API slice
// (every path under /api/v1/ but the token endpoint), whatever their answer.
func (s *Server) APIRequests() int { return s.count(APIEndpoint) }

// ResetRequests forgets the recorded requests. It does not reset the rate limit.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) count(e Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if endpointOf(r.Method, r.Path) == e {
			n++
		}
	}
	return n
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
