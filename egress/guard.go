// Package egress sends deliveries to the outside world and refuses, at
// connect time, addresses that belong to private or special networks (SSRF).
package egress

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/hookflow/hookflow"
)

// ErrForbiddenTarget marks an attempt refused by the SSRF guard. Its text
// is what the delivery log shows integrators: it names no address, so the
// log cannot be used to map what internal host names resolve to. The
// detail goes to the server log (see Client.describe).
var ErrForbiddenTarget = errors.New("refused: target resolves to a private or reserved address")

// blockedPrefixes are the networks a webhook may not reach: loopback,
// private, link-local (cloud metadata), CGNAT, reserved, documentation,
// benchmarking, multicast and their IPv6 counterparts.
var blockedPrefixes = mustPrefixes(
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
	"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
	"255.255.255.255/32",
	"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
	"fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
)

// IPv6 forms that carry an IPv4 address.
var (
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	ipv4Compatible = netip.MustParsePrefix("::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
)

func mustPrefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

// Guard decides which addresses and ports deliveries may connect to.
type Guard struct {
	AllowPrivate bool           // lift the guard entirely, ports included (development, tests)
	Allowed      []netip.Prefix // networks let through for every tenant
	// TenantAllowed are networks let through for one tenant's deliveries
	// only (HOOKFLOW_TENANT_TARGET_CIDRS). Check ignores them: a Client
	// dials each tenant's deliveries with ForTenant's guard.
	TenantAllowed map[Tenant][]netip.Prefix
	// Ports are the ports a connection may go to: 443 and 80 unless more
	// are configured. Checked again at connect time, so a webhook stored
	// before the API checked ports cannot reach another one.
	Ports hookflow.TargetPorts
}

// Check returns ErrForbiddenTarget for an address the guard refuses.
func (g Guard) Check(addr netip.Addr) error {
	if g.AllowPrivate {
		return nil
	}
	addr = addr.WithZone("")
	for _, p := range g.Allowed {
		if p.Contains(addr) || p.Contains(addr.Unmap()) {
			return nil
		}
	}
	for _, candidate := range embeddedIPv4(addr) {
		for _, p := range blockedPrefixes {
			if p.Contains(candidate) {
				return fmt.Errorf("%w: %s is in %s", ErrForbiddenTarget, addr, p)
			}
		}
	}
	return nil
}

// embeddedIPv4 returns the address and the IPv4 address it carries, if any
// (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96 and 6to4 2002::/16), so
// a private IPv4 target cannot hide in an IPv6 form.
func embeddedIPv4(addr netip.Addr) []netip.Addr {
	out := []netip.Addr{addr}
	if !addr.Is6() {
		return out
	}
	b := addr.As16()
	switch {
	case addr.Is4In6():
		out = append(out, addr.Unmap())
	case nat64.Contains(addr), ipv4Compatible.Contains(addr):
		out = append(out, netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	case sixToFour.Contains(addr):
		out = append(out, netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	}
	return out
}

// control is a net.Dialer Control function: it runs after DNS resolution on
// the address actually dialled, so DNS rebinding cannot slip past the guard.
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrForbiddenTarget, address)
	}
	if err := g.Check(ap.Addr()); err != nil {
		return err
	}
	if !g.AllowPrivate && !g.Ports.Allows(int(ap.Port())) {
		return fmt.Errorf("%w: port %d is not one of %s", ErrForbiddenTarget, ap.Port(), g.Ports)
	}
	return nil
}
