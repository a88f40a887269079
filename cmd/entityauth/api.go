package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/internal/loopback"
	"github.com/entity-studio-go/entityauth/ssi"
)

// apiTimeout bounds each request of the api command, the reading of its
// answer included: a chain write such as registering a DID takes seconds.
const apiTimeout = 2 * time.Minute

// maxAPIBody bounds a request body (--data), an answer, and the merged
// answer of --paginate: the SSI API's own request size limit.
const maxAPIBody = ssi.MaxResponseBytes

// apiMethods are the methods that the api command sends.
var apiMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// api is the api command.
func (c *cli) api(args []string) int {
	fs := flags("api", "[flags] PATH",
		"Call the SSI API with an access token, as curl would with Authorization: Bearer,\n"+
			"and print the answer's body on standard output, as received. The token comes\n"+
			"from the same encrypted cache as 'entityauth token' (see its -h), and the\n"+
			"flags that choose it are the same. An answer of 401 costs one new token and\n"+
			"one retry.\n\n"+
			"PATH is relative to the SSI API's root, /api/v1 under its base URL (--api-url),\n"+
			"as in gh api: did, /did, api/v1/did and /api/v1/did are all GET /api/v1/did. It\n"+
			"may carry a query: did?page=2. A full URL is accepted only under that base URL:\n"+
			"the token goes to no other host.\n\n"+
			"The method is GET, or POST with --data. --data is JSON, inline, from @FILE, or\n"+
			"from standard input (-), sent as application/json; it must be valid JSON.\n"+
			"--paginate (GET only) asks for page 1, 2, … with limit "+strconv.Itoa(ssi.PageSize)+" (unless PATH sets\n"+
			"one) until totalCount is reached or a page is empty, and prints one merged\n"+
			"{\"totalCount\":N,\"data\":[…]}. The SSI API serves pages 1 to "+strconv.Itoa(ssi.MaxPage)+" only: past\n"+
			"them, or at a page that repeats the one before, it prints what it has and fails.\n\n"+
			"An HTTP error prints the answer's body too, and the server's message on\n"+
			fmt.Sprintf("standard error; exit %d, or %d for a 429, a 5xx or a network error (try again\n", exitFail, exitTempFail)+
			"later). A body that holds the token sent or the key is printed with them\n"+
			"replaced by "+redactedText+".\n\n"+
			"  entityauth api did --paginate\n"+
			"  entityauth api -d '{\"namespace\":\"testnet\"}' did/create")
	var method, data string
	fs.StringVar(&method, "method", "", "HTTP `METHOD`: "+strings.Join(apiMethods, ", ")+"; default GET, or POST with --data")
	alias(fs, "X", "method")
	fs.StringVar(&data, "data", "", "request body: `JSON`, @FILE, or - for standard input")
	alias(fs, "d", "data")
	paginate := fs.Bool("paginate", false, "follow page and limit until totalCount; print one merged list (GET only)")
	apiURL := fs.String("api-url", c.getenv(envSSIURL), "SSI API base `URL` (env "+envSSIURL+"; default "+ssi.DefaultBaseURL+")")
	tf := c.addTokenFlags(fs)
	paths, code, ok := c.parseInterspersed(fs, args)
	if !ok {
		return code
	}
	switch len(paths) {
	case 0:
		return c.usageError("api", "a PATH is needed, such as /api/v1/did")
	case 1:
	default:
		return c.usageError("api", fmt.Sprintf("api takes one PATH, not %d (put a query in the PATH: api/v1/did?page=2)", len(paths)))
	}
	hasData := isSet(fs, "data") || isSet(fs, "d")
	method = strings.ToUpper(method)
	switch {
	case method == "" && hasData:
		method = http.MethodPost
	case method == "":
		method = http.MethodGet
	case !slices.Contains(apiMethods, method):
		return c.usageError("api", "unknown method "+c.quote(method)+"; use one of "+strings.Join(apiMethods, ", "))
	}
	if hasData && method == http.MethodGet {
		return c.usageError("api", "--data needs a method with a body, such as POST, not GET")
	}
	if *paginate && method != http.MethodGet {
		return c.usageError("api", "--paginate follows the pages of GET only, not "+method)
	}
	if hasData && data == "-" && *tf.secretFile == "-" {
		return c.usageError("api", "--data - and --secret-file - cannot both read standard input")
	}
	base, code, ok := c.apiBase(fs, *apiURL)
	if !ok {
		return code
	}
	target, err := resolvePath(base, paths[0])
	if err != nil {
		return c.usageError("api", "PATH "+c.displayURL(paths[0])+" "+err.Error())
	}
	var pages pageQuery
	if *paginate {
		if pages, err = pageQueryOf(target); err != nil {
			return c.usageError("api", "--paginate: "+c.redact(err.Error()))
		}
	}
	var body []byte
	if hasData {
		if body, code, ok = c.readData(data); !ok {
			return code
		}
	}
	cfg, code, ok := c.tokenConfig(fs, tf)
	if !ok {
		return code
	}
	// The token goes to the SSI API's host alone, redirects included.
	cfg.APIHosts = []string{base.Host}
	cfg.HTTPClient = &http.Client{Transport: &recordTokens{base: http.DefaultTransport, sent: &c.sent}, Timeout: apiTimeout}

	ctx, stop := c.signalContext()
	defer stop()
	a := &apiCaller{c: c, client: cfg.Client(ctx)}
	var out []byte
	if *paginate {
		out, err = a.paginate(ctx, target, pages)
	} else {
		out, err = a.call(ctx, method, target, body)
	}
	if len(out) > 0 {
		c.printBody(out)
	}
	if err != nil {
		return c.tokenFailure(fs, err)
	}
	return exitOK
}

