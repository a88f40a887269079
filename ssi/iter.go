package ssi

import (
	"context"
	"iter"

	"github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// PageSize is the number of items that the iterators ask for per request: the
// largest limit the SSI API accepts.
const PageSize = 100

// paginate yields the items of page 1, 2, … until it has yielded the latest
// totalCount, a page comes back empty, or yield returns false. An error is
// yielded once, with the zero item, and ends the walk.
func paginate[T any](ctx context.Context, fetch func(ctx context.Context, page int) (items []T, total int, err error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		seen := 0
		for page := 1; ; page++ {
			items, total, err := fetch(ctx, page)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			seen += len(items)
			if len(items) == 0 || seen >= total {
				return
			}
		}
	}
}

// DIDs iterates over every DID of the app, [PageSize] per request, following
// page and limit until the list's totalCount is reached. An error ends the
// iteration; it is yielded with an empty DID.
//
//	for did, err := range c.DIDs(ctx) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(did)
//	}
func (c *Client) DIDs(ctx context.Context) iter.Seq2[string, error] {
	return paginate(ctx, func(ctx context.Context, page int) ([]string, int, error) {
		l, err := c.ListDIDs(ctx, page, PageSize)
		if err != nil {
			return nil, 0, err
		}
		return l.Data, l.TotalCount, nil
	})
}

// Credentials iterates over the app's credentials, newest first, only those
// of issuerDID unless it is empty, as [Client.DIDs] does.
func (c *Client) Credentials(ctx context.Context, issuerDID string) iter.Seq2[ssiapi.CredentialListItem, error] {
	return paginate(ctx, func(ctx context.Context, page int) ([]ssiapi.CredentialListItem, int, error) {
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
	return paginate(ctx, func(ctx context.Context, page int) ([]ssiapi.PresentationTemplate, int, error) {
		l, err := c.ListPresentationTemplates(ctx, page, PageSize)
		if err != nil {
			return nil, 0, err
		}
		return l.Data, l.TotalCount, nil
	})
}
