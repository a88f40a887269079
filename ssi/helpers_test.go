package ssi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/entity-studio-go/entityauth/ssi"
)

// Bodies recorded from the real SSI API (the Postman collection of
// entity-ssi-api-service) or built from its source, shortened where noted.
const (
	createdDIDBody    = `{"did":"did:hid:testnet:zABZraLfXFLKowFk7ruU7oZYgcCNNTSSuF2hPPK3hktY8","registrationStatus":"UNREGISTRED","metaData":{"didDocument":{"@context":["https://www.w3.org/ns/did/v1"],"id":"did:hid:testnet:zABZraLfXFLKowFk7ruU7oZYgcCNNTSSuF2hPPK3hktY8","controller":["did:hid:testnet:zABZraLfXFLKowFk7ruU7oZYgcCNNTSSuF2hPPK3hktY8"],"alsoKnownAs":["did:hid:testnet:zABZraLfXFLKowFk7ruU7oZYgcCNNTSSuF2hPPK3hktY8"],"verificationMethod":[{"id":"did:hid:testnet:zABZraLfXFLKowFk7ruU7oZYgcCNNTSSuF2hPPK3hktY8#key-1","type":"Ed25519VerificationKey2020","controller":"did:hid:testnet:zABZraLfXFLKowFk7ruU7oZYgcCNNTSSuF2hPPK3hktY8","publicKeyMultibase":"zABZraLfXFLKowFk7ruU7oZYgcCNNTSSuF2hPPK3hktY8","blockchainAccountId":""}],"authentication":["did:hid:testnet:zABZraLfXFLKowFk7ruU7oZYgcCNNTSSuF2hPPK3hktY8#key-1"],"assertionMethod":["did:hid:testnet:zABZraLfXFLKowFk7ruU7oZYgcCNNTSSuF2hPPK3hktY8#key-1"],"keyAgreement":[],"capabilityInvocation":["did:hid:testnet:zABZraLfXFLKowFk7ruU7oZYgcCNNTSSuF2hPPK3hktY8#key-1"],"capabilityDelegation":["did:hid:testnet:zABZraLfXFLKowFk7ruU7oZYgcCNNTSSuF2hPPK3hktY8#key-1"],"service":[]}}}`
	registeredDIDBody = `{"did":"did:hid:testnet:zHPvaZ4NfRvZxaaTt2kCwCjLDpsj8aam6Ygy5bBunWbkJ","registrationStatus":"COMPLETED","transactionHash":"CCA2D08D0B79BD8453A2C5971E80E313D612ABC6E929AF7D3D2E168BC082AD14","metaData":{"didDocument":{"id":"did:hid:testnet:zHPvaZ4NfRvZxaaTt2kCwCjLDpsj8aam6Ygy5bBunWbkJ"}}}`
	resolvedDIDBody   = `{"didDocument":{"@context":["https://www.w3.org/ns/did/v1"],"id":"did:hid:testnet:zHPvaZ4NfRvZxaaTt2kCwCjLDpsj8aam6Ygy5bBunWbkJ","controller":["did:hid:testnet:zHPvaZ4NfRvZxaaTt2kCwCjLDpsj8aam6Ygy5bBunWbkJ"],"verificationMethod":[{"id":"did:hid:testnet:zHPvaZ4NfRvZxaaTt2kCwCjLDpsj8aam6Ygy5bBunWbkJ#key-1","type":"Ed25519VerificationKey2020","controller":"did:hid:testnet:zHPvaZ4NfRvZxaaTt2kCwCjLDpsj8aam6Ygy5bBunWbkJ","publicKeyMultibase":"zHPvaZ4NfRvZxaaTt2kCwCjLDpsj8aam6Ygy5bBunWbkJ","blockchainAccountId":""}],"authentication":["did:hid:testnet:zHPvaZ4NfRvZxaaTt2kCwCjLDpsj8aam6Ygy5bBunWbkJ#key-1"],"assertionMethod":["did:hid:testnet:zHPvaZ4NfRvZxaaTt2kCwCjLDpsj8aam6Ygy5bBunWbkJ#key-1"],"service":[]},"didDocumentMetadata":{"created":"2023-02-21T07:45:21Z","updated":"2023-02-21T07:45:21Z","deactivated":false,"versionId":"CCA2D08D0B79BD8453A2C5971E80E313D612ABC6E929AF7D3D2E168BC082AD14"},"name":"Issuer Identity"}`
	unknownDIDBody    = `{"didDocument":{},"didDocumentMetadata":null}`
	issuedBody        = `{"credentialDocument":{"@context":["https://www.w3.org/2018/credentials/v1",{"hs":"https://api.jagrat.hypersign.id/hypersign-protocol/hidnode/ssi/schema/sch:hid:testnet:z3Wzv5PU5Dwh2DUFYoCsQBa6Xp1XLqWEKaB5Yti29mHG6:1.0:"},"https://w3id.org/security/suites/ed25519-2020/v1"],"id":"vc:hid:testnet:z6MksWreLv1rNkeoQxya5jqU6dpM9XPUTJqB9VnkFZMH1orx","type":["VerifiableCredential","RandomCredential"],"issuer":"did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo","issuanceDate":"2023-12-06T11:33:13Z","expirationDate":"2027-12-10T18:30:00Z","credentialSubject":{"name":"varsha","id":"did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo"},"credentialStatus":{"id":"https://api.jagrat.hypersign.id/hypersign-protocol/hidnode/ssi/credential/vc:hid:testnet:z6MksWreLv1rNkeoQxya5jqU6dpM9XPUTJqB9VnkFZMH1orx","type":"HypersignCredentialStatus2023"},"proof":{"type":"Ed25519Signature2020","created":"2023-12-06T11:34:53Z","verificationMethod":"did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo#key-1","proofPurpose":"assertionMethod","proofValue":"z2fwfdAkL7ZtowVqGzSncYGQJ2BFU1cgsjpta5G4C5touwC3gCNPLFzE9m1CVk8M6hNahYx928PZ9ZQtRwAZ2VCkB"}},"credentialStatus":{"@context":["https://raw.githubusercontent.com/hypersign-protocol/hypersign-contexts/main/CredentialStatus.jsonld","https://w3id.org/security/suites/ed25519-2020/v1"],"id":"vc:hid:testnet:z6MksWreLv1rNkeoQxya5jqU6dpM9XPUTJqB9VnkFZMH1orx","issuer":"did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo","issuanceDate":"2023-12-06T11:33:13Z","remarks":"Credential is active","credentialMerkleRootHash":"3640012881fdd644d73b0b4f3b6fbda8cae866e7317f16d5bf9706184fb96604","proof":{"type":"Ed25519Signature2020","created":"2023-12-06T11:33:13Z","verificationMethod":"did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo#key-1","proofPurpose":"assertionMethod","proofValue":"z5Lx"}},"metadata":{"credentialId":"vc:hid:testnet:z6MksWreLv1rNkeoQxya5jqU6dpM9XPUTJqB9VnkFZMH1orx","persist":true,"type":{"schemaType":"RandomCredential"},"issuerDid":"did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo","registerCredentialStatus":true}}`
	revokedBody       = `{"context":["https://raw.githubusercontent.com/hypersign-protocol/hypersign-contexts/main/CredentialStatus.jsonld","https://w3id.org/security/suites/ed25519-2020/v1"],"id":"vc:hid:testnet:z6MksWreLv1rNkeoQxya5jqU6dpM9XPUTJqB9VnkFZMH1orx","revoked":true,"suspended":false,"remarks":"Credential is revoked","issuer":"did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo","issuanceDate":"2023-12-06T11:33:13Z","credentialMerkleRootHash":"3640012881fdd644d73b0b4f3b6fbda8cae866e7317f16d5bf9706184fb96604","proof":{"type":"Ed25519Signature2020","created":"2023-12-06T12:43:09Z","verificationMethod":"did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo#key-1","proofPurpose":"assertionMethod","proofValue":"z2AN1rjp5myZVx9XbeDn6K6nEB84fpH4Nc8LsHaqvV12fWGoEouu8VtotBrgTiMEYKtgfKfRSZGmVeujDyJcvcw3J","clientSpecType":"CLIENT_SPEC_TYPE_NONE"}}`
)

// recorded is one request the test server saw.
type recorded struct {
	Method, Path, RawQuery, Auth, ContentType string
	Body                                      []byte
}

// server is an httptest server that answers with handler and records requests.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newServer(t *testing.T, handler http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body})
		s.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// answer returns a handler that writes status and a JSON body.
func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// bearer adds a fixed Authorization header, as an authenticated client would.
type bearer struct{ next http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer test-token")
	return b.next.RoundTrip(r)
}

func newClient(t *testing.T, s *server) *ssi.Client {
	t.Helper()
	c, err := ssi.NewClient(s.URL, &http.Client{Transport: bearer{s.Client().Transport}})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}
