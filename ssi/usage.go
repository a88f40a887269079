package ssi

import (
	"context"
	"net/http"
	"time"

	"github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// UsageQuery selects the calls that [Client.Usage] and [Client.UsageDetail] count.
type UsageQuery struct {
	// Start is the first moment counted. Zero means the first day of the
	// current month at the server's local midnight.
	Start time.Time
	// End is the last moment counted. Zero means now.
	End time.Time
	// ServiceID is echoed as the answer's ServiceId and filters nothing. When
	// it is empty the answer has no ServiceId.
	ServiceID string
}

// params returns q as the query of the usage routes, its times in UTC with
// milliseconds, the form JavaScript's Date writes and reads.
func (q UsageQuery) params() (serviceID, start, end *string) {
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	date := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		return str(t.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	return str(q.ServiceID), date(q.Start), date(q.End)
}

// Usage counts the app's calls between q.Start and q.End by path and method,
// with the price of one call (GET /api/v1/usage). It is free and needs no
// permission.
//
// The SSI API counts the request log of its DID and credential routes: every
// request that passed the token checks, whatever its answer, failures
// included. A path is counted with its query, so /api/v1/did?page=2 is an
// entry of its own; resolving a DID counts as /api/v1/did/resolve and getting a
// credential as /api/v1/credential/resolve, and /api/v1/credential/issue carries
// ?persist=…&registerCredentialStatus=… as the body said (true when absent).
// The log is not filtered by app or by q.ServiceID, and the entries come in no
// set order. The prices are read from the path alone (OffchainUnitCost in
// credits: create 7, register 10, a GET 1; OnchainUnitCost in HID: 50 for a
// chain write), so a PATCH /api/v1/did that carried a document is priced 3
// although it cost 8.
func (c *Client) Usage(ctx context.Context, q UsageQuery) (*ssiapi.Usage, error) {
	id, start, end := q.params()
	return result[ssiapi.Usage](c, "getUsage", http.StatusOK, func() (*http.Response, error) {
		return c.api.GetUsage(ctx, &ssiapi.GetUsageParams{ServiceId: id, StartDate: start, EndDate: end})
	})
}

// UsageDetail counts the same calls as [Client.Usage] by path, not by method,
// and by UTC day (GET /api/v1/usage/detail): each entry's Data maps
// YYYY-MM-DD to the calls of that day. It is free and needs no permission.
func (c *Client) UsageDetail(ctx context.Context, q UsageQuery) (*ssiapi.UsageDetail, error) {
	id, start, end := q.params()
	return result[ssiapi.UsageDetail](c, "getUsageDetail", http.StatusOK, func() (*http.Response, error) {
		return c.api.GetUsageDetail(ctx, &ssiapi.GetUsageDetailParams{ServiceId: id, StartDate: start, EndDate: end})
	})
}
