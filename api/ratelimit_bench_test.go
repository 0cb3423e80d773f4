package api

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkBucketTake is the limiter's cost on every authenticated request:
// one tenant (a hot bucket) and 100,000 tenants (a map the sweep keeps
// bounded). Compare with the request's own cost in the bench's floor runs.
func BenchmarkBucketTake(b *testing.B) {
	for _, tenants := range []int{1, 100_000} {
		b.Run(strconv.Itoa(tenants)+" tenants", func(b *testing.B) {
			keys := make([]string, tenants)
			for i := range keys {
				keys[i] = "client-" + strconv.Itoa(i)
			}
			bk := newBuckets(RateLimit{PerSecond: 1e6, Burst: 1e6}, time.Now)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				bk.take(keys[i%tenants])
				i++
			}
		})
	}
}
