package entityauthtest

import (
	"net"
	"net/http"
	"time"
)

// ServeHTTP records the request, then answers it: by closing the connection
// when the server is down, else with the endpoint's next queued fault, else
// as the real server does: the JSON body parser's 400, the rate limit's 429,
// or the route's answer. Every token request counts against the rate limit,
// including those answered by a fault, except those that the body parser
// refuses.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	ep := endpointOf(r.Method, r.URL.Path)
	var badBody *jsonAnswer
	if ep != noEndpoint {
		badBody = bodyParserError(r, ep)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		dropConn(w)
		return
	}
	s.inflight.Add(1)
	defer s.inflight.Done()
	rec := Request{Method: r.Method, Path: r.URL.Path, Time: now}
	if s.requests.max > 0 {
		rec.RawQuery, rec.Header, rec.RemoteAddr = r.URL.RawQuery, recordedHeader(r.Header), r.RemoteAddr
	}
	s.requests.add(rec)
	down := s.down
	var fault *Fault
	limited := false
	if !down && ep != noEndpoint {
		if q := s.queues[ep]; len(q) > 0 {
			f := q[0]
			fault = &f
			s.queues[ep] = q[1:]
		}
		if ep == TokenEndpoint && badBody == nil {
			limited = s.limitedLocked(host, now)
		}
	}
	s.mu.Unlock()

	sw := &statusWriter{ResponseWriter: w}
	switch {
	case down:
		dropConn(w)
		s.logf("%s %s: down, connection closed", r.Method, r.URL.Path)
		return
	case fault != nil:
		s.serveFault(sw, r, *fault, limited, badBody)
	default:
		s.answer(sw, r, limited, badBody)
	}
	if sw.status == 0 {
		s.logf("%s %s: connection closed", r.Method, r.URL.Path)
		return
	}
	s.logf("%s %s: %d", r.Method, r.URL.Path, sw.status)
}

// answer gives r the real server's answer: the body parser's refusal when
// badBody is set (a 400 for JSON that does not parse, a 500 for a body past
// the SSI API's limit), else the rate limit's 429 when limited, else the
// route's.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, limited bool, badBody *jsonAnswer) {
	switch {
	case badBody != nil:
		_ = badBody.write(w)
	case limited:
		tooManyRequests(w)
	default:
		s.mux.ServeHTTP(w, r)
	}
}

// statusWriter remembers the status for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// dropConn closes the request's connection without an answer.
func dropConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server closes the connection
	}
	_ = conn.Close()
}
