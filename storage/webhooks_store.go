package storage

import (
	"context"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/sealing"
)

// WebhookStore keeps integrators' facility and user webhooks and their secrets.
type WebhookStore struct {
	pool   *pgxpool.Pool
	ring   *sealing.KeyRing
	quotas hookflow.Quotas // see WithQuotas
}

var webhookColumns = `w.id, w.kind, w.client_id, coalesce(w.organization_id, ''), w.url, w.events, w.facilities,
	w.active, w.created_at, w.updated_at, w.archived_at, w.deleted_at, coalesce(w.filter, ''), coalesce(w.rate_limit, 0),
	` + signingSecrets + `, w.sealed_headers`

// signingSecrets are the secrets that sign now, sealed (sealedWithID): the
// current ones in order, then rotated-out ones still inside their overlap,
// newest first.
var signingSecrets = `coalesce((SELECT array_agg(` + sealedWithID("s") + ` ORDER BY s.revoked_at IS NOT NULL, s.position, s.created_at DESC, s.id)
	FROM webhook_secrets s WHERE s.webhook_id = w.id AND (s.revoked_at IS NULL OR s.expires_at > now())), '{}')`

// sealedWebhook is what webhookColumns read sealed: the secrets and the
// custom headers.
type sealedWebhook struct {
	secrets []string
	headers *string
}

// webhookDest lists where webhookColumns scan to; the id lands in *id and
// the sealed parts in *sealed, for openWebhookSealed.
func webhookDest(w *hookflow.Webhook, id *uuid.UUID, sealed *sealedWebhook) []any {
	return []any{id, &w.Kind, &w.ClientID, &w.OrganizationID, &w.URL, &w.Events, &w.Facilities,
		&w.Active, &w.CreatedAt, &w.UpdatedAt, &w.ArchivedAt, &w.DeletedAt, &w.Filter, &w.RateLimit, &sealed.secrets, &sealed.headers}
}

// openWebhookSealed fills w.Secrets and w.Headers from what webhookDest
// scanned for webhook id.
func openWebhookSealed(ring *sealing.KeyRing, w *hookflow.Webhook, id uuid.UUID, sealed sealedWebhook) error {
	secrets, err := openSecretsWithID(ring, sealed.secrets)
	if err != nil {
		return fmt.Errorf("secrets of webhook %s: %w", id, err)
	}
	headers, err := openHeaders(ring, id, sealed.headers)
	if err != nil {
		return err
	}
	w.Secrets, w.Headers = secrets, headers
	return nil
}

func scanWebhook(ring *sealing.KeyRing, row pgx.Row) (*hookflow.Webhook, error) {
	var w hookflow.Webhook
	var id uuid.UUID
	var sealed sealedWebhook
	if err := row.Scan(webhookDest(&w, &id, &sealed)...); err != nil {
		return nil, err
	}
	w.ID = id.String()
	if err := openWebhookSealed(ring, &w, id, sealed); err != nil {
		return nil, err
	}
	return &w, nil
}

// CreateWebhook stores w with its secrets and fills in its id and timestamps.
// A client past its quota of webhooks (facility and user ones together, not
// deleted) is refused with hookflow.ErrTooManyWebhooks and nothing stored.
func (s *WebhookStore) CreateWebhook(ctx context.Context, w *hookflow.Webhook) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		limit := s.quotas.OrDefaults().WebhooksPerClient
		if err := checkQuota(ctx, tx, "webhooks", w.ClientID, limit, `SELECT count(*) FROM webhooks
			WHERE client_id = $1 AND kind IN ('facility', 'user') AND deleted_at IS NULL`,
			[]any{w.ClientID}, hookflow.ErrTooManyWebhooks(limit)); err != nil {
			return err
		}
		// The id is chosen here: the headers are sealed bound to it.
		id := uuid.New()
		headers, err := sealHeaders(s.ring, id, w.Headers)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO webhooks (id, kind, client_id, organization_id, url, events, facilities, sealed_headers, filter, rate_limit, active, created_by, updated_by)
			VALUES ($7, $1, $2, nullif($3, ''), $4, $5, $6, $8, nullif($9, ''), nullif($10, 0), true, $2, $2)
			RETURNING created_at, updated_at, active`,
			w.Kind, w.ClientID, w.OrganizationID, w.URL, w.Events, nonNil(w.Facilities), id, headers, w.Filter, w.RateLimit,
		).Scan(&w.CreatedAt, &w.UpdatedAt, &w.Active)
		if err != nil {
			return fmt.Errorf("insert webhook: %w", unstorable(err))
		}
		w.ID = id.String()
		return insertSecrets(ctx, tx, s.ring, id, w.Secrets)
	})
}

// insertSecrets adds secrets to a webhook in signing order, sealed.
func insertSecrets(ctx context.Context, tx pgx.Tx, ring *sealing.KeyRing, webhookID uuid.UUID, secrets []string) error {
	for i, secret := range secrets {
		id := uuid.New()
		sealed, err := sealSecret(ring, id, secret)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_secrets (id, webhook_id, sealed_secret, position) VALUES ($1, $2, $3, $4)`, id, webhookID, sealed, i); err != nil {
			return fmt.Errorf("insert webhook secret: %w", unstorable(err))
		}
	}
	return nil
}

