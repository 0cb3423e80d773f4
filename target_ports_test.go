package hookflow_test

import (
	"net/url"
	"testing"

	"github.com/hookflow/hookflow"
)

func TestTargetPortsAllowHTTPSAndHTTPPlusTheConfiguredOnes(t *testing.T) {
	strict, extra := hookflow.TargetPorts{}, hookflow.TargetPorts{Extra: []int{8443, 443}}
	for port, want := range map[int]bool{443: true, 80: true, 8080: false, 22: false, 8443: false} {
		if strict.Allows(port) != want {
			t.Errorf("strict Allows(%d) = %v, want %v", port, !want, want)
		}
	}
	if !extra.Allows(8443) || extra.Allows(8080) || !(hookflow.TargetPorts{Any: true}).Allows(22) {
		t.Error("extra or lifted ports are wrong")
	}
	if strict.String() != "443 or 80" || extra.String() != "443, 80 or 8443" {
		t.Errorf("String() = %q, %q", strict.String(), extra.String())
	}
}

func TestURLPortIsTheNamedOrTheSchemesPort(t *testing.T) {
	for raw, want := range map[string]int{
		"https://h/": 443, "http://h/": 80, "HTTPS://h/": 443, "https://h:8443/": 8443, "http://h:443/": 443,
		"ftp://h/": 0, "https://[::1]:22/": 22,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := hookflow.URLPort(u); got != want {
			t.Errorf("URLPort(%s) = %d, want %d", raw, got, want)
		}
	}
}
