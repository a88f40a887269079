// Package contracttest holds only tests: the fake's (entityauthtest's)
// answers, checked against the specs in spec/ by kin-openapi's validator, and
// the SSI scenarios whose exchanges TestSSIContract validates.
//
// They live here rather than beside the fake because `go mod tidy` in a
// module that imports entityauthtest also loads entityauthtest's own tests
// and records what they import: kin-openapi there would put it, and the
// modules it needs, into every consumer's go.sum and module cache. Nothing
// outside this module can import an internal package, so no consumer loads
// these tests (.ci/consumer-check proves it).
package contracttest
