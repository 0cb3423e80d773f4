package egress

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

func TestGuardForATenantAddsOnlyThatTenantsNetworks(t *testing.T) {
	a, b := ClientTenant("client-a"), OrganizationTenant("acme")
	g := Guard{
		Allowed:       []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")},
		TenantAllowed: map[Tenant][]netip.Prefix{a: {netip.MustParsePrefix("10.1.0.0/16")}, b: {netip.MustParsePrefix("10.2.0.0/16")}},
	}
	tests := []struct {
		guard   Guard
		addr    string
		refused bool
	}{
		{g.ForTenant(a), "10.1.2.3", false},
		{g.ForTenant(a), "10.2.2.3", true},
		{g.ForTenant(a), "10.9.0.1", false}, // every tenant's
		{g.ForTenant(b), "10.2.2.3", false},
		{g.ForTenant(b), "10.1.2.3", true},
		// The same id as a client is another tenant than as an organization.
		{g.ForTenant(ClientTenant("acme")), "10.2.2.3", true},
		{g.ForTenant(ClientTenant("client-b")), "10.1.2.3", true},
		{g, "10.1.2.3", true}, // Check alone knows no tenant
		{g, "10.9.0.1", false},
	}
	for _, tt := range tests {
		if err := tt.guard.Check(netip.MustParseAddr(tt.addr)); errors.Is(err, ErrForbiddenTarget) != tt.refused {
			t.Errorf("%v: Check(%s) = %v, want refused %v", tt.guard.Allowed, tt.addr, err, tt.refused)
		}
	}
	if len(g.TenantAllowed[a]) != 1 || len(g.Allowed) != 1 {
		t.Errorf("ForTenant changed the guard it scoped: %+v", g)
	}
}

// The tenant travels in the attempt's context; a loopback receiver stands
// in for a tenant's private network.
func TestPostOpensATenantsNetworkToThatTenantsDeliveriesOnly(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port, err := strconv.Atoi(srv.URL[strings.LastIndex(srv.URL, ":")+1:])
	if err != nil {
		t.Fatal(err)
	}
	owner := ClientTenant("client-a")
	c := NewClient(Guard{
		TenantAllowed: map[Tenant][]netip.Prefix{owner: {netip.MustParsePrefix("127.0.0.0/8")}},
		Ports:         hookflow.TargetPorts{Extra: []int{port}},
	}, 5*time.Second, "Hookflow/test", slog.New(slog.DiscardHandler))
	post := func(ctx context.Context) Response {
		return c.Post(ctx, Request{URL: srv.URL, Body: []byte(`{}`)}, time.Now)
	}
	if resp := post(WithTenant(context.Background(), owner)); !resp.Success() {
		t.Fatalf("the owner's delivery: %+v", resp)
	}
	// Right after the owner's: its kept-alive connection must not serve them.
	for name, ctx := range map[string]context.Context{
		"another client":             WithTenant(context.Background(), ClientTenant("client-b")),
		"an organization of that id": WithTenant(context.Background(), OrganizationTenant("client-a")),
		"no tenant":                  context.Background(),
	} {
		if resp := post(ctx); !errors.Is(resp.Err, ErrForbiddenTarget) || resp.Err.Error() != ErrForbiddenTarget.Error() {
			t.Errorf("%s: %+v, want the uniform refusal", name, resp)
		}
	}
	if resp := post(WithTenant(context.Background(), owner)); !resp.Success() {
		t.Errorf("the owner's second delivery: %+v", resp)
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("receiver got %d requests, want the owner's 2", n)
	}
}
