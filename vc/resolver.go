package vc

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/entity-studio-go/entityauth/internal/ldproof"
	"github.com/entity-studio-go/entityauth/ssi"
)

// DIDResolver turns a DID into its DID document. An unknown DID is an error
// that wraps [ErrDIDNotFound]; any other error is taken as a failure to
// resolve ([ErrDIDUnavailable]). The answer may be the DID document itself or
// the SSI API's resolve answer ({didDocument, didDocumentMetadata, …}).
type DIDResolver interface {
	ResolveDID(ctx context.Context, did string) (json.RawMessage, error)
}

// DIDDocuments returns a resolver of the DID documents the caller holds,
// for verifying offline. Each of docs is a DID document or the SSI API's
// resolve answer, as `entityauth api GET /api/v1/did/resolve/{did}` prints
// it. It fails if one has no id, or two have the same.
func DIDDocuments(docs ...[]byte) (DIDResolver, error) {
	r := make(staticResolver, len(docs))
	for i, raw := range docs {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("entityauth: vc: DID document %d: %w", i, err)
		}
		doc := didDocumentOf(obj(v))
		id := str(doc, "id")
		if id == "" {
			return nil, fmt.Errorf("entityauth: vc: DID document %d has no id", i)
		}
		if _, dup := r[id]; dup {
			return nil, fmt.Errorf("entityauth: vc: DID document %d: %s given twice", i, id)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("entityauth: vc: DID document %d: %w", i, err)
		}
		r[id] = b
	}
	return r, nil
}

type staticResolver map[string]json.RawMessage

func (r staticResolver) ResolveDID(_ context.Context, did string) (json.RawMessage, error) {
	doc, ok := r[did]
	if !ok {
		return nil, errorf(ErrDIDNotFound, "not among the DID documents given")
	}
	return doc, nil
}

// SSIResolver returns a resolver that asks the SSI API
// (GET /api/v1/did/resolve/{did}) through c. A DID the API does not know
// (404, or an empty didDocument) is [ErrDIDNotFound]; other failures keep
// the error of package ssi (such as [ssi.ErrUnauthorized]) and wrap
// [ErrDIDUnavailable].
func SSIResolver(c *ssi.Client) DIDResolver { return ssiResolver{c} }

type ssiResolver struct{ c *ssi.Client }

func (r ssiResolver) ResolveDID(ctx context.Context, did string) (json.RawMessage, error) {
	res, err := r.c.ResolveDID(ctx, did)
	if errors.Is(err, ssi.ErrNotFound) {
		return nil, caused(ErrDIDNotFound, err, "the SSI API does not know it")
	}
	if err != nil {
		return nil, caused(ErrDIDUnavailable, err, "resolving through the SSI API")
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, caused(ErrDIDUnavailable, err, "resolving through the SSI API")
	}
	// The SSI API answers an app's own DID that is not on chain with its
	// document and didDocumentMetadata null; Hypersign's SDK, which resolves
	// on chain, does not find it.
	var answer struct {
		Metadata json.RawMessage `json:"didDocumentMetadata"`
	}
	if json.Unmarshal(b, &answer) == nil && (len(answer.Metadata) == 0 || string(answer.Metadata) == "null") {
		return nil, errorf(ErrDIDNotFound, "not registered on chain (the SSI API has no metadata for it)")
	}
	return b, nil
}

// didDocumentOf returns the DID document in v: v's didDocument when v is a
// resolve answer, else v.
func didDocumentOf(v map[string]any) map[string]any {
	if d, ok := v["didDocument"].(map[string]any); ok {
		return d
	}
	return v
}

// didDoc is a resolved DID document.
type didDoc struct {
	id  string
	raw json.RawMessage
	doc map[string]any
}

