package egress

import (
	"context"
	"slices"
)

// Tenant is whose delivery an attempt makes: a public webhook's client or
// an ECG subscription's organization. The guard opens a tenant's own
// networks (Guard.TenantAllowed) to its deliveries only.
type Tenant struct {
	Organization bool   // an organization id, else a client id
	ID           string // the clientId or organizationId
}

// ClientTenant is the tenant of a public v2 webhook (facility or user).
func ClientTenant(clientID string) Tenant { return Tenant{ID: clientID} }

// OrganizationTenant is the tenant of an ECG organization subscription.
func OrganizationTenant(organizationID string) Tenant {
	return Tenant{Organization: true, ID: organizationID}
}

// String is the tenant as HOOKFLOW_TENANT_TARGET_CIDRS names it.
func (t Tenant) String() string {
	if t.Organization {
		return "org:" + t.ID
	}
	return "client:" + t.ID
}

type tenantKey struct{}

// WithTenant marks ctx as carrying an attempt of t's, so Client.Post dials
// with t's allowed networks.
func WithTenant(ctx context.Context, t Tenant) context.Context {
	return context.WithValue(ctx, tenantKey{}, t)
}

// TenantFrom returns the tenant WithTenant put in ctx.
func TenantFrom(ctx context.Context) (Tenant, bool) {
	t, ok := ctx.Value(tenantKey{}).(Tenant)
	return t, ok
}

// ForTenant is the guard of t's deliveries: the networks allowed to every
// tenant, and t's own.
func (g Guard) ForTenant(t Tenant) Guard {
	scoped := g.shared()
	scoped.Allowed = append(slices.Clip(g.Allowed), g.TenantAllowed[t]...)
	return scoped
}

// shared is the guard of deliveries of no tenant with networks of its own:
// the networks allowed to every tenant only.
func (g Guard) shared() Guard {
	g.TenantAllowed = nil
	return g
}
