// Package ldproof computes and checks Ed25519Signature2020 proofs over
// JSON-LD documents as Hypersign's stack does (jsonld-signatures 9.3.1 on
// jsonld.js): expansion in safe mode with embedded contexts only, conversion
// to RDF by jsonld.js's rules, URDNA2015 canonicalization, N-Quads as
// rdf-canonize writes them, and the signed data
// sha256(c14n(proof options)) ‖ sha256(c14n(document)).
//
// Package vc verifies with it; the fake server (entityauthtest) signs with
// it, so that what one signs the other verifies by construction, and both
// agree with the JS reference on the test vectors.
//
// json-gold does the expansion (with each distinct @context parsed once and
// cached); the conversion to RDF and the canonicalization are this package's
// own, because json-gold's validate IRIs with a slow regular expression,
// keep quads that jsonld.js drops, and escape TAB where rdf-canonize does not.
package ldproof

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/piprate/json-gold/ld"
)

// maxCachedContexts bounds the parsed-context cache of a Processor: a verifier
// sees a few schemas, an attacker many; past the bound contexts are parsed
// per call and not kept.
const maxCachedContexts = 256

// Processor expands, converts and canonicalizes JSON-LD documents. It is
// safe for concurrent use; each distinct @context value is parsed once per
// copy of credentials/v1.
type Processor struct {
	copies [2]*contextCache
	// plain turns expansion templates off (see template.go), for tests and
	// benchmarks of the plain expansion.
	plain bool
	// instantiated counts the expansions filled into a template.
	instantiated *atomic.Int64
}

// contextCache holds the parsed contexts for one copy of credentials/v1.
type contextCache struct {
	opts    *ld.JsonLdOptions
	entries sync.Map // JSON of the @context value → *cachedContext
	n       atomic.Int64

	templates  sync.Map // pointer prefix and skeleton → *templateEntry
	nTemplates atomic.Int64
}

type cachedContext struct {
	once sync.Once
	ctx  *ld.Context
	err  error
}

// NewProcessor returns a Processor that knows the embedded contexts only.
func NewProcessor() *Processor {
	p := &Processor{instantiated: new(atomic.Int64)}
	for _, c := range []Copy{HypersignCopy, W3CCopy} {
		opts := ld.NewJsonLdOptions("")
		opts.ProcessingMode = ld.JsonLd_1_1
		opts.SafeMode = true
		opts.DocumentLoader = loader{copy: c}
		p.copies[c] = &contextCache{opts: opts}
	}
	return p
}

// context returns the parsed @context value v, from the cache when it can.
func (cc *contextCache) context(v any) (*ld.Context, error) {
	key, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: @context: %w", ErrInvalid, err)
	}
	if e, ok := cc.entries.Load(string(key)); ok {
		ce := e.(*cachedContext)
		ce.once.Do(func() { ce.ctx, ce.err = cc.parse(v) })
		return ce.ctx, ce.err
	}
	if cc.n.Load() >= maxCachedContexts {
		return cc.parse(v)
	}
	e, loaded := cc.entries.LoadOrStore(string(key), new(cachedContext))
	if !loaded {
		cc.n.Add(1)
	}
	ce := e.(*cachedContext)
	ce.once.Do(func() { ce.ctx, ce.err = cc.parse(v) })
	return ce.ctx, ce.err
}

func (cc *contextCache) parse(v any) (ctx *ld.Context, err error) {
	defer recoverInvalid(&err)
	ctx, err = ld.NewContext(nil, cc.opts).Parse(ld.CloneDocument(v))
	if err != nil {
		return nil, classify(err)
	}
	return ctx, nil
}

// Expanded is a document expanded by [Processor.Expand].
type Expanded struct {
	// Doc is the expanded document (a JSON-LD expanded array).
	Doc []any
	// Nodes maps the JSON pointer of each node object in the input whose
	// pointer starts with the prefix given to Expand to its expanded form.
	Nodes map[string]map[string]any
}

// NewPlainProcessor returns a Processor that expands every document with
// json-gold, without templates: the baseline of tests and benchmarks.
func NewPlainProcessor() *Processor { return NewProcessor().Plain() }

// Plain returns a Processor that shares p's parsed contexts and expands
// without templates.
func (p *Processor) Plain() *Processor {
	q := *p
	q.plain = true
	return &q
}

