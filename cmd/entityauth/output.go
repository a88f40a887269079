package main

import (
	"fmt"
	"io"
)

// output is one of a command's output streams. It keeps the first write
// error, so that a command need not check every print and can still fail
// when its output was lost, for example to a closed pipe.
type output struct {
	w   io.Writer
	err error
}

// Write writes p, or returns the first error of an earlier write.
func (o *output) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err != nil {
		o.err = err
	}
	return n, err
}

// printf formats to the stream; see Write for its errors.
func (o *output) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(o, format, args...)
}

// close closes the stream if its writer is an io.Closer; later writes fail.
func (o *output) close() error {
	if cl, ok := o.w.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}
