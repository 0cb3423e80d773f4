package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookflow/hookflow"
)

// BeginAttempt records that an attempt of the delivery is about to POST to
// url and returns the attempt's id. The key names the workflow step making
// it: the same key again returns the same id, so a step that runs twice
// (a worker died before its result was saved) still has one intent.
func (db *DB) BeginAttempt(ctx context.Context, deliveryID, key, url string, kind hookflow.AttemptKind) (string, error) {
	uid, err := uuid.Parse(deliveryID)
	if err != nil {
		return "", ErrDeliveryNotFound
	}
	var id uuid.UUID
	// DO UPDATE (a no-op) rather than DO NOTHING, so that RETURNING yields
	// the existing row's id too.
	err = db.pool.QueryRow(ctx, `
		INSERT INTO attempt_intents (id, delivery_id, key, manual, url) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
		RETURNING id`, uuid.New(), uid, key, kind == hookflow.ManualAttempt, url).Scan(&id)
	if err != nil {
		if isForeignKeyViolation(err) {
			return "", ErrDeliveryNotFound
		}
		return "", fmt.Errorf("begin attempt of %s: %w", deliveryID, err)
	}
	return id.String(), nil
}

// CompleteAttempt records the outcome of the attempt begun as a.ID and moves
// the delivery's status (see RecordAttempt). Completing an attempt already
// completed changes nothing and fills a with the stored attempt, so the step
// can be retried until PostgreSQL answers.
func (db *DB) CompleteAttempt(ctx context.Context, a *hookflow.Attempt, kind hookflow.AttemptKind) error {
	if a.ID == "" {
		return errors.New("complete attempt: no attempt id")
	}
	stored, err := db.Attempt(ctx, a.ID)
	if err == nil {
		*a = *stored
		return nil
	}
	if hookflow.ErrorCodeOf(err) != hookflow.ENOTFOUND {
		return err
	}
	return db.RecordAttempt(ctx, a, kind)
}

// isForeignKeyViolation reports an insert that references a missing row.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}
