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

// SecretStore keeps organization subscriptions' signing secrets and their rotation history.
type SecretStore struct {
	pool *pgxpool.Pool
	ring *sealing.KeyRing
}

// A subscription has one current secret (revoked_at NULL). Rotating it
// revokes the current one, which keeps signing until its expires_at (the
// rotation overlap), and adds the new one as current. The rows stay as the
// secret history.

const secretHistoryColumns = `s.id, coalesce(s.sealed_secret, ''), s.created_at, CASE WHEN s.revoked_at IS NULL THEN NULL ELSE coalesce(s.expires_at, s.revoked_at) END`

func scanSecretHistory(ring *sealing.KeyRing, row pgx.Row) (hookflow.SecretHistoryEntry, error) {
	var e hookflow.SecretHistoryEntry
	var id uuid.UUID
	var sealed string
	if err := row.Scan(&id, &sealed, &e.CreatedAt, &e.ExpiresAt); err != nil {
		return e, err
	}
	e.ID = id.String()
	secret, err := openSecret(ring, id, sealed)
	if err != nil {
		return e, err
	}
	e.SecretKey = secret
	return e, nil
}

// SubscriptionSecret returns the secret of a subscription that is current
// now, or that was current at the instant at when it is given.
func (s *SecretStore) SubscriptionSecret(ctx context.Context, orgID, id string, at *time.Time) (string, error) {
	sub, err := (&SubscriptionStore{pool: s.pool, ring: s.ring}).Subscription(ctx, orgID, id)
	if err != nil {
		return "", err
	}
	if at == nil {
		return sub.SecretKey, nil
	}
	var secretID uuid.UUID
	var sealed string
	err = s.pool.QueryRow(ctx, `SELECT s.id, coalesce(s.sealed_secret, '') FROM webhook_secrets s
		WHERE s.webhook_id = $1 AND s.created_at <= $2 AND (s.revoked_at IS NULL OR s.revoked_at > $2)
		ORDER BY s.created_at DESC, s.position LIMIT 1`, sub.ID, *at).Scan(&secretID, &sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", hookflow.ErrSecretNotFound
	}
	if err != nil {
		return "", fmt.Errorf("load secret of subscription %s at %s: %w", id, at, err)
	}
	return openSecret(s.ring, secretID, sealed)
}

// RotateSubscriptionSecret makes secret the subscription's current secret;
// the one it replaces keeps signing for overlap. It returns the new history
// entry.
func (s *SecretStore) RotateSubscriptionSecret(ctx context.Context, orgID, id, secret string, overlap time.Duration) (*hookflow.SecretHistoryEntry, error) {
	uid, err := parseID(id, hookflow.ErrSubscriptionNotFound)
	if err != nil {
		return nil, err
	}
	// The row lock orders concurrent rotations: each revokes its predecessor.
	return inLocked(ctx, s.pool, subscriptionRef(orgID, uid), "UPDATE", func(tx pgx.Tx) (*hookflow.SecretHistoryEntry, error) {
		if _, err := tx.Exec(ctx, `UPDATE webhook_secrets SET revoked_at = now(), expires_at = now() + $2::interval
			WHERE webhook_id = $1 AND revoked_at IS NULL`, uid, overlap); err != nil {
			return nil, fmt.Errorf("revoke secret of subscription %s: %w", id, err)
		}
		// The new secret and the newest overlaps sign; older overlaps end now.
		if _, err := tx.Exec(ctx, `UPDATE webhook_secrets SET expires_at = now()
			WHERE id IN (SELECT id FROM webhook_secrets WHERE webhook_id = $1 AND revoked_at IS NOT NULL AND expires_at > now()
			             ORDER BY created_at DESC, id DESC OFFSET $2)`, uid, hookflow.MaxSigningSecrets-1); err != nil {
			return nil, fmt.Errorf("end the oldest overlaps of subscription %s: %w", id, err)
		}
		secretID := uuid.New()
		sealed, err := sealSecret(s.ring, secretID, secret)
		if err != nil {
			return nil, err
		}
		e, err := scanSecretHistory(s.ring, tx.QueryRow(ctx, `INSERT INTO webhook_secrets AS s (id, webhook_id, sealed_secret, position) VALUES ($1, $2, $3, 0)
			RETURNING `+secretHistoryColumns, secretID, uid, sealed))
		if err != nil {
			return nil, fmt.Errorf("insert secret of subscription %s: %w", id, unstorable(err))
		}
		return &e, nil
	})
}

// SubscriptionSecretHistory lists a page of a subscription's secrets by
// creation time, and how many there are.
func (s *SecretStore) SubscriptionSecretHistory(ctx context.Context, orgID, id string, p hookflow.Page) ([]hookflow.SecretHistoryEntry, int, error) {
	sub, err := (&SubscriptionStore{pool: s.pool, ring: s.ring}).Subscription(ctx, orgID, id)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM webhook_secrets WHERE webhook_id = $1`, sub.ID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count secrets of subscription %s: %w", id, err)
	}
	dir := "ASC"
	if p.Descending {
		dir = "DESC"
	}
	rows, err := s.pool.Query(ctx, `SELECT `+secretHistoryColumns+` FROM webhook_secrets s WHERE s.webhook_id = $1
		ORDER BY s.created_at `+dir+`, s.id `+dir+` OFFSET $2 LIMIT $3`, sub.ID, p.Skip, p.Take)
	if err != nil {
		return nil, 0, fmt.Errorf("list secrets of subscription %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.SecretHistoryEntry, error) {
		return scanSecretHistory(s.ring, row)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list secrets of subscription %s: %w", id, err)
	}
	return out, total, nil
}
