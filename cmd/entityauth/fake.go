package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/internal/loopback"
)

// fake is the fake command: entityauthtest served on a TCP address.
func (c *cli) fake(args []string) int {
	fs := flags("fake", "[--addr ADDR] [--key KEY] [--rate-limit N] [--env]",
		"Serve a fake Entity Studio (package entityauthtest) until interrupted: the token\n"+
			"endpoint POST /api/v1/app/oauth and the SSI API as entityauthtest models it, both\n"+
			"under one URL, so that programs in any language, and 'entityauth api', can be\n"+
			"tried and tested against it. It prints its URL and the key it accepts (a test credential\n"+
			"of the fake, good for nothing else: random unless --key or $"+envFakeKey+" sets\n"+
			"it), and logs one line per request on standard error. An --addr beyond loopback\n"+
			"(for docker-compose) is allowed, with a warning: anyone who reaches it gets tokens.\n\n"+
			"With --env it prints only export lines for the shell, closes standard output and\n"+
			"goes on serving, so that it can start in the background:\n\n"+
			"  eval \"$(entityauth fake --addr 127.0.0.1:0 --env &)\"\n"+
			"  entityauth api -d '{\"namespace\":\"testnet\"}' /api/v1/did/create\n"+
			"  kill \"$"+envFakePID+"\"")
	addr := fs.String("addr", "127.0.0.1:8080", "`address` to listen on, host:port (port 0 picks a free one)")
	key := fs.String("key", "", "the `KEY` the fake accepts (env "+envFakeKey+"; default a random key in the real format)")
	rateLimit := fs.Int("rate-limit", 0, fmt.Sprintf("allow `N` token requests a minute per client address; 0 = %d (the real limit), -1 = unlimited", tokenRateLimit))
	chainDelay := fs.Duration("chain-delay", entityauthtest.DefaultChainDelay, "how long queued chain transactions take to land, such as `2s`; 0 = at the next request")
	direct := fs.Bool("direct", false, "answer as for an app without a fee grant: registrations and status changes\nreach the chain before the answer (default: queued, as in production)")
	printEnv := fs.Bool("env", false, "print export lines of "+envBaseURL+", "+envSecret+", "+envSSIURL+"\nand "+envFakePID+" for eval, instead of the banner")
	if code, ok := c.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError("fake", "fake takes no arguments")
	}
	keyName := "--key"
	if !isSet(fs, "key") {
		*key, keyName = c.getenv(envFakeKey), "$"+envFakeKey
	}
	if problem := keyProblem(*key); problem != "" {
		return c.usageError("fake", keyName+" "+problem)
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return c.usageError("fake", "--addr "+c.quote(*addr)+" is not host:port, such as 127.0.0.1:8080")
	}
	if !loopback.Host(host) {
		c.stderr.printf("entityauth fake: warning: --addr %s is not a loopback address: anyone who reaches it can get tokens from the fake\n", c.quote(*addr))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return c.fail("fake", err)
	}
	srv := entityauthtest.NewListenerServer(ln, entityauthtest.Options{
		APIKey:      *key,
		RateLimit:   *rateLimit,
		ChainDelay:  fakeChainDelay(*chainDelay),
		DirectMode:  *direct,
		MaxRecorded: -1, // nothing reads the record: a long-running fake must not grow
		Logf: func(format string, args ...any) {
			c.stderr.printf("entityauth fake: "+format+"\n", args...)
		},
	})
	defer srv.Close()

	url := reachableURL(srv.URL, host, port, ln.Addr())
	if *printEnv {
		c.stdout.printf("export %s=%s\n", envBaseURL, shellQuote(url))
		c.stdout.printf("export %s=%s\n", envSecret, shellQuote(srv.APIKey()))
		c.stdout.printf("export %s=%s\n", envSSIURL, shellQuote(url))
		c.stdout.printf("export %s=%d\n", envFakePID, os.Getpid())
		// Closing standard output ends a $(…) that reads it, while the fake
		// goes on serving.
		if err := c.stdout.close(); err != nil {
			return c.fail("fake", err)
		}
		c.stderr.printf("entityauth fake: serving at %s; stop with kill %d\n", url, os.Getpid())
	} else {
		c.stdout.printf("Fake Entity Studio at %s\n", url)
		c.stdout.printf("  token endpoint  POST %s/api/v1/app/oauth\n", url)
		c.stdout.printf("  SSI API         %s/api/v1/…\n", url)
		c.stdout.printf("The fake's API key (a test credential that only this fake accepts):\n  %s\n", srv.APIKey())
		c.stdout.printf("Try: eval \"$(entityauth fake --addr 127.0.0.1:0 --env &)\"; entityauth api /api/v1/did\n")
		c.stdout.printf("  or %s=<the fake's key> entityauth token --no-cache --base-url %s\n", envSecret, url)
		c.stdout.printf("Stop with Ctrl-C.\n")
	}

	<-ctx.Done()
	srv.Close()
	c.stderr.printf("%s\n", "entityauth fake: stopped")
	return exitOK
}

// keyProblem returns what makes key unfit for the fake, or "" if it is
// fit: empty (a random key) or printable ASCII without spaces, as a header
// value and the library require.
func keyProblem(key string) string {
	for i := 0; i < len(key); i++ {
		if b := key[i]; b <= ' ' || b >= 0x7f {
			return "holds a space, a control character or a non-ASCII byte, which no header can carry"
		}
	}
	return ""
}

// reachableURL returns the URL at which clients on this machine reach the
// fake: srvURL, unless it listens on every address (0.0.0.0, :: or no
// host), which is no address to connect to; then the loopback address.
func reachableURL(srvURL, host, port string, addr net.Addr) string {
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return srvURL
	}
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
	}
	loop := "127.0.0.1"
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		loop = "::1"
	}
	return "http://" + net.JoinHostPort(loop, port)
}

// shellQuote quotes s for a POSIX shell: in single quotes, each single
// quote in s written as quote, backslash, quote, quote.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fakeChainDelay turns --chain-delay into Options.ChainDelay, where 0 means
// the default: there, 0 or less lands a transaction at the next request.
func fakeChainDelay(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}
