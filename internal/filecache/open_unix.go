//go:build unix

package filecache

import "syscall"

// oNonblock makes opening a FIFO or a device return at once instead of
// waiting for the other end. It does not change reads of regular files.
const oNonblock = syscall.O_NONBLOCK
