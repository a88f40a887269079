package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// fake is the fake command: entityauthtest served on a loopback address.
func (c *cli) fake(args []string) int {
	fs := flags("fake", "[--addr ADDR] [--rate-limit N]",
		"Serve a fake Entity Studio (package entityauthtest) on a loopback address until\n"+
			"interrupted: the token endpoint POST /api/v1/app/oauth and a slice of the SSI API\n"+
			"(GET /api/v1/did, POST /api/v1/did/create), so that programs in any language can\n"+
			"be tested against it. It prints its URL and the random key it accepts (a test\n"+
			"credential of the fake, good for nothing else), and logs one line per request on\n"+
			"standard error.")
	addr := fs.String("addr", "127.0.0.1:8080", "loopback `address` to listen on (port 0 picks a free one)")
	rateLimit := fs.Int("rate-limit", 0, "token requests per minute per client address; 0 = 10 (the real limit), -1 = unlimited")
	if code, ok := c.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "fake takes no arguments")
	}
	if err := checkLoopback(*addr); err != nil {
		return c.usageError(fs, err.Error())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return c.fail("fake", err)
	}
	srv := entityauthtest.NewListenerServer(ln, entityauthtest.Options{
		RateLimit: *rateLimit,
		Logf: func(format string, args ...any) {
			c.stderr.printf("entityauth fake: "+format+"\n", args...)
		},
	})
	defer srv.Close()

	url := srv.URL
	c.stdout.printf("Fake Entity Studio at %s\n", url)
	c.stdout.printf("  token endpoint  POST %s/api/v1/app/oauth\n", url)
	c.stdout.printf("  SSI API         GET  %s/api/v1/did, POST %s/api/v1/did/create\n", url, url)
	c.stdout.printf("The fake's API key (a random test credential that only this fake accepts):\n  %s\n", srv.APIKey())
	c.stdout.printf("Try: %s=<the fake's key> entityauth token --no-cache --base-url %s\n", envSecret, url)
	c.stdout.printf("Stop with Ctrl-C.\n")

	<-ctx.Done()
	srv.Close()
	c.stderr.printf("%s\n", "entityauth fake: stopped")
	return exitOK
}

// checkLoopback returns an error unless addr is host:port with a loopback
// host: localhost, 127.0.0.0/8 or ::1.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q is not host:port", addr)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %q is not a loopback address: the fake serves only localhost, 127.0.0.0/8 and ::1", addr)
}
