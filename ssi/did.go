package ssi

import "github.com/entity-studio-go/entityauth/gen/ssiapi"

// VerificationMethodID returns the id of doc's first verification method, such
// as did:hid:testnet:z6Mk…#key-1, or "" when doc has none. For the document of
// a DID that [Client.CreateDID] made (CreatedDID.MetaData.DidDocument), it is
// the key that the SSI API generated and keeps: the one that signs the DID's
// registration (RegisterDIDRequest.VerificationMethodId) and the credentials
// it issues (IssueCredentialRequest.VerificationMethodId).
func VerificationMethodID(doc ssiapi.DIDDocument) string {
	if len(doc.VerificationMethod) == 0 {
		return ""
	}
	return doc.VerificationMethod[0].Id
}
