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
	// A delivery's first attempt takes the delivery's id, so that the
	// activity (and activation) a client holds before the first post is
	// the one it reads afterwards. DO UPDATE (a no-op) rather than DO
	// NOTHING, so that RETURNING yields the existing row's id too.
	err = db.pool.QueryRow(ctx, `
		INSERT INTO attempt_intents (id, delivery_id, key, manual, url)
		VALUES (CASE WHEN EXISTS (SELECT 1 FROM attempt_intents WHERE delivery_id = $2)
		               OR EXISTS (SELECT 1 FROM attempts WHERE delivery_id = $2) THEN $1 ELSE $2 END, $2, $3, $4, $5)
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

// RecordRequest keeps, on the intent of an attempt, the exact body and the
// headers it is about to send and its webhook-timestamp; completing the
// attempt copies them onto its row. A POST made again overwrites them, so
// they are always those of the last request sent.
func (db *DB) RecordRequest(ctx context.Context, attemptID string, body []byte, headers map[string]string, timestamp int64) error {
	uid, err := uuid.Parse(attemptID)
	if err != nil {
		return fmt.Errorf("attempt id %q: %w", attemptID, err)
	}
	_, err = db.pool.Exec(ctx, `UPDATE attempt_intents SET request_body = $2, request_headers = $3, webhook_timestamp = $4 WHERE id = $1`,
		uid, string(body), headers, timestamp)
	if err != nil {
		return fmt.Errorf("record request of attempt %s: %w", attemptID, err)
	}
	return nil
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