// apiBase returns the SSI API's base URL, or the exit status of its usage
// error: it must be https, or plain http to a loopback host.
func (c *cli) apiBase(fs *flag.FlagSet, raw string) (u *url.URL, code int, ok bool) {
	name := "$" + envSSIURL
	if isSet(fs, "api-url") {
		name = "--api-url"
	}
	if raw == "" {
		raw = ssi.DefaultBaseURL
	}
	if problem := urlProblem(raw, ssi.DefaultBaseURL); problem != "" {
		return nil, c.usageError(fs.Name(), name+" "+c.displayURL(raw)+" "+problem), false
	}
	u, _ = url.Parse(raw) // urlProblem parsed it
	if !loopback.Secure(u) {
		return nil, c.usageError(fs.Name(), name+" "+c.displayURL(raw)+" "+insecureURL), false
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, 0, true
}

// resolvePath returns the URL of PATH p under base: p is a path, with or
// without its leading slash, and an optional query, or a full URL under
// base. Its errors complete a usage error.
func resolvePath(base *url.URL, p string) (*url.URL, error) {
	ref, err := url.Parse(p)
	if err != nil {
		return nil, errors.New("is not a path such as /api/v1/did")
	}
	if ref.Fragment != "" || strings.HasSuffix(p, "#") {
		return nil, errors.New("must not hold a fragment (#…)")
	}
	if ref.Scheme != "" || ref.Host != "" || strings.HasPrefix(p, "//") {
		if ref.Scheme != base.Scheme || ref.Host != base.Host || ref.User != nil ||
			(ref.Path != base.Path && !strings.HasPrefix(ref.Path, base.Path+"/")) {
			return nil, fmt.Errorf("is a URL outside the SSI API at %s, which alone receives the token; give a path, or set --api-url", base.Redacted())
		}
		return ref, nil
	}
	// As gh api does, a path is relative to the API's root, base/api/v1;
	// one that names the root itself (api/v1/did) is taken as it is.
	root := base.Path
	if !strings.HasSuffix(root, "/"+apiRoot) {
		root += "/" + apiRoot
	}
	rel := strings.TrimPrefix(ref.Path, "/")
	if rel == apiRoot || strings.HasPrefix(rel, apiRoot+"/") {
		rel = strings.TrimPrefix(rel[len(apiRoot):], "/")
	}
	u := *base
	u.Path = root + "/" + rel
	u.RawQuery = ref.RawQuery
	return &u, nil
}

// apiRoot is the path of the SSI API's routes under its base URL.
const apiRoot = "api/v1"

// readData returns the request body of --data: the JSON itself, the file
// after @, or standard input for -. It must be valid JSON.
func (c *cli) readData(data string) (body []byte, code int, ok bool) {
	source := "--data"
	switch {
	case data == "-":
		source = "standard input (--data -)"
		b, err := readBounded(c.stdin)
		if err != nil {
			return nil, c.fail("api", fmt.Errorf("reading standard input: %w", err)), false
		}
		body = b
	case strings.HasPrefix(data, "@"):
		name := data[1:]
		source = "the file " + c.quote(name)
		f, err := os.Open(name) //nolint:gosec // the user names the file on purpose
		if err != nil {
			return nil, c.fail("api", fmt.Errorf("reading --data: %w", err)), false
		}
		defer f.Close() //nolint:errcheck // read-only
		b, err := readBounded(f)
		if err != nil {
			return nil, c.fail("api", fmt.Errorf("reading %s: %w", source, err)), false
		}
		body = b
	default:
		body = []byte(data)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, c.usageError("api", source+" is empty; give JSON, @FILE or -"), false
	}
	if err := json.Unmarshal(body, new(json.RawMessage)); err != nil {
		msg := err.Error()
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			msg = fmt.Sprintf("%s at byte %d", syn.Error(), syn.Offset)
		}
		return nil, c.usageError("api", source+" is not valid JSON: "+c.redact(msg)), false
	}
	return body, 0, true
}

