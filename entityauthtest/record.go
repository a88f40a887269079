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
// (paths under /api/v1/did), whatever their answer.
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
	case path == didPath || strings.HasPrefix(path, didPath+"/"):
		return APIEndpoint
	}
	return noEndpoint
}

// rateWindow counts one client address's token requests in a fixed window.
type rateWindow struct {
	start time.Time
	n     int
}

// limitedLocked counts a token request from host and reports whether it is
// over the limit. s.mu must be held.
func (s *Server) limitedLocked(host string, now time.Time) bool {
	if s.limit < 0 {
		return false
	}
	w := s.windows[host]
	if w == nil || now.Sub(w.start) >= s.window {
		w = &rateWindow{start: now}
		s.windows[host] = w
	}
	w.n++
	return w.n > s.limit
}
