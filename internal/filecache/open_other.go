//go:build !unix

package filecache

// oNonblock is 0 where the system has no O_NONBLOCK; openRegular still
// refuses anything that Lstat does not report as a regular file.
const oNonblock = 0
