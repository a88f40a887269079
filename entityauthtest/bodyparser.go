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

// maxParsedBody is the largest request body to the token endpoint whose
// JSON the fake checks; larger bodies are ignored unparsed, as the route
// ignores every body.
const maxParsedBody = 1 << 20

// bodyParserError returns the answer with which the real servers' JSON body
// parser (Express's, in strict mode, which runs before the middleware, the
// rate limit and the route) refuses r's body, or nil when it accepts the
// body or does not parse it (another Content-Type). It reads r.Body and
// leaves what it read in its place.
//
// The SSI API's parser takes up to 10 MiB (express.json({limit: '10mb'}) in
// src/main.ts). Past that, body-parser fails with a PayloadTooLargeError
// (from the Content-Length alone, when it says so), which NestJS 9.4.3 does
// not map to an HttpException (core/router/routes-resolver.js maps only
// SyntaxError and URIError), so the service's AllExceptionsFilter
// (src/utils/utils.ts) answers 500 with the error's name and text.
func bodyParserError(r *http.Request, ep Endpoint) *jsonAnswer {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" || r.Body == nil {
		return nil
	}
	limit := int64(maxParsedBody)
	if ep == APIEndpoint {
		limit = maxSSIRequestBody
		if r.ContentLength > limit {
			return tooLarge(r)
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	switch {
	case err != nil:
		return nil
	case int64(len(body)) > limit && ep == APIEndpoint:
		return tooLarge(r)
	case int64(len(body)) > limit:
		return nil
	}
	if msg := jsonParseError(body); msg != "" {
		a := nestError(http.StatusBadRequest, msg)
		return &a
	}
	return nil
}

// tooLarge is the SSI API's answer to a JSON body past its limit.
func tooLarge(r *http.Request) *jsonAnswer {
	return &jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "PayloadTooLargeError", "request entity too large")}
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
