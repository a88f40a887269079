package ssi

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// PageSize is the number of items that the iterators ask for per request: the
// largest limit the SSI API accepts.
const PageSize = 100

// MaxPage is the last page that the SSI API serves: it refuses a larger page
// as invalid (400 "page must not be greater than 100"). The iterators thus
// reach at most MaxPage*PageSize (10,000) items of a list; past that they
// yield [ErrPageLimit]. To walk a longer list of credentials, narrow it, for
// instance by issuer with [Client.Credentials].
const MaxPage = 100

// Errors that end an iteration early.
var (
	// ErrPageLimit means that a list holds more items than the SSI API can
	// page through: the iterator yielded MaxPage*PageSize of them and would
	// have needed page MaxPage+1.
	ErrPageLimit = errors.New("entityauth: ssi: list longer than the SSI API can page through")
	// ErrPageRepeated means that the server answered a page with the items of
	// the page before, as a server or proxy that ignores the page parameter
	// would: following the pages would never end.
	ErrPageRepeated = errors.New("entityauth: ssi: a page repeated the page before")
)

// paginate yields the items of page 1, 2, … until it has yielded the latest
// totalCount, a page comes back empty, or yield returns false. An error is
// yielded once, with the zero item, and ends the walk: the fetch's, or
// [ErrPageRepeated] when a page has the same items, by key, as the page
// before, or [ErrPageLimit] instead of asking for a page after [MaxPage].
func paginate[T any](ctx context.Context, key func(T) string, fetch func(ctx context.Context, page int) (items []T, total int, err error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		var prev, cur []string // the keys of the page before and of this page
		seen, total := 0, 0
		for page := 1; ; page++ {
			if page > MaxPage {
				yield(zero, fmt.Errorf("%w: yielded %d of the %d items in the %d pages that it serves", ErrPageLimit, seen, total, MaxPage))
				return
			}
			items, n, err := fetch(ctx, page)
			if err != nil {
				yield(zero, err)
				return
			}
			cur = cur[:0]
			for _, it := range items {
				cur = append(cur, key(it))
			}
			if len(cur) > 0 && slices.Equal(cur, prev) {
				yield(zero, fmt.Errorf("%w: page %d holds the %d items of page %d; stopped after %d items", ErrPageRepeated, page, len(cur), page-1, seen))
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			seen, total = seen+len(items), n
			if len(items) == 0 || seen >= total {
				return
			}
			prev, cur = cur, prev
		}
	}
}

// DIDs iterates over every DID of the app, [PageSize] per request, following
// page and limit until the list's totalCount is reached. An error ends the
// iteration; it is yielded with an empty DID. The SSI API serves at most
// [MaxPage] pages: a list of more than 10,000 DIDs ends with [ErrPageLimit]
// after the first 10,000, and a page that repeats the one before ends it
// with [ErrPageRepeated].
//
//	for did, err := range c.DIDs(ctx) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(did)
//	}
func (c *Client) DIDs(ctx context.Context) iter.Seq2[string, error] {
	return paginate(ctx, func(did string) string { return did }, func(ctx context.Context, page int) ([]string, int, error) {
		l, err := c.ListDIDs(ctx, page, PageSize)
		if err != nil {
			return nil, 0, err
		}
		return l.Data, l.TotalCount, nil
	})
}

// Credentials iterates over the app's credentials, newest first, only those
// of issuerDID unless it is empty, as [Client.DIDs] does. A credential issued
// during the iteration shifts the pages: an item may then come twice.
func (c *Client) Credentials(ctx context.Context, issuerDID string) iter.Seq2[ssiapi.CredentialListItem, error] {
	key := func(it ssiapi.CredentialListItem) string { return it.CredentialId }
	return paginate(ctx, key, func(ctx context.Context, page int) ([]ssiapi.CredentialListItem, int, error) {
		l, err := c.ListCredentials(ctx, page, PageSize, issuerDID)
		if err != nil {
			return nil, 0, err
		}
		return l.Data, l.TotalCount, nil
	})
}

// PresentationTemplates iterates over the app's presentation templates, as
// [Client.DIDs] does.
func (c *Client) PresentationTemplates(ctx context.Context) iter.Seq2[ssiapi.PresentationTemplate, error] {
	key := func(t ssiapi.PresentationTemplate) string { return t.UnderscoreId }
	return paginate(ctx, key, func(ctx context.Context, page int) ([]ssiapi.PresentationTemplate, int, error) {
		l, err := c.ListPresentationTemplates(ctx, page, PageSize)
		if err != nil {
			return nil, 0, err
		}
		return l.Data, l.TotalCount, nil
	})
}
