package entityauth

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

var (
	_ fmt.Formatter  = Config{}
	_ fmt.Stringer   = Config{}
	_ fmt.GoStringer = Config{}
	_ slog.LogValuer = Config{}
	_ fmt.Formatter  = (*TokenSource)(nil)
	_ slog.LogValuer = (*TokenSource)(nil)
	_ fmt.Formatter  = (*Transport)(nil)
	_ slog.LogValuer = (*Transport)(nil)
)

// String returns the Config's fields with the API secret key redacted.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("entityauth.Config{")
	c.writeFields(&b)
	b.WriteString("}")
	return b.String()
}

// GoString returns the Config as Go syntax with the API secret key redacted.
func (c Config) GoString() string {
	return "entityauth.Config{APISecretKey:" + strconv.Quote(keyState(c.APISecretKey)) +
		", BaseURL:" + strconv.Quote(c.displayBaseURL()) +
		", Origin:" + strconv.Quote(c.Origin) +
		", GrantType:" + strconv.Quote(c.GrantType) +
		", Lifetime:" + strconv.FormatInt(int64(c.Lifetime), 10) +
		", RefreshTimeout:" + strconv.FormatInt(int64(c.RefreshTimeout), 10) +
		", MaxAttempts:" + strconv.Itoa(c.MaxAttempts) + "}"
}

// Format implements [fmt.Formatter] so that every verb prints the Config
// redacted: %#v prints GoString, every other verb String.
func (c Config) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String, c.GoString)
}

// LogValue implements [slog.LogValuer] with the API secret key redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(c.logAttrs()...)
}

func (c Config) logAttrs() []slog.Attr {
	return []slog.Attr{
		slog.String("api_secret_key", keyState(c.APISecretKey)),
		slog.String("base_url", c.baseURL()),
		slog.String("origin", c.Origin),
		slog.String("grant_type", c.GrantType),
		slog.Duration("lifetime", c.Lifetime),
	}
}

func (c Config) writeFields(b *strings.Builder) {
	fmt.Fprintf(b, "APISecretKey: %s, BaseURL: %s", keyState(c.APISecretKey), c.baseURL())
	if c.Origin != "" {
		fmt.Fprintf(b, ", Origin: %s", c.Origin)
	}
	if c.GrantType != "" {
		fmt.Fprintf(b, ", GrantType: %s", c.GrantType)
	}
	if c.Lifetime != 0 {
		fmt.Fprintf(b, ", Lifetime: %v", c.Lifetime)
	}
	if c.Cache != nil {
		b.WriteString(", Cache: set")
	}
}

// baseURL returns BaseURL for display: the default when empty, and without
// any credentials it may hold.
func (c Config) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return c.displayBaseURL()
}

// displayBaseURL returns BaseURL as it is when it is empty or valid, and
// "(invalid)" otherwise, since an invalid URL may hold credentials.
func (c Config) displayBaseURL() string {
	if c.BaseURL == "" {
		return ""
	}
	if base, err := checkBaseURL(c.BaseURL); err == nil {
		return base
	}
	return "(invalid)"
}

// keyState describes a secret without revealing it.
func keyState(secret string) string {
	if secret == "" {
		return "(unset)"
	}
	return redacted
}

// String describes the TokenSource and its cached token's expiry, with no
// secret.
func (s *TokenSource) String() string {
	var b strings.Builder
	b.WriteString("entityauth.TokenSource{")
	s.cfg.writeFields(&b)
	switch e := s.cur.Load(); {
	case s.err != nil:
		b.WriteString(", Err: " + s.err.Error())
	case e == nil:
		b.WriteString(", Token: (none)")
	default:
		fmt.Fprintf(&b, ", Token: %s, Expiry: %s", redacted, e.tok.Expiry.UTC().Format(time.RFC3339))
	}
	b.WriteString("}")
	return b.String()
}

// Format implements [fmt.Formatter] so that every verb prints the
// TokenSource redacted.
func (s *TokenSource) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, s.String, s.String)
}

// LogValue implements [slog.LogValuer] with no secret.
func (s *TokenSource) LogValue() slog.Value {
	attrs := s.cfg.logAttrs()
	if e := s.cur.Load(); e != nil {
		attrs = append(attrs, slog.Time("expiry", e.tok.Expiry))
	}
	return slog.GroupValue(attrs...)
}

func formatRedacted(f fmt.State, verb rune, str, gostr func() string) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = f.Write([]byte(gostr()))
	case verb == 'q':
		_, _ = f.Write([]byte(strconv.Quote(str())))
	default:
		_, _ = f.Write([]byte(str()))
	}
}

// String describes the Transport by the types of its Source and Base, so
// that no token that a Source or Base holds is printed.
func (t *Transport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "entityauth.Transport{Source: %T, Base: %T", t.Source, t.Base)
	if t.Origin != "" {
		fmt.Fprintf(&b, ", Origin: %s", t.Origin)
	}
	if len(t.APIHosts) > 0 {
		fmt.Fprintf(&b, ", APIHosts: %s", strings.Join(t.APIHosts, ","))
	}
	b.WriteString("}")
	return b.String()
}

// Format implements [fmt.Formatter] so that every verb prints the Transport
// without the secrets its Source or Base may hold.
func (t *Transport) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, t.String, t.String)
}

// LogValue implements [slog.LogValuer] with no secret.
func (t *Transport) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("source", fmt.Sprintf("%T", t.Source)),
		slog.String("base", fmt.Sprintf("%T", t.Base)),
		slog.String("origin", t.Origin),
		slog.Any("api_hosts", t.APIHosts),
	)
}