// resolve resolves did through r and checks that the answer is did's
// document and that it is not deactivated.
func resolve(ctx context.Context, r DIDResolver, did, role string) (*didDoc, error) {
	if did == "" {
		return nil, errorf(ErrMalformed, "no %s DID", role)
	}
	raw, err := r.ResolveDID(ctx, did)
	if err != nil {
		var f *failure
		switch {
		case errors.As(err, &f):
			return nil, wrap(role+" "+did, err)
		case errors.Is(err, ErrDIDNotFound):
			return nil, caused(ErrDIDNotFound, err, "%s %s", role, did)
		case ctx.Err() != nil:
			return nil, caused(ErrDIDUnavailable, ctx.Err(), "%s %s", role, did)
		default:
			return nil, caused(ErrDIDUnavailable, err, "%s %s", role, did)
		}
	}
	if d := docs.get(raw); d != nil && d.id == did {
		return d, nil
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, errorf(ErrDIDUnavailable, "%s %s: the resolver's answer is not a JSON object: %v", role, did, err)
	}
	if meta := obj(v["didDocumentMetadata"]); meta != nil && meta["deactivated"] == true {
		return nil, errorf(ErrDIDNotFound, "%s %s is deactivated", role, did)
	}
	doc := didDocumentOf(v)
	switch id := str(doc, "id"); id {
	case did:
	case "":
		return nil, errorf(ErrDIDNotFound, "%s %s: the resolver has no document for it", role, did)
	default:
		return nil, errorf(ErrDIDNotFound, "%s %s: the resolver answered with the document of %s", role, did, id)
	}
	d := &didDoc{id: did, raw: bytes.Clone(raw), doc: doc}
	docs.put(raw, d)
	return d, nil
}

// docCache keeps decoded DID documents by the bytes the resolver answered,
// so that each is decoded once; its documents are only read.
type docCache struct {
	mu sync.RWMutex
	m  map[string]*didDoc
}

// maxCachedDocs bounds the cache; past it, documents are decoded per call.
const maxCachedDocs = 1024

var docs = &docCache{m: make(map[string]*didDoc)}

func (c *docCache) get(raw []byte) *didDoc {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[string(raw)]
}

func (c *docCache) put(raw []byte, d *didDoc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) < maxCachedDocs {
		c.m[string(raw)] = d
	}
}

// didOf returns the DID of a verification method id (the part before '#').
func didOf(vm string) string {
	did, _, _ := strings.Cut(vm, "#")
	return did
}

// absolute resolves a relative method id ("#key-1") against the document's DID.
func (d *didDoc) absolute(id string) string {
	if strings.HasPrefix(id, "#") {
		return d.id + id
	}
	return id
}

// method returns the verification method vmID if the document lists it
// under relationship (by id, or embedded there).
func (d *didDoc) method(relationship, vmID string) (map[string]any, bool) {
	rel, _ := d.doc[relationship].([]any)
	for _, e := range rel {
		switch t := e.(type) {
		case string:
			if d.absolute(t) == vmID {
				return d.lookup(vmID), true
			}
		case map[string]any:
			if d.absolute(str(t, "id")) == vmID {
				return t, true
			}
		}
	}
	return nil, false
}

// lookup returns the verification method vmID from verificationMethod.
func (d *didDoc) lookup(vmID string) map[string]any {
	vms, _ := d.doc["verificationMethod"].([]any)
	for _, e := range vms {
		if m := obj(e); m != nil && d.absolute(str(m, "id")) == vmID {
			return m
		}
	}
	return nil
}

// controllers returns the DIDs the document names as its controllers.
func (d *didDoc) controllers() []string {
	list, _ := stringList(d.doc["controller"])
	return list
}

// publicKey returns the Ed25519 key of a verification method.
func publicKey(vm map[string]any, vmID string) (ed25519.PublicKey, error) {
	if vm == nil {
		return nil, errorf(ErrKeyNotAuthorized, "verification method %s is listed but not defined in verificationMethod", vmID)
	}
	if t := str(vm, "type"); t != "Ed25519VerificationKey2020" {
		return nil, errorf(ErrUnsupportedProof, "verification method %s is a %q, not an Ed25519VerificationKey2020", vmID, t)
	}
	key, err := ldproof.DecodePublicKeyMultibase(str(vm, "publicKeyMultibase"))
	if err != nil {
		return nil, errorf(ErrMalformed, "verification method %s: %v", vmID, err)
	}
	return key, nil
}
