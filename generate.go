package entityauth

// The typed clients and models (gen/, gen/ssiapi/) and the server interfaces for
// the fake (api/, api/ssiapi/, which import their models from gen/ and
// gen/ssiapi/) are generated from spec/openapi.yaml (the token endpoint) and
// spec/ssi-api.yaml (the SSI API) by the oapi-codegen pinned by go.mod's tool
// directive. Run `go generate ./...` from the module root after changing a spec.

//go:generate go tool oapi-codegen -config gen/oapi-codegen.yaml spec/openapi.yaml
//go:generate go tool oapi-codegen -config api/oapi-codegen.yaml spec/openapi.yaml
//go:generate go tool oapi-codegen -config gen/ssiapi/oapi-codegen.yaml spec/ssi-api.yaml
//go:generate go tool oapi-codegen -config api/ssiapi/oapi-codegen.yaml spec/ssi-api.yaml
