// Command entityauth gets, caches and inspects Entity Studio access tokens,
// serves a fake Entity Studio for tests, and shows the library at work.
//
// Usage:
//
//	entityauth token [flags]        print an access token (cached across runs)
//	entityauth inspect [TOKEN|-]    decode a token's header and claims, unverified
//	entityauth fake [--addr ADDR]   serve a fake Entity Studio on loopback
//	entityauth demo                 walk through the library against an in-process fake
//	entityauth version              print the build's version
//	entityauth help [COMMAND]       print help
//
// The API secret key comes from the environment variable
// ENTITY_API_SECRET_KEY or from a file (--secret-file), never from a flag.
// Every command takes -h. Exit status: 0 on success, 1 on failure, 2 on a
// usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// cli holds what a command reads and writes, so that it can run in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr *output
	getenv         func(string) string
}

// command is one subcommand.
type command struct {
	name    string
	args    string // synopsis of the arguments
	summary string
	run     func(c *cli, args []string) int
}

var commands []command

func init() {
	commands = []command{
		{"token", "[flags]", "print an access token, cached across runs", (*cli).token},
		{"inspect", "[flags] [TOKEN|-]", "decode a token's header and claims WITHOUT verifying it", (*cli).inspect},
		{"fake", "[--addr ADDR]", "serve a fake Entity Studio on loopback until interrupted", (*cli).fake},
		{"demo", "", "walk through the library against an in-process fake", (*cli).demo},
		{"version", "", "print the build's version", (*cli).version},
		{"help", "[COMMAND]", "print help about a command", (*cli).help},
	}
}

func main() {
	c := &cli{stdin: os.Stdin, stdout: &output{w: os.Stdout}, stderr: &output{w: os.Stderr}, getenv: os.Getenv}
	os.Exit(c.run(os.Args[1:]))
}

// run dispatches args to a subcommand and returns the exit status.
func (c *cli) run(args []string) int {
	if len(args) == 0 {
		c.usage(c.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		c.usage(c.stdout)
		return exitOK
	}
	cmd, ok := lookup(args[0])
	if !ok {
		c.stderr.printf("entityauth: unknown command %q\n\n", args[0])
		c.usage(c.stderr)
		return exitUsage
	}
	code := cmd.run(c, args[1:])
	if code == exitOK && c.stdout.err != nil {
		c.stderr.printf("entityauth %s: writing the output: %v\n", cmd.name, c.stdout.err)
		return exitFail
	}
	return code
}

func lookup(name string) (command, bool) {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd, true
		}
	}
	return command{}, false
}

func (c *cli) usage(w *output) {
	w.printf("entityauth gets, caches and inspects Entity Studio access tokens.\n\nUsage:\n\n")
	for _, cmd := range commands {
		w.printf("  entityauth %-26s %s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
	}
	w.printf("\nThe API secret key comes from %s or --secret-file, never from a flag.\n", envSecret)
	w.printf("Run 'entityauth COMMAND -h' for a command's flags. Exit status: 0 ok, 1 failure, 2 usage error.\n")
}

// help is the help command.
func (c *cli) help(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		c.usage(c.stdout)
		return exitOK
	}
	cmd, ok := lookup(args[0])
	if !ok || cmd.name == "help" {
		if !ok {
			c.stderr.printf("entityauth help: unknown command %q\n", args[0])
			return exitUsage
		}
		c.usage(c.stdout)
		return exitOK
	}
	return cmd.run(c, []string{"-h"})
}

// flags returns a FlagSet for the named command whose errors and help the
// caller prints through parse.
func flags(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		head := fmt.Sprintf("Usage: entityauth %s %s\n\n%s\n", name, synopsis, about)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			head += "\nFlags:\n"
		}
		_, _ = io.WriteString(fs.Output(), head)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args. It returns ok false with the exit status when the
// command should stop: 0 after -h (usage on stdout), 2 after a bad flag
// (message and usage on stderr).
func (c *cli) parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(c.stdout)
		fs.Usage()
		return exitOK, false
	}
	if err != nil {
		return c.usageError(fs, err.Error()), false
	}
	return 0, true
}

// usageError prints msg and the command's usage on stderr and returns 2.
func (c *cli) usageError(fs *flag.FlagSet, msg string) int {
	c.stderr.printf("entityauth %s: %s\n\n", fs.Name(), msg)
	fs.SetOutput(c.stderr)
	fs.Usage()
	return exitUsage
}

// fail prints err on stderr, prefixed by the command's name, and returns 1.
func (c *cli) fail(name string, err error) int {
	c.stderr.printf("entityauth %s: %s\n", name, strings.TrimPrefix(err.Error(), "entityauth: "))
	return exitFail
}
