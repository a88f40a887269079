package ssi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/entity-studio-go/entityauth/internal/safetext"
)

// Sentinel errors. An [*Error] matches, with [errors.Is], every sentinel that
// describes its answer; callers act on these rather than on message texts.
//
// These describe the SSI API's answers. A call can also fail before it
// reaches the SSI API, while its client fetches a token: those errors are the
// token service's, from package [github.com/entity-studio-go/entityauth]
// (entityauth.ErrUnauthorized for a refused key, entityauth.ErrRateLimited,
// entityauth.ErrServer, …), wrapped in the call's error. Names shared by the
// two families never match each other's errors: [ErrUnauthorized] and
// [ErrServer] here are the SSI API's 401 and 5xx, not the token service's.
// [KindOf] classifies both families and network failures together.
var (
	// ErrValidation means that the SSI API refused the request's body or query
	// (400) for a reason other than credits or the grant type: a field is
	// missing or malformed, a DID is registered already, the chain refused a
	// change.
	ErrValidation = errors.New("entityauth: ssi: request refused as invalid")
	// ErrCreditsExhausted means that the app has no credits left (400 "No
	// credits found or credit exhausted. Please contact the admin"). Retrying
	// does not help until an admin adds credits.
	ErrCreditsExhausted = errors.New("entityauth: ssi: credits exhausted")
	// ErrInvalidGrant means that the token was not issued for the SSI service
	// (400 "Invalid grant type").
	ErrInvalidGrant = errors.New("entityauth: ssi: token has the wrong grant type")
	// ErrUnauthorized means that the SSI API refused the token (401), even
	// after the one refresh that [github.com/entity-studio-go/entityauth.Config.Client]
	// makes. [ErrOriginMismatch] is one of its causes.
	ErrUnauthorized = errors.New("entityauth: ssi: token refused")
	// ErrOriginMismatch means that the Origin header is not in the app's
	// allowed origins (401 "Origin mismatch"). A new token does not help; fix
	// Config.Origin or the app's settings.
	ErrOriginMismatch = errors.New("entityauth: ssi: origin not allowed")
	// ErrPermissionDenied means that the token lacks the permission the route
	// needs (403 "Permission denied: Missing access rights").
	ErrPermissionDenied = errors.New("entityauth: ssi: permission denied")
	// ErrNotFound means that the resource does not exist or belongs to
	// another app (404), or that an update matched nothing.
	ErrNotFound = errors.New("entityauth: ssi: not found")
	// ErrConflict means that the resource exists already (409 "Duplicate key error").
	ErrConflict = errors.New("entityauth: ssi: conflict")
	// ErrServer means that the SSI API failed (5xx). Its 500s carry the
	// failing component's message, such as a refusal of the chain or the SDK.
	ErrServer = errors.New("entityauth: ssi: server error")

	// ErrInvalidResponse means that a successful answer could not be decoded
	// into the operation's type.
	ErrInvalidResponse = errors.New("entityauth: ssi: invalid response")
	// ErrBodyTooLarge means that an answer exceeded [MaxResponseBytes].
	ErrBodyTooLarge = errors.New("entityauth: ssi: response body too large")
)

// The server's message texts that select a sentinel. A message selects one
// only when it is the whole text (for credits: when it starts with the real
// text's first sentence), since the SSI API echoes request values in its
// messages: a value that holds one of these texts must not change the class.
const (
	creditsPrefix       = "No credits found or credit exhausted"
	grantMessage        = "Invalid grant type"
	originMessage       = "Origin mismatch"
	noTemplateMatchText = "no presentation template matched the id (the server answered 200 with an empty body)"
)

// Bounds on what an Error keeps of an answer, and prints: the server's texts
// are untrusted, and an answer may be up to [MaxResponseBytes] long.
const (
	maxMessages     = 32   // messages kept; the last says how many more there were
	maxMessageBytes = 512  // bytes per message, as the token layer keeps
	maxReasonBytes  = 128  // bytes of Reason
	maxErrorText    = 2048 // bytes of the messages in Error()
	maxOperation    = 256  // bytes of the operation in Error()
)

// Error is the error for an answer of the SSI API that is not the operation's
// success status. Reach it with [errors.As]; match its class with [errors.Is]
// and the sentinels above.
type Error struct {
	// Operation is the operationId of spec/ssi-api.yaml, such as "createDID".
	Operation string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Reason is the body's error field, such as "Bad Request"; empty when absent.
	Reason string
	// Messages are the server's messages in order. A message that the server
	// sent as an object is kept as its compact JSON text. It is empty when the
	// body was not JSON. The access token sent with the request, should the
	// server echo it here or in Reason, is replaced by "[REDACTED]". Each
	// message, and Reason, is on one line without control characters or
	// terminal escapes (see [ParseError]), and cut to a bounded length.
	Messages []string

	emptyUpdate bool // an update that matched no template: see Client.UpdatePresentationTemplate
}

