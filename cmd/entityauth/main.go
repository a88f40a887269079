// Command entityauth gets, caches and inspects Entity Studio access tokens,
// calls the SSI API with them, verifies credentials and presentations, serves a fake Entity Studio for tests, and
// shows the library at work.
//
// Usage:
//
//	entityauth token [flags]        print an access token (cached across runs)
//	entityauth api [flags] PATH     call the SSI API with a cached token
//	entityauth inspect [TOKEN|-]    decode a token's header and claims, unverified
//	entityauth verify [flags] FILE  verify a credential or presentation offline
//	entityauth fake [flags]         serve a fake Entity Studio for tests
//	entityauth demo                 walk through the library against an in-process fake
//	entityauth version              print the build's version (also --version)
//	entityauth help [COMMAND]       print help
//
// The API secret key comes from the environment variable
// ENTITY_API_SECRET_KEY or from a file (--secret-file), never from a flag.
// Every command takes -h. Exit status: 0 on success, 1 on failure, 2 on a
// usage error, 75 on a temporary failure (EX_TEMPFAIL: rate limited, server
// error or network error; try again later), 130 when interrupted (SIGINT),
// 143 when terminated (SIGTERM).
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
		{"api", "[flags] PATH", "call the SSI API with a cached token; print the answer", (*cli).api},
		{"inspect", "[flags] [TOKEN|-]", "decode a token's header and claims WITHOUT verifying it", (*cli).inspect},
		{"verify", "[flags] FILE|-", "verify a credential or presentation offline; exit 0 when valid", (*cli).verify},
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