// errTooLarge means that a body exceeds maxAPIBody.
var errTooLarge = fmt.Errorf("larger than %d bytes", maxAPIBody)

// readBounded reads r to its end, or fails with errTooLarge past maxAPIBody.
func readBounded(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxAPIBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxAPIBody {
		return nil, errTooLarge
	}
	return b, nil
}

// printBody prints an answer's body on standard output as received, with
// the key and every token sent replaced.
func (c *cli) printBody(b []byte) {
	s := string(b)
	if r := c.redact(s); r != s {
		c.stderr.printf("entityauth api: warning: the answer holds the API secret key or the access token sent; printed as %s\n", redactedText)
		s = r
	}
	c.stdout.printf("%s", s)
}

// recordTokens is the base transport of the api command's client: it notes
// each access token sent, so that redact can mask it in what the server
// echoes.
type recordTokens struct {
	base http.RoundTripper
	sent *tokenSet
}

// RoundTrip records the request's Bearer token and sends it.
func (t *recordTokens) RoundTrip(req *http.Request) (*http.Response, error) {
	if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		t.sent.add(tok)
	}
	return t.base.RoundTrip(req)
}

// apiCaller makes the api command's requests.
type apiCaller struct {
	c      *cli
	client *http.Client
}

// call sends one request and returns the answer's body. An answer that is
// not 2xx returns its body and an [*ssi.Error].
func (a *apiCaller) call(ctx context.Context, method string, target *url.URL, body []byte) ([]byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	// The user names the URL on purpose; resolvePath kept it under the SSI API.
	req, err := http.NewRequestWithContext(ctx, method, target.String(), r) //nolint:gosec // G704: see above
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, target.Path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req) //nolint:gosec // G704: as for the request
	if err != nil {
		return nil, requestFailure(method, target, err)
	}
	defer resp.Body.Close()
	b, err := readBounded(resp.Body)
	if err != nil {
		return nil, &apiRequestError{method, target, fmt.Errorf("reading the %d answer: %w", resp.StatusCode, err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// ParseError cuts long messages: a token it cut in two would escape
		// a later redact.
		return b, ssi.ParseError(method+" "+target.Path, resp.StatusCode, []byte(a.c.redact(string(b))))
	}
	return b, nil
}

// listPage is one page of a list answer of the SSI API.
type listPage struct {
	TotalCount *int               `json:"totalCount"`
	Data       *[]json.RawMessage `json:"data"`
}

// errNotList means that --paginate got an answer that is no list page.
var errNotList = errors.New(`the answer is not a list page {"totalCount":N,"data":[…]}; call it without --paginate`)

// pageQuery is where --paginate starts: the query of PATH, with the page
// and the limit that it sets or their defaults.
type pageQuery struct {
	q           url.Values
	page, limit int
}

// pageQueryOf returns the pageQuery of target: from its page, else 1, with
// its limit, else ssi.PageSize. Its errors complete a usage error.
func pageQueryOf(target *url.URL) (pageQuery, error) {
	p := pageQuery{q: target.Query(), page: 1, limit: ssi.PageSize}
	for _, v := range []struct {
		name string
		n    *int
	}{{"page", &p.page}, {"limit", &p.limit}} {
		s := p.q.Get(v.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, fmt.Errorf("the PATH's %s %s is not a positive whole number", v.name, quoteArg(s))
		}
		*v.n = n
	}
	if p.page > ssi.MaxPage {
		return p, fmt.Errorf("the PATH's page %d is past %d, the last page that the SSI API serves", p.page, ssi.MaxPage)
	}
	p.q.Set("limit", strconv.Itoa(p.limit))
	return p, nil
}

// paginate asks for the pages of the list at target from p.page onwards
// until it has the list's totalCount or a page is empty, and returns one
// merged list. A failed page returns its body and its error. It never asks
// for a page after ssi.MaxPage, which the SSI API refuses, and stops at a
// page that repeats the one before, as from a server that ignores page: then
// it returns the merged list of the pages before, and an error that says why
// the list is incomplete.
func (a *apiCaller) paginate(ctx context.Context, target *url.URL, p pageQuery) ([]byte, error) {
	merged := struct {
		TotalCount int               `json:"totalCount"`
		Data       []json.RawMessage `json:"data"`
	}{Data: []json.RawMessage{}}
	size := 0
	var prev []json.RawMessage // the items of the page before
	var stop error
	for page := p.page; ; page++ {
		if page > ssi.MaxPage {
			stop = fmt.Errorf("--paginate: the SSI API serves pages 1 to %d only: printed the %d items of pages %d to %d of the %d in the list",
				ssi.MaxPage, len(merged.Data), p.page, ssi.MaxPage, merged.TotalCount)
			break
		}
		p.q.Set("page", strconv.Itoa(page))
		u := *target
		u.RawQuery = p.q.Encode()
		b, err := a.call(ctx, http.MethodGet, &u, nil)
		if err != nil {
			return b, err
		}
		var l listPage
		if json.Unmarshal(b, &l) != nil || l.TotalCount == nil || l.Data == nil {
			return nil, &apiRequestError{http.MethodGet, target, fmt.Errorf("page %d: %w", page, errNotList)}
		}
		if len(*l.Data) > 0 && slices.EqualFunc(*l.Data, prev, func(x, y json.RawMessage) bool { return bytes.Equal(x, y) }) {
			stop = fmt.Errorf("--paginate: page %d holds the items of page %d, as if the server ignored page: printed the %d items before it",
				page, page-1, len(merged.Data))
			break
		}
		if size += len(b); size > maxAPIBody {
			return nil, &apiRequestError{http.MethodGet, target, fmt.Errorf("--paginate: the pages are %w together", errTooLarge)}
		}
		merged.TotalCount = *l.TotalCount
		start := len(merged.Data)
		merged.Data = append(merged.Data, *l.Data...)
		prev = merged.Data[start:]
		if len(*l.Data) == 0 || (page-1)*p.limit+len(*l.Data) >= *l.TotalCount {
			break
		}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(merged); err != nil {
		return nil, fmt.Errorf("--paginate: merging the pages: %w", err)
	}
	if stop != nil {
		return out.Bytes(), &apiRequestError{http.MethodGet, target, stop}
	}
	return out.Bytes(), nil
}

// apiRequestError is a failure of one request of the api command other than
// an HTTP error: the request could not be sent or its answer not read.
type apiRequestError struct {
	method string
	target *url.URL
	err    error
}

func (e *apiRequestError) Error() string {
	err := e.err
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its message repeats the whole URL
	}
	return fmt.Sprintf("%s %s: %v", e.method, e.target.Path, err)
}

func (e *apiRequestError) Unwrap() error { return e.err }

// requestFailure returns the error of client.Do: the library's error as it
// is when getting the token failed (so that it reads and exits as in the
// token command), else an apiRequestError.
func requestFailure(method string, target *url.URL, err error) error {
	var ue *url.Error
	var te *entityauth.Error
	if errors.As(err, &ue) && (errors.As(err, &te) || errors.Is(err, entityauth.ErrInsecureURL) || errors.Is(err, entityauth.ErrInvalidConfig) ||
		errors.Is(err, entityauth.ErrInvalidResponse) || errors.Is(err, entityauth.ErrBodyTooLarge)) {
		return ue.Err // the token service's failure, whose message holds no URL
	}
	return &apiRequestError{method, target, err}
}
