package main

import "strings"

// usage prints the overview of the commands.
func (c *cli) usage(w *output) {
	w.printf("entityauth gets, caches and inspects Entity Studio access tokens, calls the SSI API\nwith them, and serves a fake Entity Studio for tests.\n\nUsage:\n\n")
	for _, cmd := range commands {
		w.printf("  entityauth %-26s %s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
	}
	w.printf("\nThe API secret key comes from $%s or --secret-file, never from a flag.\n", envSecret)
	w.printf("Run 'entityauth COMMAND -h' for a command's flags.\n")
	w.printf("Exit status: %d ok, %d failure, %d usage error, %d temporary failure (try again later), %d interrupted (%d on SIGTERM).\n",
		exitOK, exitFail, exitUsage, exitTempFail, exitInterrupted, exitTerminated)
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
