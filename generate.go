package entityauth

// The typed client (gen/) and the server interface for the fake (api/) are both
// generated from spec/openapi.yaml by the oapi-codegen version pinned in go.mod.
// Run `go generate ./...` from the module root after changing the spec.

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config gen/oapi-codegen.yaml spec/openapi.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config api/oapi-codegen.yaml spec/openapi.yaml
