package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth/internal/jwt"
)

// unverifiedNote is printed with every decoded token.
const unverifiedNote = "decoded WITHOUT verifying the signature: do not trust these claims"

// redactedValue replaces every claim whose name contains "secret".
const redactedValue = "(redacted)"

// inspect is the inspect command.
func (c *cli) inspect(args []string) int {
	fs := flags("inspect", "[--format text|json] [TOKEN|-]",
		"Decode a JWT's header and claims WITHOUT verifying its signature. The token is\n"+
			"read from the argument, or from standard input when it is - or absent (safer:\n"+
			"an argument shows in ps). A leading \"Bearer \" is ignored. iat, nbf and exp\n"+
			"are shown in RFC 3339 UTC with the time left; every claim whose name contains\n"+
			"\"secret\" is redacted. The token itself is never printed.")
	format := fs.String("format", "text", "output `format`: text or json")
	if code, ok := c.parse(fs, args); !ok {
		return code
	}
	if *format != "text" && *format != "json" {
		return c.usageError(fs.Name(), "--format must be text or json, not "+c.quote(*format))
	}
	if fs.NArg() > 1 {
		return c.usageError(fs.Name(), "inspect takes at most one token")
	}
	var token string
	if arg := fs.Arg(0); arg != "" && arg != "-" {
		token = arg
	} else {
		if f, ok := c.stdin.(*os.File); ok && arg == "" && isTerminal(f) {
			return c.usageError(fs.Name(), "give a token, or - to read it from standard input")
		}
		b, err := io.ReadAll(io.LimitReader(c.stdin, 2*jwt.MaxTokenSize))
		if err != nil {
			return c.fail("inspect", fmt.Errorf("reading standard input: %w", err))
		}
		token = string(b)
	}
	d, err := decodeToken(token)
	if err != nil {
		return c.fail("inspect", err)
	}
	now := time.Now()
	var out strings.Builder
	if *format == "json" {
		if err := d.writeJSON(&out, now); err != nil {
			return c.fail("inspect", err)
		}
	} else {
		d.writeText(&out, now)
	}
	c.stdout.printf("%s", out.String())
	return exitOK
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// decoded is a token's header and claims, with secrets redacted.
type decoded struct {
	header, claims map[string]any
}

// decodeToken decodes token without verifying it and redacts its secrets.
// Its errors never quote the token.
func decodeToken(token string) (*decoded, error) {
	token = strings.TrimSpace(token)
	if len(token) >= 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	if token == "" {
		return nil, errors.New("no token given")
	}
	h, cl, err := jwt.Decode(token)
	if err != nil {
		return nil, fmt.Errorf("the input is not a JWT (%s)", strings.TrimPrefix(err.Error(), "entityauth: "))
	}
	header, err := members(h)
	if err != nil {
		return nil, err
	}
	claims, err := members(cl)
	if err != nil {
		return nil, err
	}
	return &decoded{header: header, claims: claims}, nil
}

// members decodes the members of a JSON object, keeping numbers exact,
// and redacts its secrets.
func members(raw map[string]json.RawMessage) (map[string]any, error) {
	m := make(map[string]any, len(raw))
	for k, r := range raw {
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, errors.New("the input is not a JWT (a member does not decode)")
		}
		m[k] = v
	}
	redact(m)
	return m, nil
}

// redact replaces the value of every object member whose name contains
// "secret" (in any case), at any depth.
func redact(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if strings.Contains(strings.ToLower(k), "secret") {
				v[k] = redactedValue
			} else {
				v[k] = redact(e)
			}
		}
	case []any:
		for i, e := range v {
			v[i] = redact(e)
		}
	}
	return v
}

// timeClaims are the claims holding NumericDate values.
var timeClaims = []string{"iat", "nbf", "exp"}

// claimTime returns the time of a NumericDate claim.
func (d *decoded) claimTime(name string) (time.Time, bool) {
	n, ok := d.claims[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.Abs(f) > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// timeLeft describes how long the token has until exp.
func timeLeft(exp, now time.Time) string {
	left := exp.Sub(now)
	if left <= 0 {
		return "expired"
	}
	return left.Round(time.Second).String() + " left"
}

func (d *decoded) writeText(b *strings.Builder, now time.Time) {
	fmt.Fprintf(b, "Token %s.\n\nHeader\n", unverifiedNote)
	writeMembers(b, d.header, nil)
	fmt.Fprintf(b, "\nClaims\n")
	writeMembers(b, d.claims, func(k string) string {
		if !slices.Contains(timeClaims, k) {
			return ""
		}
		t, ok := d.claimTime(k)
		if !ok {
			return ""
		}
		s := t.Format(time.RFC3339)
		if k == "exp" {
			s += " (" + timeLeft(t, now) + ")"
		}
		return s
	})
	if _, ok := d.claims["exp"]; !ok {
		fmt.Fprintf(b, "\nThe token has no exp claim.\n")
	}
}

// writeMembers writes one line per member, sorted by name, with the values
// aligned; note, if not nil, adds a third column.
func writeMembers(b *strings.Builder, m map[string]any, note func(string) string) {
	keys := slices.Sorted(maps.Keys(m))
	width := 0
	for _, k := range keys {
		width = max(width, len(k))
	}
	for _, k := range keys {
		v := m[k]
		s := redactedValue
		if v != redactedValue {
			j, _ := json.Marshal(v) // values came from JSON: they marshal
			s = string(j)
		}
		fmt.Fprintf(b, "  %-*s  %s", width, k, s)
		if note != nil {
			if n := note(k); n != "" {
				fmt.Fprintf(b, "  %s", n)
			}
		}
		b.WriteString("\n")
	}
}

// inspectJSON is the JSON output of inspect.
type inspectJSON struct {
	Verified  bool           `json:"verified"`
	Note      string         `json:"note"`
	Header    map[string]any `json:"header"`
	Claims    map[string]any `json:"claims"`
	IssuedAt  string         `json:"issued_at,omitempty"`
	NotBefore string         `json:"not_before,omitempty"`
	ExpiresAt string         `json:"expires_at,omitempty"`
	Expired   *bool          `json:"expired,omitempty"`
	TimeLeft  string         `json:"time_left,omitempty"`
}

func (d *decoded) writeJSON(w *strings.Builder, now time.Time) error {
	out := inspectJSON{Note: unverifiedNote, Header: d.header, Claims: d.claims}
	rfc := func(name string) string {
		if t, ok := d.claimTime(name); ok {
			return t.Format(time.RFC3339)
		}
		return ""
	}
	out.IssuedAt, out.NotBefore, out.ExpiresAt = rfc("iat"), rfc("nbf"), rfc("exp")
	if exp, ok := d.claimTime("exp"); ok {
		expired := !exp.After(now)
		out.Expired = &expired
		if !expired {
			out.TimeLeft = exp.Sub(now).Round(time.Second).String()
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
