package egress

import (
	"net/netip"
	"testing"
)

func BenchmarkGuardCheckPublicAddress(b *testing.B) {
	var g Guard
	addr := netip.MustParseAddr("93.184.216.34")
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Check(addr); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGuardCheckMappedIPv6(b *testing.B) {
	var g Guard
	addr := netip.MustParseAddr("::ffff:8.8.8.8")
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Check(addr); err != nil {
			b.Fatal(err)
		}
	}
}
