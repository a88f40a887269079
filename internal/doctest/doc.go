// Package doctest holds the test that keeps the Go programs of the README and
// of docs/ssi.md and docs/testing.md compiling as pasted: it copies each
// complete file among their code blocks into a module of its own, outside the
// repository, that requires this one through a replace directive, as a user's
// module would, runs go vet there, and runs the documents' tests.
package doctest
