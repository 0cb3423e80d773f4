package hookflow

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// TargetPorts is the rule on the ports deliveries may go to: 443 and 80,
// plus Extra (HOOKFLOW_ALLOWED_TARGET_PORTS). A target on any port would let
// a tenant use its attempts (status, error, 4 KiB of answer) to scan the
// ports of whatever trusts Hookflow's egress. The API checks it on webhook
// URLs and subscription postUris, the egress guard again on every connection.
type TargetPorts struct {
	// Any lifts the rule: development and tests, where deliveries go to
	// local receivers on any port (HOOKFLOW_ALLOW_PRIVATE_TARGETS=true).
	Any   bool
	Extra []int
}

// ports are the allowed ports: HTTPS and HTTP, always, then Extra.
func (p TargetPorts) ports() []int { return append([]int{443, 80}, p.Extra...) }

// Allows reports whether a delivery may connect to port.
func (p TargetPorts) Allows(port int) bool {
	return p.Any || slices.Contains(p.ports(), port)
}

// String lists the allowed ports for a message: "443 or 80", "443, 80 or 8443".
func (p TargetPorts) String() string {
	var ports []string
	for _, n := range p.ports() {
		if s := strconv.Itoa(n); !slices.Contains(ports, s) {
			ports = append(ports, s)
		}
	}
	last := len(ports) - 1
	return strings.Join(ports[:last], ", ") + " or " + ports[last]
}

// URLPort is the port u names, or the one its scheme implies (443 for
// https, 80 for http); 0 when it has neither or names one that is not a
// number.
func URLPort(u *url.URL) int {
	if s := u.Port(); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0
		}
		return n
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return 443
	case "http":
		return 80
	}
	return 0
}
