package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookflow/hookflow"
)

// BeginAttempt records that an attempt of the delivery is about to POST and
// returns the attempt's id. The intent's key names the workflow step making
// it: the same key again returns the same id with reused set, so a step that
// runs twice (its result was lost before the workflow saved it) still has
// one intent, and can find out whether its attempt was recorded. A request
// given with the intent is kept on it (see RecordRequest).
func (s *DeliveryStore) BeginAttempt(ctx context.Context, in hookflow.AttemptIntent) (id string, reused bool, err error) {
	uid, err := uuid.Parse(in.DeliveryID)
	if err != nil {
		return "", false, ErrDeliveryNotFound
	}
	var body, headers any
	var timestamp *int64
	var custom *string
	if r := in.Request; r != nil {
		body, headers, timestamp = string(r.Body), r.Headers, &r.Timestamp
		if custom, err = sealRecordedHeaders(s.ring, uid, r.CustomHeaders); err != nil {
			return "", false, err
		}
	}
	var attemptID uuid.UUID
	// A delivery's first attempt takes the delivery's id, so that the
	// activity (and activation) a client holds before the first post is
	// the one it reads afterwards. DO UPDATE rather than DO NOTHING, so that
	// RETURNING yields the existing row too; xmax is non-zero exactly when
	// the row was there already (updated, not inserted). A step that posts
	// again overwrites the request with the one it sends now.
	err = s.pool.QueryRow(ctx, `
		INSERT INTO attempt_intents (id, delivery_id, key, manual, url, request_body, request_headers, webhook_timestamp, sealed_custom_headers)
		VALUES (CASE WHEN EXISTS (SELECT 1 FROM attempt_intents WHERE delivery_id = $2)
		               OR EXISTS (SELECT 1 FROM attempts WHERE delivery_id = $2) THEN $1 ELSE $2 END, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (key) DO UPDATE SET
			request_body = coalesce(EXCLUDED.request_body, attempt_intents.request_body),
			request_headers = coalesce(EXCLUDED.request_headers, attempt_intents.request_headers),
			webhook_timestamp = coalesce(EXCLUDED.webhook_timestamp, attempt_intents.webhook_timestamp),
			-- The request sent now, with or without custom headers.
			sealed_custom_headers = CASE WHEN EXCLUDED.request_headers IS NULL THEN attempt_intents.sealed_custom_headers
			                             ELSE EXCLUDED.sealed_custom_headers END
		RETURNING id, xmax::text <> '0'`,
		uuid.New(), uid, in.Key, in.Kind == hookflow.ManualAttempt, in.URL, body, headers, timestamp, custom).Scan(&attemptID, &reused)
	if err != nil {
		if isForeignKeyViolation(err) {
			return "", false, ErrDeliveryNotFound
		}
		return "", false, fmt.Errorf("begin attempt of %s: %w", in.DeliveryID, err)
	}
	return attemptID.String(), reused, nil
}

// RecordRequest keeps, on the intent of an attempt of delivery deliveryID,
// the exact body and the headers it is about to send (the custom ones
// sealed) and its webhook-timestamp; completing the attempt copies them
// onto its row. A POST made again overwrites them, so they are always
// those of the last request sent.
func (s *DeliveryStore) RecordRequest(ctx context.Context, deliveryID, attemptID string, r hookflow.SentRequest) error {
	uid, err := uuid.Parse(attemptID)
	if err != nil {
		return fmt.Errorf("attempt id %q: %w", attemptID, err)
	}
	did, err := uuid.Parse(deliveryID)
	if err != nil {
		return ErrDeliveryNotFound
	}
	custom, err := sealRecordedHeaders(s.ring, did, r.CustomHeaders)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `UPDATE attempt_intents SET request_body = $2, request_headers = $3, webhook_timestamp = $4, sealed_custom_headers = $5
		WHERE id = $1 AND delivery_id = $6`,
		uid, string(r.Body), r.Headers, r.Timestamp, custom, did)
	if err != nil {
		return fmt.Errorf("record request of attempt %s: %w", attemptID, err)
	}
	return nil
}

// CompleteAttempt records the outcome of the attempt begun as a.ID and moves
// the delivery's status (see RecordAttempt). Completing an attempt already
// completed changes nothing and fills a with the stored attempt, so the step
// can be retried until PostgreSQL answers.
func (s *DeliveryStore) CompleteAttempt(ctx context.Context, a *hookflow.Attempt, kind hookflow.AttemptKind) error {
	if a.ID == "" {
		return errors.New("complete attempt: no attempt id")
	}
	stored, err := s.Attempt(ctx, a.ID)
	if err == nil {
		*a = *stored
		return nil
	}
	if hookflow.ErrorCodeOf(err) != hookflow.ENOTFOUND {
		return err
	}
	return s.RecordAttempt(ctx, a, kind)
}

// isForeignKeyViolation reports an insert that references a missing row.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// AttemptOfIntent loads the attempt recorded for the intent with the given
// key: ENOTFOUND while there is none.
func (s *DeliveryStore) AttemptOfIntent(ctx context.Context, key string) (*hookflow.Attempt, error) {
	a, err := scanAttempt(s.pool.QueryRow(ctx, `SELECT `+attemptColumns+` FROM attempts a JOIN attempt_intents i ON i.id = a.id WHERE i.key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.Errorf(hookflow.ENOTFOUND, "Attempt not found")
	}
	if err != nil {
		return nil, fmt.Errorf("load attempt of intent %s: %w", key, err)
	}
	return a, nil
}
