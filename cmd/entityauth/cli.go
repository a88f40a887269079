package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// cli holds what a command reads and writes, so that it can run in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr *output
	getenv         func(string) string
	// secret is the API secret key once a command has read it from a file;
	// redact masks it, and the key in the environment, in echoed input.
	secret string
	// sent holds the access tokens that the api command sent; redact masks
	// them too.
	sent tokenSet
	// terminated is set when a SIGTERM ended the command (see signalContext).
	terminated atomic.Bool
}

// tokenSet is a set of access tokens, safe for concurrent use.
type tokenSet struct {
	mu     sync.Mutex
	tokens []string
}

// add adds tok to the set.
func (s *tokenSet) add(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok != "" && !slices.Contains(s.tokens, tok) {
		s.tokens = append(s.tokens, tok)
	}
}

// list returns the tokens of the set.
func (s *tokenSet) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tokens)
}

// flags returns a FlagSet for the named command. Its help, printed by parse
// on -h, shows the flags as --name, and parse turns its errors into one-line
// usage errors.
func flags(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := fs.Output()
		_, _ = fmt.Fprintf(w, "Usage: entityauth %s %s\n\n%s\n", name, synopsis, about)
		printFlags(w, fs)
	}
	return fs
}

// printFlags prints the flags of fs in the manner of flag.PrintDefaults,
// but spelt --name, as the README and the usage lines spell them.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := f.Value.(aliasValue); ok {
			return // shown with its long name
		}
		if first {
			_, _ = io.WriteString(w, "\nFlags:\n")
			first = false
		}
		arg, usage := flag.UnquoteUsage(f)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			arg = ""
		}
		line := "  --" + f.Name
		if short := shortName(fs, f.Name); short != "" {
			line = "  -" + short + ", --" + f.Name
		}
		if arg != "" {
			line += " " + arg
		}
		line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
		if def := defaultOf(f); def != "" {
			line += " (default " + def + ")"
		}
		_, _ = io.WriteString(w, line+"\n")
	})
}

// aliasValue is the Value of a one-letter alias of a flag, such as -X of
// --method: the long flag's Value, marked so that help shows both on one
// line.
type aliasValue struct {
	flag.Value
	long string
}

// alias defines -short as another name of the flag --long of fs.
func alias(fs *flag.FlagSet, short, long string) {
	f := fs.Lookup(long)
	fs.Var(aliasValue{f.Value, long}, short, "same as --"+long)
}

// shortName returns the alias of the flag called long, or "".
func shortName(fs *flag.FlagSet, long string) string {
	short := ""
	fs.VisitAll(func(f *flag.Flag) {
		if a, ok := f.Value.(aliasValue); ok && a.long == long {
			short = f.Name
		}
	})
	return short
}

// dashed spells the flag name as help does: -X for a one-letter alias,
// --name for any other.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// defaultOf returns f's default as help shows it, or "" for a zero default.
func defaultOf(f *flag.Flag) string {
	switch f.DefValue {
	case "", "0", "false":
		return ""
	}
	if g, ok := f.Value.(flag.Getter); ok {
		if _, isString := g.Get().(string); isString {
			return strconv.Quote(f.DefValue)
		}
	}
	return f.DefValue
}

// parse parses args. It returns ok false with the exit status when the
// command should stop: 0 after -h (usage on stdout), 2 after a bad flag
// (one line on stderr).
func (c *cli) parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(c.stdout)
		fs.Usage()
		return exitOK, false
	}
	if err != nil {
		return c.usageError(fs.Name(), c.redact(flagMessage(err))), false
	}
	return 0, true
}

// flagMessage rewrites an error of package flag with the flag spelt as help
// spells it (see dashed). Package flag has no typed errors; these are its
// message formats.
func flagMessage(err error) string {
	msg := err.Error()
	for _, r := range []struct{ from, to string }{
		{"flag provided but not defined: -", "unknown flag "},
		{"flag needs an argument: -", "flag needs an argument: "},
	} {
		if rest, ok := strings.CutPrefix(msg, r.from); ok {
			return r.to + dashed(rest)
		}
	}
	for _, infix := range []string{" for flag -", " for -"} {
		if before, after, ok := strings.Cut(msg, infix); ok {
			name, rest, _ := strings.Cut(after, ":")
			return before + " for " + dashed(name) + ":" + rest
		}
	}
	return msg
}

// parseInterspersed parses args as parse does, but lets flags follow the
// arguments (entityauth api PATH --paginate), as far as a "--" that ends
// the flags. It returns the arguments.
func (c *cli) parseInterspersed(fs *flag.FlagSet, args []string) (positional []string, code int, ok bool) {
	for {
		if code, ok := c.parse(fs, args); !ok {
			return nil, code, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, 0, true
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" && !isValueOf(fs, args, n-1) {
			return append(positional, rest...), 0, true
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// isValueOf reports whether args[i] is the value of the flag before it, as
// in --data --, rather than the end of the flags.
func isValueOf(fs *flag.FlagSet, args []string, i int) bool {
	if i == 0 {
		return false
	}
	name := strings.TrimLeft(args[i-1], "-")
	if name == args[i-1] || strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, isBool := f.Value.(interface{ IsBoolFlag() bool })
	return !isBool || !b.IsBoolFlag()
}

// usageError prints a usage error, one line naming the problem and one
// pointing at the help of cmd (of entityauth itself when cmd is ""), on
// stderr, and returns exitUsage. msg must hold no secret; quote user input
// with quoteArg and redact.
func (c *cli) usageError(cmd, msg string) int {
	prefix, help := "entityauth", "entityauth -h"
	if cmd != "" {
		prefix, help = "entityauth "+cmd, "entityauth "+cmd+" -h"
	}
	c.stderr.printf("%s: %s\nRun '%s' for usage.\n", prefix, oneLine(msg), help)
	return exitUsage
}

// maxEcho bounds how much of one argument an error message echoes.
const maxEcho = 200

// quoteArg quotes an argument that cannot hold a secret for an error message: Go-quoted, so that
// control characters cannot break the line, and cut to maxEcho bytes.
func quoteArg(s string) string {
	if len(s) > maxEcho {
		return strconv.Quote(s[:maxEcho]) + "…"
	}
	return strconv.Quote(s)
}

// quote is quoteArg of s with the key redacted: use it to echo user input.
func (c *cli) quote(s string) string { return quoteArg(c.redact(s)) }

// redactedText replaces a secret in echoed input.
const redactedText = "REDACTED"

// redact replaces the API secret key, from the environment or as read from
// a file, and every access token that the api command sent, wherever it
// occurs in s: an argument may hold the key by mistake, and a server may
// echo the token.
func (c *cli) redact(s string) string {
	for _, k := range append([]string{strings.TrimSpace(c.getenv(envSecret)), c.secret}, c.sent.list()...) {
		if k != "" {
			s = strings.ReplaceAll(s, k, redactedText)
		}
	}
	return s
}

// oneLine replaces line breaks in msg, so that it stays one line.
func oneLine(msg string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(msg)
}
