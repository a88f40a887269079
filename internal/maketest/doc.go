// Package maketest holds only tests: they run the make targets that
// maintainers rely on (check-generated, api-diff) in a throwaway git
// repository that copies the checkout, change it as a maintainer would, and
// check what the targets print.
//
// The tests need git and make on PATH; without them they skip, or fail under
// CI=true. TestAPIDiff also builds the pinned oasdiff and apidiff, which takes
// a minute or two the first time, so it runs only when ENTITYAUTH_API_DIFF_TEST
// is 1, as `make api-diff-test` (part of `make ci`) sets it.
package maketest
