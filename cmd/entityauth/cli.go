package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// cli holds what a command reads and writes, so that it can run in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr *output
	getenv         func(string) string
	// secret is the API secret key once a command has read it from a file;
	// redact masks it, and the key in the environment, in echoed input.
	secret string
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
		if first {
			_, _ = io.WriteString(w, "\nFlags:\n")
			first = false
		}
		arg, usage := flag.UnquoteUsage(f)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			arg = ""
		}
		line := "  --" + f.Name
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

// flagMessage rewrites an error of package flag with the flag spelt --name.
// Package flag has no typed errors; these are its message formats.
func flagMessage(err error) string {
	msg := err.Error()
	for _, r := range []struct{ from, to string }{
		{"flag provided but not defined: -", "unknown flag --"},
		{"flag needs an argument: -", "flag needs an argument: --"},
	} {
		if rest, ok := strings.CutPrefix(msg, r.from); ok {
			return r.to + rest
		}
	}
	for _, infix := range []string{" for flag -", " for -"} {
		if before, after, ok := strings.Cut(msg, infix); ok {
			return before + " for --" + after
		}
	}
	return msg
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
// a file, wherever it occurs in s: an argument may hold the key by mistake.
func (c *cli) redact(s string) string {
	for _, k := range []string{strings.TrimSpace(c.getenv(envSecret)), c.secret} {
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
