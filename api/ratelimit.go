package api

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// Rate limits per tenant keep one noisy tenant from slowing the others: each
// tenant spends tokens from a bucket of its own, and a request finding its
// bucket empty is answered 429 at once, before it reaches PostgreSQL or
// Temporal. Publishing has buckets of its own, so a publisher's bursts and
// an integrator's reads never share a budget.
//
// Requests without a valid token are not limited here: they are nobody's
// tenant, a 401 costs one signature check and no I/O, and a limit keyed by
// the peer address would, behind a load balancer, let anyone lock every
// tenant out. Limit them per client address at the edge, which sees it.

// RateLimit is a token bucket: PerSecond tokens a second, at most Burst
// saved up. The zero value turns the limit off.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

func (l RateLimit) enabled() bool { return l.PerSecond > 0 && l.Burst > 0 }

// errRateLimited is the 429's envelope, NestJS's throttler wording.
var errRateLimited = &hookflow.Error{Code: hookflow.ERATELIMITED, Message: "Too Many Requests"}

// tenantLimits holds the two families of buckets: one per tenant for the
// API, one per publisher for publishing. A nil family is off.
type tenantLimits struct {
	api, publish *buckets
}

func newTenantLimits(api, publish RateLimit, now func() time.Time) tenantLimits {
	var l tenantLimits
	if api.enabled() {
		l.api = newBuckets(api, now)
	}
	if publish.enabled() {
		l.publish = newBuckets(publish, now)
	}
	return l
}

// forRoute is the limiting middleware of a route, placed right after
// authentication, or nil when the route's limit is off.
func (l tenantLimits) forRoute(method, path string) gin.HandlerFunc {
	if method == http.MethodPost && path == publishPath {
		return limit(l.publish, func(p auth.Principal) string { return p.ClientID })
	}
	return limit(l.api, tenantKey)
}

// tenantKey is whose budget a request spends: an admin's own (by sub), an
// integrator's client, an organization token's organization, and otherwise
// the caller's client (its sub when the token has no client_id).
func tenantKey(p auth.Principal) string {
	switch {
	case slices.Contains(p.Roles, auth.RoleAdmin):
		return "admin:" + cmp.Or(p.Subject, p.ClientID)
	case slices.Contains(p.Roles, auth.RoleIntegrator):
		return "client:" + p.ClientID
	case p.OrgID != "":
		return "org:" + p.OrgID
	}
	return "client:" + p.ClientID
}

// limit answers 429 with Retry-After once the caller's bucket is empty.
func limit(b *buckets, key func(auth.Principal) string) gin.HandlerFunc {
	if b == nil {
		return nil
	}
	return func(c *gin.Context) {
		if wait, ok := b.take(key(principal(c))); !ok {
			c.Header("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
			fail(c, errRateLimited)
			return
		}
		c.Next()
	}
}

// retryAfterSeconds rounds wait up to whole seconds, at least 1, as
// Retry-After counts them.
func retryAfterSeconds(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

// minSweepSize is the map size below which idle buckets are left alone.
const minSweepSize = 1024

// buckets are token buckets keyed by tenant. Memory stays bounded however
// many tenants come and go: a bucket that has filled up again behaves
// exactly as a new one would, so a sweep drops every full bucket without
// changing any answer. A sweep runs when the map has doubled since the last
// one, which keeps it amortized O(1) a request and the map within twice the
// tenants active over one refill (Burst/PerSecond, 2 s by default), plus
// minSweepSize.
type buckets struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	byKey   map[string]*rate.Limiter
	sweepAt int // len(byKey) that triggers the next sweep
}

func newBuckets(l RateLimit, now func() time.Time) *buckets {
	return &buckets{limit: rate.Limit(l.PerSecond), burst: l.Burst, now: now,
		byKey: map[string]*rate.Limiter{}, sweepAt: minSweepSize}
}

// take spends a token of key's bucket; when there is none it reports how
// long until there is.
func (b *buckets) take(key string) (time.Duration, bool) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	lim, found := b.byKey[key]
	if !found {
		if len(b.byKey) >= b.sweepAt {
			b.sweep(now)
		}
		lim = rate.NewLimiter(b.limit, b.burst)
		b.byKey[key] = lim
	}
	if lim.AllowN(now, 1) {
		return 0, true
	}
	missing := 1 - lim.TokensAt(now)
	return time.Duration(missing / float64(b.limit) * float64(time.Second)), false
}

// sweep drops the full buckets; b.mu is held.
func (b *buckets) sweep(now time.Time) {
	for key, lim := range b.byKey {
		if lim.TokensAt(now) >= float64(b.burst) {
			delete(b.byKey, key)
		}
	}
	b.sweepAt = max(2*len(b.byKey), minSweepSize)
}

// size is how many buckets are held, for tests.
func (b *buckets) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byKey)
}