// Expand expands doc in safe mode with the given copy of credentials/v1.
// doc is decoded JSON (numbers as float64) and is not modified; the result
// is the caller's. When pointerPrefix is not empty, the node objects under it
// are recorded in Nodes (see [Expanded]). A document of a shape seen before
// is filled into the expansion of that shape (see template.go).
func (p *Processor) Expand(doc map[string]any, c Copy, pointerPrefix string) (*Expanded, error) {
	if !p.plain {
		if x, ok := p.templated(doc, c, pointerPrefix); ok {
			p.instantiated.Add(1)
			return x, nil
		}
	}
	return p.expandPlain(doc, c, pointerPrefix)
}

// expandPlain expands doc with json-gold.
func (p *Processor) expandPlain(doc map[string]any, c Copy, pointerPrefix string) (x *Expanded, err error) {
	defer recoverInvalid(&err)
	cc := p.copies[c]
	ctxVal, ok := doc["@context"]
	if !ok {
		return nil, fmt.Errorf("%w: no @context", ErrInvalid)
	}
	ctx, err := cc.context(ctxVal)
	if err != nil {
		return nil, err
	}
	// The parsed context is the active context of the expansion, so the
	// document goes in without its @context. (Given as "@context": [ctx],
	// json-gold would write to the shared context.)
	in := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "@context" {
			in[k] = v
		}
	}
	opts := cc.opts
	x = &Expanded{}
	if pointerPrefix != "" {
		opts = cc.opts.Copy()
		x.Nodes = make(map[string]map[string]any)
		opts.ExpandedElementHandler = func(pointer string, v any) {
			if m, ok := v.(map[string]any); ok && (pointer == pointerPrefix || strings.HasPrefix(pointer, pointerPrefix+"/")) {
				x.Nodes[pointer] = m
			}
		}
	}
	out, err := ld.NewJsonLdApi().Expand(ctx, "", in, opts, false, nil)
	if err != nil {
		err = classify(err)
		if errors.Is(err, ErrUndefinedTerm) {
			if name := p.undefinedTerm(doc, c); name != "" {
				err = fmt.Errorf("%w: %q is not defined by the contexts", ErrUndefinedTerm, name)
			}
		}
		return nil, err
	}
	switch o := out.(type) {
	case []any:
		x.Doc = o
	case map[string]any:
		if g, ok := o["@graph"]; ok && len(o) == 1 {
			x.Doc, _ = g.([]any)
		} else if len(o) > 0 {
			x.Doc = []any{o}
		}
	case nil:
	default:
		return nil, fmt.Errorf("%w: expansion gave %T", ErrInvalid, out)
	}
	return x, nil
}

// undefinedVocab is the vocabulary that undefinedTerm maps undefined terms to.
const undefinedVocab = "urn:entityauth:undefined:"

// undefinedTerm finds, for an error message, the first property of doc that
// the contexts leave undefined: it expands doc again without safe mode, with
// a vocabulary that catches undefined terms. It returns "" if it finds none.
func (p *Processor) undefinedTerm(doc map[string]any, c Copy) (name string) {
	defer func() {
		if recover() != nil {
			name = ""
		}
	}()
	opts := p.copies[c].opts.Copy()
	opts.SafeMode = false
	in := make(map[string]any, len(doc))
	for k, v := range doc {
		in[k] = v
	}
	in["@context"] = append(ld.Arrayify(ld.CloneDocument(doc["@context"])), map[string]any{"@vocab": undefinedVocab})
	out, err := ld.NewJsonLdProcessor().Expand(in, opts)
	if err != nil {
		return ""
	}
	return findUndefined(out)
}

func findUndefined(v any) string {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if n := findUndefined(e); n != "" {
				return n
			}
		}
	case map[string]any:
		for _, k := range ld.GetOrderedKeys(t) {
			if strings.HasPrefix(k, undefinedVocab) {
				return strings.TrimPrefix(k, undefinedVocab)
			}
			if n := findUndefined(t[k]); n != "" {
				return n
			}
		}
	}
	return ""
}

// classify maps a json-gold error to this package's errors.
func classify(err error) error {
	if errors.Is(err, ErrUnknownContext) {
		var u *UnknownContextError
		if errors.As(err, &u) {
			return u
		}
		return err
	}
	var je *ld.JsonLdError
	var jv ld.JsonLdError
	if errors.As(err, &je) && je.Code == ld.InvalidProperty || errors.As(err, &jv) && jv.Code == ld.InvalidProperty {
		return fmt.Errorf("%w: %w", ErrUndefinedTerm, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

// recoverInvalid turns a panic inside json-gold (which asserts types of
// input it has not checked) into ErrInvalid.
func recoverInvalid(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", ErrInvalid, r)
	}
}
