package main

import (
	"runtime/debug"
)

// version is the version command: the module version and VCS revision
// recorded in the binary.
func (c *cli) version(args []string) int {
	fs := flags("version", "", "Print the module version, VCS revision and Go version of this binary.")
	if code, ok := c.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs.Name(), "version takes no arguments")
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		c.stdout.printf("%s\n", "entityauth (no build information)")
		return exitOK
	}
	// A module version ("v1.2.0", or a pseudo-version that holds the
	// revision) says it all; a (devel) build gets the VCS revision, if any.
	line := "entityauth " + info.Main.Version
	if info.Main.Version == "" || info.Main.Version == "(devel)" {
		line = "entityauth (devel)"
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			line += " " + rev[:min(len(rev), 12)]
			if modified == "true" {
				line += "+dirty"
			}
		}
	}
	c.stdout.printf("%s %s\n", line, info.GoVersion)
	return exitOK
}
