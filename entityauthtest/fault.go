package entityauthtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// An Endpoint selects the queue of [Server.Enqueue].
type Endpoint int

// The endpoints of a Server.
const (
	// TokenEndpoint is POST /api/v1/app/oauth.
	TokenEndpoint Endpoint = iota
	// APIEndpoint is the SSI API, every path under /api/v1/ but the token endpoint.
	APIEndpoint
)

// A Fault is one queued answer. Fields combine: for example Delay with
// Status, or TruncateAt with JSON.
//
// A Fault that sets none of Status, JSON, Body, Oversize, Redirect and Drop
// does not replace the answer: the request gets its normal answer after
// Delay, with Header and RetryAfter added, cut at TruncateAt if set.
type Fault struct {
	Status      int           // 0 = 200 (302 when Redirect is set)
	JSON        any           // marshalled as the body, with Content-Type application/json; charset=utf-8
	Body        string        // raw body, used when JSON is nil; its Content-Type is sniffed
	ContentType string        // overrides the Content-Type (e.g. "text/html")
	Header      http.Header   // extra headers
	RetryAfter  string        // sets Retry-After: seconds ("3") or an HTTP date
	Delay       time.Duration // wait before writing headers; ends early, dropping the connection, on request cancel or Close
	Drop        bool          // close the connection without answering
	TruncateAt  int           // >0: send the full Content-Length but only this many body bytes, then close the connection
	Oversize    int64         // >0: a 200-style JSON token body of this many bytes, streamed
	Redirect    string        // Location of a redirect
}

// Enqueue queues faults as the next answers of endpoint e, served first in,
// first out, before normal behaviour resumes. Requests answered by a fault
// still count against the rate limit.
func (s *Server) Enqueue(e Endpoint, faults ...Fault) {
	if e != TokenEndpoint && e != APIEndpoint {
		panic("entityauthtest: Enqueue: unknown endpoint " + strconv.Itoa(int(e)))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues[e] = append(s.queues[e], faults...)
}

// InternalServerError returns a Fault that answers like the real token
// server's database or hashing failure:
// 500 {"statusCode":500,"timestamp":"<ISO>","path":"<URL>","message":[...]},
// where timestamp is when the fault is served and path is the request's URL
// as sent, query string included.
func InternalServerError() Fault {
	return Fault{
		Status: http.StatusInternalServerError,
		JSON:   internalFault{name: "MongoServerError", text: "connection pool cleared"},
	}
}

// internalFault is the JSON of [InternalServerError], completed by the
// request it answers.
type internalFault struct{ name, text string }

func (f *Fault) replacesAnswer() bool {
	return f.Status != 0 || f.JSON != nil || f.Body != "" || f.Oversize > 0 || f.Redirect != "" || f.Drop
}

// serveFault answers r with f. limited and badBody are as for [Server.answer],
// for faults that keep the normal answer.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f Fault, limited bool, badBody *jsonAnswer) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			dropConn(w)
			return
		case <-s.done:
			dropConn(w)
			return
		}
	}
	if f.Drop {
		dropConn(w)
		return
	}

	var (
		status = f.Status
		ctype  string
		size   int64
		body   io.Reader
	)
	switch {
	case !f.replacesAnswer():
		rec := httptest.NewRecorder()
		s.answer(rec, r, limited, badBody)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		status, size, body = rec.Code, int64(rec.Body.Len()), rec.Body
	case f.Oversize > 0:
		ctype, size, body = "application/json; charset=utf-8", f.Oversize, oversizeBody(f.Oversize)
	case f.JSON != nil:
		v := f.JSON
		if in, ok := v.(internalFault); ok {
			v = newInternalBody(r.RequestURI, in.name, in.text)
		}
		b, err := json.Marshal(v)
		if err != nil {
			panic("entityauthtest: Fault.JSON: " + err.Error())
		}
		ctype, size, body = "application/json; charset=utf-8", int64(len(b)), bytes.NewReader(b)
	default:
		if f.Body != "" {
			ctype = http.DetectContentType([]byte(f.Body))
		}
		size, body = int64(len(f.Body)), bytes.NewReader([]byte(f.Body))
	}
	if f.ContentType != "" {
		ctype = f.ContentType
	}
	if status == 0 {
		status = http.StatusOK
		if f.Redirect != "" {
			status = http.StatusFound
		}
	}

	h := w.Header()
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if f.RetryAfter != "" {
		h.Set("Retry-After", f.RetryAfter)
	}
	if f.Redirect != "" {
		h.Set("Location", f.Redirect)
	}
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(status)
	if f.TruncateAt > 0 && int64(f.TruncateAt) < size {
		_, _ = io.CopyN(w, body, int64(f.TruncateAt))
		_ = http.NewResponseController(w).Flush()
		dropConn(w)
		return
	}
	_, _ = io.Copy(w, body)
}

// oversizeBody streams {"access_token":"xxx…","expiresIn":14400,"tokenType":"Bearer"}
// padded to exactly n bytes (or just n bytes of padding when n is tiny),
// without holding it in memory.
func oversizeBody(n int64) io.Reader {
	const head, tail = `{"access_token":"`, `","expiresIn":14400,"tokenType":"Bearer"}`
	if n < int64(len(head)+len(tail)) {
		return io.LimitReader(padding{}, n)
	}
	return io.MultiReader(
		bytes.NewReader([]byte(head)),
		io.LimitReader(padding{}, n-int64(len(head)+len(tail))),
		bytes.NewReader([]byte(tail)),
	)
}

// padding is an endless reader of 'x'.
type padding struct{}

func (padding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}
