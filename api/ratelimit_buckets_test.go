package api

import (
	"fmt"
	"testing"
	"time"

	"github.com/hookflow/hookflow/auth"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestBucketsForgetIdleTenantsSoMemoryStaysBounded(t *testing.T) {
	clock := newFakeClock()
	limit := RateLimit{PerSecond: 5, Burst: 10}
	b := newBuckets(limit, clock.now)
	// 100,000 tenants come and go, 1,000 a second, each spending its whole
	// burst, the worst case: a bucket then takes Burst/PerSecond = 2 s to
	// fill up again, so about 2,000 are not full at any moment, and the map
	// may hold at most twice those plus minSweepSize.
	const tenants, perSecond = 100_000, 1000
	active := int(float64(limit.Burst) / limit.PerSecond * perSecond)
	bound := 2*active + minSweepSize
	largest := 0
	for i := range tenants {
		key := fmt.Sprintf("client:%d", i)
		for range limit.Burst {
			b.take(key)
		}
		clock.advance(time.Second / perSecond)
		largest = max(largest, b.size())
	}
	if largest > bound {
		t.Fatalf("held %d buckets at most, want at most %d (twice the %d tenants of one refill, plus %d)", largest, bound, active, minSweepSize)
	}
	if largest < active {
		t.Fatalf("held only %d buckets: the test did not reach a sweep", largest)
	}
	t.Logf("%d tenants, at most %d buckets held (bound %d)", tenants, largest, bound)
}

func TestBucketsNeverForgetASpentBucket(t *testing.T) {
	clock := newFakeClock()
	b := newBuckets(RateLimit{PerSecond: 1, Burst: 2}, clock.now)
	for range 2 {
		if _, ok := b.take("client:noisy"); !ok {
			t.Fatal("the burst was refused")
		}
	}
	// Many other tenants arrive and force sweeps; the spent bucket must
	// survive them, or forgetting it would hand the noisy tenant a new burst.
	for i := range 10 * minSweepSize {
		b.take(fmt.Sprintf("client:%d", i))
	}
	wait, ok := b.take("client:noisy")
	if ok {
		t.Fatal("a spent bucket was forgotten and refilled by a sweep")
	}
	if wait <= 0 || wait > time.Second {
		t.Fatalf("wait = %v, want (0, 1s] for one token at 1 a second", wait)
	}
	clock.advance(wait)
	if _, ok := b.take("client:noisy"); !ok {
		t.Fatal("refused after waiting as told")
	}
}

func TestRetryAfterIsWholeSecondsAtLeastOne(t *testing.T) {
	for wait, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2, 9500 * time.Millisecond: 10} {
		if got := retryAfterSeconds(wait); got != want {
			t.Errorf("retryAfterSeconds(%v) = %d, want %d", wait, got, want)
		}
	}
}

func TestTenantKeyIsTheCallersTenant(t *testing.T) {
	tests := []struct {
		name string
		p    auth.Principal
		want string
	}{
		{"integrator by client", auth.Principal{Subject: "u1", ClientID: "c1", OrgID: "o1", Roles: []auth.Role{auth.RoleIntegrator}}, "client:c1"},
		{"organization token by organization", auth.Principal{Subject: "u2", ClientID: "u2", OrgID: "o1"}, "org:o1"},
		{"admin by sub", auth.Principal{Subject: "root", ClientID: "c1", OrgID: "o1", Roles: []auth.Role{auth.RoleAdmin}}, "admin:root"},
		{"admin with only a client", auth.Principal{ClientID: "ops", Roles: []auth.Role{auth.RoleAdmin}}, "admin:ops"},
		{"support by its own client", auth.Principal{Subject: "s1", ClientID: "s1", Roles: []auth.Role{auth.RoleSupport}}, "client:s1"},
	}
	for _, tt := range tests {
		if got := tenantKey(tt.p); got != tt.want {
			t.Errorf("%s: tenantKey = %q, want %q", tt.name, got, tt.want)
		}
	}
}
