package storage

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/sealing"
)

// subscriptionColumns reads an organization webhook as a subscription; the
// secret is the current first one, sealed (sealedWithID).
func subscriptionColumns(alias string) string {
	return fmt.Sprintf(`%[1]s.id, coalesce(%[1]s.organization_id, ''), %[1]s.url, %[1]s.version,
	(SELECT `+sealedWithID("s")+` FROM webhook_secrets s WHERE s.webhook_id = %[1]s.id AND s.revoked_at IS NULL ORDER BY s.position LIMIT 1),
	%[1]s.events, %[1]s.is_development, %[1]s.sealed_headers, coalesce(%[1]s.filter, ''), coalesce(%[1]s.rate_limit, 0), `, alias) + auditColumns(alias) + `, ` + lifecycleColumns(alias)
}

func scanSubscription(ring *sealing.KeyRing, row pgx.Row) (hookflow.Subscription, error) {
	var s hookflow.Subscription
	var id uuid.UUID
	var sealed, sealedHeaders *string
	dest := append([]any{&id, &s.OrganizationID, &s.PostURI, &s.Version, &sealed, &s.Events, &s.IsDevelopment, &sealedHeaders, &s.Filter, &s.RateLimit},
		append(auditDest(&s.Audit), lifecycleDest(&s.Lifecycle)...)...)
	if err := row.Scan(dest...); err != nil {
		return s, err
	}
	s.ID = id.String()
	if sealed != nil {
		secrets, err := openSecretsWithID(ring, []string{*sealed})
		if err != nil {
			return s, fmt.Errorf("secret of subscription %s: %w", s.ID, err)
		}
		s.SecretKey = secrets[0]
	}
	headers, err := openHeaders(ring, id, sealedHeaders)
	if err != nil {
		return s, err
	}
	s.Headers = headers
	return s, nil
}

// EventSubscriptions lists the organization subscriptions, of any
// organization, to an event code or to all events, archived and deleted ones
// left out, oldest first. A code the catalog does not hold is not found.
func (s *SubscriptionStore) EventSubscriptions(ctx context.Context, code string) ([]hookflow.Subscription, error) {
	var known bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_events WHERE code = $1 AND deleted_at IS NULL)`, code).Scan(&known); err != nil {
		return nil, fmt.Errorf("look up event %s: %w", code, err)
	}
	if !known {
		return nil, hookflow.ErrCatalogEventNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT `+subscriptionColumns("w")+` FROM webhooks w
		WHERE w.kind = 'organization' AND w.deleted_at IS NULL AND w.archived_at IS NULL
		  AND (w.events @> ARRAY[$1]::text[] OR w.events @> ARRAY['all']::text[])
		ORDER BY w.created_at, w.id`, code)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions of %s: %w", code, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Subscription, error) { return scanSubscription(s.ring, row) })
	if err != nil {
		return nil, fmt.Errorf("list subscriptions of %s: %w", code, err)
	}
	return out, nil
}