// Error returns the operation, the status and the server's messages, on one
// line and at most a few KiB long, whatever the Error holds.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "entityauth: ssi: %s: %d %s", safetext.Line(e.Operation, maxOperation), e.StatusCode, http.StatusText(e.StatusCode))
	if len(e.Messages) > 0 {
		var msgs strings.Builder
		for i, m := range e.Messages {
			if msgs.Len() > maxErrorText {
				break
			}
			if i > 0 {
				msgs.WriteString("; ")
			}
			msgs.WriteString(m[:min(len(m), maxErrorText+1)])
		}
		b.WriteString(": ")
		b.WriteString(safetext.Line(msgs.String(), maxErrorText))
	}
	return b.String()
}

// Is reports whether target is a sentinel that describes e.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrCreditsExhausted:
		return e.StatusCode == http.StatusBadRequest && e.creditsExhausted()
	case ErrInvalidGrant:
		return e.StatusCode == http.StatusBadRequest && e.has(grantMessage)
	case ErrValidation:
		return e.StatusCode == http.StatusBadRequest && !e.creditsExhausted() && !e.has(grantMessage)
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrOriginMismatch:
		return e.StatusCode == http.StatusUnauthorized && e.has(originMessage)
	case ErrPermissionDenied:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound || e.emptyUpdate
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrServer:
		return e.StatusCode >= http.StatusInternalServerError
	}
	return false
}

// redactedText replaces a secret in an Error's texts.
const redactedText = "[REDACTED]"

// has reports whether one of the messages is s, whole.
func (e *Error) has(s string) bool {
	return slices.Contains(e.Messages, s)
}

// creditsExhausted reports whether one of the messages is the credit
// manager's: it starts with the real text's first sentence ("No credits found
// or credit exhausted. Please contact the admin"). No message of the SSI API
// starts with a request value.
func (e *Error) creditsExhausted() bool {
	for _, m := range e.Messages {
		if strings.HasPrefix(m, creditsPrefix) {
			return true
		}
	}
	return false
}

// ParseError decodes the body of a failed answer of the SSI API (status 400
// or more) to the operation op, such as "GET /api/v1/did", into an *Error
// that matches the sentinels. It reads the NestJS shape {statusCode, message,
// error} with message a string, a list of strings or a list of objects, the
// 500 shape {statusCode, timestamp, path, message}, and a bare JSON string,
// as rate limiters send; an `error` that says more than the status text is a
// message when there is none. A body that is not JSON yields an Error without
// messages.
//
// The server's texts are untrusted: every control character (newlines, the
// ESC of terminal escapes) becomes a space, a message is cut after 512 bytes,
// and past 32 messages the last says how many more there were. A caller
// that sent a secret the server may echo must remove it from body first: a
// secret cut in two would escape a later search. Client calls return such
// errors already, with their access token redacted: ParseError is for answers
// got some other way, such as through [Client.Raw] or a plain http.Client.
func ParseError(op string, status int, body []byte) *Error {
	return parseError(op, status, body, "")
}

// parseError is ParseError, which replaces secret, unless it is empty, in
// every text before it sanitizes and cuts it.
func parseError(op string, status int, body []byte, secret string) *Error {
	clean := func(s string, n int) string { return safetext.Line(redact(s, secret), n) }
	e := &Error{Operation: op, StatusCode: status}
	var one string
	if json.Unmarshal(body, &one) == nil {
		e.Messages = []string{clean(one, maxMessageBytes)}
		return e
	}
	var v struct {
		Message json.RawMessage `json:"message"`
		Error   string          `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil {
		return e
	}
	e.Reason = clean(v.Error, maxReasonBytes)
	msgs, more := decodeMessages(v.Message)
	for _, m := range msgs {
		e.Messages = append(e.Messages, clean(m, maxMessageBytes))
	}
	if more > 0 {
		e.Messages = append(e.Messages, fmt.Sprintf("(%d more messages)", more))
	}
	if len(e.Messages) == 0 && e.Reason != "" && e.Reason != http.StatusText(status) {
		e.Messages = []string{e.Reason}
	}
	return e
}

// redact returns s with secret, unless it is empty, replaced.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, redactedText)
}

// decodeMessages turns message into strings: a string is kept, a list yields
// its strings and the compact JSON of its other elements, anything else (an
// object, a number) yields its compact JSON. Of a list, it decodes the first
// maxMessages-1 elements, or all when there are maxMessages or fewer, and
// returns how many it left.
func decodeMessages(raw json.RawMessage) (msgs []string, more int) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, 0
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, 0
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return []string{compact(raw)}, 0
	}
	if len(list) > maxMessages {
		list, more = list[:maxMessages-1], len(list)-(maxMessages-1)
	}
	out := make([]string, 0, len(list))
	for _, m := range list {
		if json.Unmarshal(m, &s) == nil {
			out = append(out, s)
			continue
		}
		out = append(out, compact(m))
	}
	return out, more
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
