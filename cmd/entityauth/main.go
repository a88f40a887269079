// Command entityauth gets, caches and inspects Entity Studio access tokens,
// serves a fake Entity Studio for tests, and shows the library at work.
//
// Usage:
//
//	entityauth token [flags]        print an access token (cached across runs)
//	entityauth inspect [TOKEN|-]    decode a token's header and claims, unverified
//	entityauth fake [flags]         serve a fake Entity Studio for tests
//	entityauth demo                 walk through the library against an in-process fake
//	entityauth version              print the build's version (also --version)
//	entityauth help [COMMAND]       print help
//
// The API secret key comes from the environment variable
// ENTITY_API_SECRET_KEY or from a file (--secret-file), never from a flag.
// Every command takes -h. Exit status: 0 on success, 1 on failure, 2 on a
// usage error, 75 on a temporary failure (EX_TEMPFAIL: rate limited, server
// error or network error; try again later).
package main

import (
	"os"
	"strings"
)

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
		{"fake", "[flags]", "serve a fake Entity Studio for tests until interrupted", (*cli).fake},
		{"demo", "", "walk through the library against an in-process fake", (*cli).demo},
		{"version", "", "print the build's version (also --version)", (*cli).version},
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
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		c.usage(c.stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	cmd, ok := lookup(name)
	if !ok {
		if strings.HasPrefix(name, "-") && !strings.ContainsAny(name, " \t\r\n") && len(name) <= maxEcho {
			// Spelt as package flag's errors are, after flagMessage.
			return c.usageError("", "unknown flag "+c.redact(name))
		}
		return c.usageError("", "unknown command "+c.quote(name))
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

// usage prints the overview of the commands.
func (c *cli) usage(w *output) {
	w.printf("entityauth gets, caches and inspects Entity Studio access tokens.\n\nUsage:\n\n")
	for _, cmd := range commands {
		w.printf("  entityauth %-26s %s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
	}
	w.printf("\nThe API secret key comes from $%s or --secret-file, never from a flag.\n", envSecret)
	w.printf("Run 'entityauth COMMAND -h' for a command's flags.\n")
	w.printf("Exit status: %d ok, %d failure, %d usage error, %d temporary failure (try again later).\n",
		exitOK, exitFail, exitUsage, exitTempFail)
}

// help is the help command.
func (c *cli) help(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		c.usage(c.stdout)
		return exitOK
	}
	if len(args) > 1 {
		return c.usageError("help", "help takes at most one command")
	}
	cmd, ok := lookup(args[0])
	if !ok {
		return c.usageError("help", "unknown command "+c.quote(args[0]))
	}
	if cmd.name == "help" {
		c.usage(c.stdout)
		return exitOK
	}
	return cmd.run(c, []string{"-h"})
}