// Webhook loads a webhook that is not deleted. A malformed id is not found.
func (s *WebhookStore) Webhook(ctx context.Context, id string) (*hookflow.Webhook, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, hookflow.ErrWebhookNotFound
	}
	w, err := scanWebhook(s.ring, s.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks w
		WHERE w.id = $1 AND w.deleted_at IS NULL`, uid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrWebhookNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load webhook %s: %w", id, err)
	}
	return w, nil
}

// Webhooks lists a page of the webhooks of a kind, oldest first, for one
// client or all, and how many there are in all.
func (s *WebhookStore) Webhooks(ctx context.Context, f hookflow.WebhookFilter) ([]*hookflow.Webhook, int, error) {
	const match = ` FROM webhooks w WHERE w.kind = $1 AND ($2 = '' OR w.client_id = $2) AND w.deleted_at IS NULL`
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*)`+match, f.Kind, f.ClientID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count webhooks: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+webhookColumns+match+`
		ORDER BY w.created_at, w.id LIMIT $3 OFFSET $4`, f.Kind, f.ClientID, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	out := []*hookflow.Webhook{}
	for rows.Next() {
		w, err := scanWebhook(s.ring, rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan webhook: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list webhooks: %w", err)
	}
	return out, total, nil
}

// UpdateWebhook applies the given fields of u. New secrets replace the
// current ones, which stay as revoked history; new headers replace the
// whole set.
func (s *WebhookStore) UpdateWebhook(ctx context.Context, id string, u hookflow.WebhookUpdate, by string) (*hookflow.Webhook, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, hookflow.ErrWebhookNotFound
	}
	headers, err := sealHeaders(s.ring, uid, u.Headers)
	if err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE webhooks SET
				url = coalesce($2, url),
				events = coalesce($3, events),
				facilities = coalesce($4, facilities),
				filter = CASE WHEN $6::text IS NULL THEN filter ELSE nullif($6, '') END,
				sealed_headers = CASE WHEN $7 THEN $8 ELSE sealed_headers END,
				rate_limit = CASE WHEN $9::integer IS NULL THEN rate_limit ELSE nullif($9, 0) END,
				updated_at = now(), updated_by = $5
			WHERE id = $1 AND deleted_at IS NULL`,
			uid, u.URL, u.Events, u.Facilities, by, u.Filter, u.Headers != nil, headers, u.RateLimit)
		if err != nil {
			return fmt.Errorf("update webhook %s: %w", id, unstorable(err))
		}
		if tag.RowsAffected() == 0 {
			return hookflow.ErrWebhookNotFound
		}
		if u.Secrets == nil {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_secrets SET revoked_at = now() WHERE webhook_id = $1 AND revoked_at IS NULL`, uid); err != nil {
			return fmt.Errorf("revoke webhook secrets: %w", err)
		}
		return insertSecrets(ctx, tx, s.ring, uid, u.Secrets)
	})
	if err != nil {
		return nil, err
	}
	return s.Webhook(ctx, id)
}

// DeleteWebhook soft-deletes a webhook: deliveries stop, history stays.
func (s *WebhookStore) DeleteWebhook(ctx context.Context, id, by string) error {
	uid, err := uuid.Parse(id)
	if err != nil {
		return hookflow.ErrWebhookNotFound
	}
	tag, err := s.pool.Exec(ctx, `UPDATE webhooks SET deleted_at = $2, active = false, updated_at = $2, updated_by = $3
		WHERE id = $1 AND deleted_at IS NULL`, uid, time.Now(), by)
	if err != nil {
		return fmt.Errorf("delete webhook %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return hookflow.ErrWebhookNotFound
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
