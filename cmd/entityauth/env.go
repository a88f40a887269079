package main

// Environment variables that the commands read, and that fake --env prints.
const (
	envSecret  = "ENTITY_API_SECRET_KEY" //nolint:gosec // G101: a variable's name, not a credential
	envBaseURL = "ENTITY_API_BASE_URL"
	envOrigin  = "ENTITY_API_ORIGIN"
	// envSSIURL is the base URL of the SSI API.
	envSSIURL = "ENTITY_SSI_API_URL"
	// envFakeKey fixes the key that the fake command accepts; --key wins.
	envFakeKey = "ENTITYAUTH_FAKE_KEY" //nolint:gosec // G101: a variable's name, not a credential
	// envFakePID is the process ID of a fake started with --env, for kill.
	envFakePID = "ENTITYAUTH_FAKE_PID"
)

// tokenRateLimit is the real token service's limit: token requests a
// minute per client address. Help texts and the hint after a 429 quote it.
const tokenRateLimit = 10
