//go:build ignore

// This file only documents the build tools; the build ignores it, and so does
// `go mod tidy` in a consumer's module.
//
// oapi-codegen is pinned by the `tool` directive in go.mod and runs as
// `go tool oapi-codegen` from the //go:generate lines in generate.go. A tool
// directive, unlike an import in a file under a `tools` build tag, never adds
// the tool's dependencies to the go.mod of a module that imports entityauth.
// To move to another version: go get -tool github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@vX.Y.Z
package entityauth
