package ldproof

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknownContext reports an @context URL that is not embedded.
	ErrUnknownContext = errors.New("ldproof: unknown JSON-LD context")
	// ErrUndefinedTerm reports a property that the contexts do not define
	// (JSON-LD safe mode).
	ErrUndefinedTerm = errors.New("ldproof: undefined term")
	// ErrInvalid reports a document that is not valid JSON-LD, or that
	// this package does not convert (such as an @json literal).
	ErrInvalid = errors.New("ldproof: invalid JSON-LD")
	// ErrTooComplex reports a graph whose canonicalization would take more
	// work than a credential needs (many blank nodes that hash alike).
	ErrTooComplex = errors.New("ldproof: graph too complex to canonicalize")
)

// UnknownContextError names the @context URL that is not embedded.
type UnknownContextError struct {
	URL string
}

// Error implements error.
func (e *UnknownContextError) Error() string {
	return fmt.Sprintf("ldproof: unknown JSON-LD context %q (only embedded contexts are used, never the network)", e.URL)
}

// Is reports whether target is ErrUnknownContext.
func (e *UnknownContextError) Is(target error) bool { return target == ErrUnknownContext }
