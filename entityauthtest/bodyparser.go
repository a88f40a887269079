package entityauthtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxParsedBody is the largest request body whose JSON the fake checks;
// larger bodies are ignored unread past it.
const maxParsedBody = 1 << 20

// bodyParserError returns the message with which the real token server's
// JSON body parser (Express's, in strict mode, which runs before the rate
// limit and the route) refuses r's body, or "" when it accepts the body or
// does not parse it. It reads r.Body and leaves a copy in its place.
func bodyParserError(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" || r.Body == nil {
		return ""
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxParsedBody+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil || len(body) > maxParsedBody {
		return ""
	}
	return jsonParseError(body)
}

// jsonParseError returns the SyntaxError message of Node 18's JSON.parse
// for body under body-parser's strict mode (only an object or an array at
// the top), or "" when body parses. An empty body parses as {}.
func jsonParseError(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	i := 0
	for i < len(body) && isJSONSpace(body[i]) {
		i++
	}
	if i == len(body) {
		return "Unexpected end of JSON input"
	}
	if body[i] != '{' && body[i] != '[' {
		return fmt.Sprintf("Unexpected token %c in JSON at position %d", body[i], i)
	}
	var v any
	err := json.Unmarshal(body, &v)
	var syn *json.SyntaxError
	switch {
	case err == nil:
		return ""
	case !errors.As(err, &syn) || syn.Offset > int64(len(body)) || strings.HasPrefix(syn.Error(), "unexpected end"):
		return "Unexpected end of JSON input"
	}
	pos := max(syn.Offset-1, 0) // Offset counts the offending byte
	return fmt.Sprintf("Unexpected token %c in JSON at position %d", body[pos], pos)
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
