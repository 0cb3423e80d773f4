package egress

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/hookflow/hookflow"
)

func TestGuardRefusesEveryPrivateAndSpecialRange(t *testing.T) {
	refused := []string{
		"127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.1",
		"169.254.169.254", "100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3", "192.0.0.8",
		"198.18.0.1", "198.19.255.1", "240.0.0.1", "255.255.255.255", "224.0.0.251", "239.1.1.1",
		"192.0.2.5", "198.51.100.7", "203.0.113.9",
		"::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "2001:db8::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", // IPv4-mapped
		"64:ff9b::a00:1",   // NAT64 of 10.0.0.1
		"2002:c0a8:101::1", // 6to4 of 192.168.1.1
		"::7f00:1",         // IPv4-compatible 127.0.0.1
	}
	var g Guard
	for _, s := range refused {
		if err := g.Check(netip.MustParseAddr(s)); !errors.Is(err, ErrForbiddenTarget) {
			t.Errorf("Check(%s) = %v, want ErrForbiddenTarget", s, err)
		}
	}
	for _, s := range []string{"93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "172.32.0.1", "100.128.0.1"} {
		if err := g.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("Check(%s) = %v, want allowed", s, err)
		}
	}
}

func TestGuardAllowsNamedNetworksAndCanBeLifted(t *testing.T) {
	g := Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}}
	if err := g.Check(netip.MustParseAddr("10.20.3.4")); err != nil {
		t.Errorf("allowed CIDR refused: %v", err)
	}
	if err := g.Check(netip.MustParseAddr("::ffff:10.20.3.4")); err != nil {
		t.Errorf("allowed CIDR in mapped form refused: %v", err)
	}
	if err := g.Check(netip.MustParseAddr("10.21.0.1")); err == nil {
		t.Error("a private address outside the allowed CIDR passed")
	}
	if err := (Guard{AllowPrivate: true}).Check(netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Errorf("lifted guard refused loopback: %v", err)
	}
}

func TestGuardRefusesPortsOtherThanHTTPSAndHTTPUnlessConfiguredOrLifted(t *testing.T) {
	public := "93.184.216.34"
	tests := []struct {
		guard   Guard
		address string
		refused bool
	}{
		{Guard{}, public + ":443", false},
		{Guard{}, public + ":80", false},
		{Guard{}, public + ":22", true},
		{Guard{}, public + ":8443", true},
		{Guard{}, "[2606:4700:4700::1111]:6379", true},
		{Guard{Ports: hookflow.TargetPorts{Extra: []int{8443}}}, public + ":8443", false},
		{Guard{Ports: hookflow.TargetPorts{Extra: []int{8443}}}, public + ":8080", true},
		// An allowed network opens addresses, not ports.
		{Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, "10.1.2.3:6379", true},
		{Guard{AllowPrivate: true}, "127.0.0.1:6379", false},
	}
	for _, tt := range tests {
		err := tt.guard.control("tcp", tt.address, nil)
		if refused := errors.Is(err, ErrForbiddenTarget); refused != tt.refused {
			t.Errorf("%+v dialling %s: %v, want refused %v", tt.guard, tt.address, err, tt.refused)
		}
	}
}
