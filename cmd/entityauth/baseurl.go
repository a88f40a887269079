package main

import (
	"fmt"
	"net/url"
	"strings"
)

// insecureURL completes a usage error for a base URL that the library
// refused with [entityauth.ErrInsecureURL].
const insecureURL = "is neither https nor plain http to a loopback host (localhost, 127.0.0.0/8, ::1)"

// urlProblem returns what makes raw unusable as a base URL in a way the
// user can fix at the command line, or "" if it is a URL that the library
// may still refuse (for its scheme or host). An empty raw means the default;
// example is a good value, for the message.
func urlProblem(raw, example string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme == "" || u.Host == "":
		return "is not an absolute URL such as " + example
	case u.User != nil:
		return "must not hold credentials (user:password@): the key goes in $" + envSecret
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "must not hold a query or a fragment"
	}
	return ""
}

// maxSchemelessEcho is the longest value without "://" that displayURL
// shows: a longer one may be a key set where the URL belongs.
const maxSchemelessEcho = 64

// displayURL quotes a base URL, as the user typed it, for an error message,
// with every part that may hold a secret redacted: the user information
// (https://KEY@host), the query and the fragment (?key=KEY), the API
// secret key wherever it occurs, and any long value without a scheme.
func (c *cli) displayURL(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i+1] + redactedText
	}
	scheme, rest := "", s
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = s[:i+3], s[i+3:]
	}
	host := rest
	if i := strings.Index(rest, "/"); i >= 0 {
		host = rest[:i]
	}
	if at := strings.LastIndex(host, "@"); at >= 0 {
		rest = redactedText + rest[at:]
	}
	if scheme == "" && len(rest) > maxSchemelessEcho {
		return fmt.Sprintf("(a value of %d characters without a scheme, not shown)", len(raw))
	}
	return c.quote(scheme + rest)
}
