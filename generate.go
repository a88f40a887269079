package entityauth

// The typed client and models (gen/) and the server interface for the fake
// (api/, which imports its models from gen/) are generated from
// spec/openapi.yaml by the oapi-codegen pinned by go.mod's tool directive.
// Run `go generate ./...` from the module root after changing the spec.

//go:generate go tool oapi-codegen -config gen/oapi-codegen.yaml spec/openapi.yaml
//go:generate go tool oapi-codegen -config api/oapi-codegen.yaml spec/openapi.yaml
