package ldproof

import (
	"embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/piprate/json-gold/ld"
)

// contextFiles holds the JSON-LD contexts that Hypersign's credentials,
// presentations, status documents and DID documents name; contexts/README.md
// gives the source and SHA-256 of each.
//
//go:embed contexts/*.json
var contextFiles embed.FS

// CredentialsV1 is the URL of the W3C credentials context, of which two
// copies exist (see [Copy]).
const CredentialsV1 = "https://www.w3.org/2018/credentials/v1" //nolint:gosec // a context URL, not a credential

// Copy selects a copy of the credentials/v1 context.
type Copy int

const (
	// HypersignCopy is the copy that Hypersign's SDK embeds, modified in late
	// 2023; credentials signed since then verify only with it.
	HypersignCopy Copy = iota
	// W3CCopy is W3C's published copy; credentials signed before the change
	// verify only with it.
	W3CCopy
)

// String returns a short name of the copy, for messages.
func (c Copy) String() string {
	if c == W3CCopy {
		return "W3C's credentials/v1"
	}
	return "Hypersign's credentials/v1"
}

// contextURLs maps each known context URL to its file; CredentialsV1 is
// resolved by copy.
var contextURLs = map[string]string{ //nolint:gosec // context URLs and file names, not credentials
	CredentialsV1: "credentials.json",
	"https://w3id.org/security/suites/ed25519-2020/v1":                                                                  "ed25519-signature-2020.json",
	"https://raw.githubusercontent.com/hypersign-protocol/hypersign-contexts/main/HypersignCredentialStatus2023.jsonld": "hypersignCredentialStatus2023.json",
	"https://raw.githubusercontent.com/hypersign-protocol/hypersign-contexts/main/CredentialStatus.jsonld":              "credentialStatus.json",
	"https://raw.githubusercontent.com/hypersign-protocol/hypersign-contexts/main/CredentialSchema.jsonld":              "credential_schema.json",
	"https://schema.org":           "schema_org.json",
	"https://www.w3.org/ns/did/v1": "did.json",
	"https://w3id.org/security/v2": "security-v2.json",
}

// KnownContext reports whether url is one of the embedded contexts.
func KnownContext(url string) bool {
	_, ok := contextURLs[url]
	return ok
}

// parsedFile is an embedded context, decoded once on first use.
type parsedFile struct {
	once sync.Once
	doc  any
	err  error
}

var parsedFiles sync.Map // file name → *parsedFile

// contextDocument returns a fresh copy of the decoded context file name:
// json-gold may keep references into what a loader returns.
func contextDocument(name string) (any, error) {
	v, _ := parsedFiles.LoadOrStore(name, new(parsedFile))
	p := v.(*parsedFile)
	p.once.Do(func() {
		b, err := contextFiles.ReadFile("contexts/" + name)
		if err != nil {
			p.err = err
			return
		}
		p.err = json.Unmarshal(b, &p.doc)
	})
	if p.err != nil {
		return nil, p.err
	}
	return ld.CloneDocument(p.doc), nil
}

// loader is a json-gold DocumentLoader that serves the embedded contexts
// and nothing else: it never goes to the network.
type loader struct{ copy Copy }

// LoadDocument implements ld.DocumentLoader.
func (l loader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	name, ok := contextURLs[u]
	if !ok {
		return nil, &UnknownContextError{URL: u}
	}
	if u == CredentialsV1 && l.copy == W3CCopy {
		name = "w3c-credentials-v1.json"
	}
	doc, err := contextDocument(name)
	if err != nil {
		return nil, fmt.Errorf("ldproof: embedded context %s: %w", name, err)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}
