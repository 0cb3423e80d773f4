package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/sealing"
)

// Every secret in webhook_secrets is sealed (package sealing) with the row's
// id as context, so a sealed value copied onto another row does not open.
// The stores seal on every write and open on every read; SQL only ever sees
// sealed text.

// sealSecret seals the secret of row id. A secret PostgreSQL could not have
// stored as text (a NUL, bytes that are not UTF-8) stays unstorable once
// sealed too, so a secret always reads back as text.
func sealSecret(ring *sealing.KeyRing, id uuid.UUID, secret string) (string, error) {
	if !hookflow.IsText(secret) {
		return "", ErrUnstorable
	}
	sealed, err := ring.Seal([]byte(secret), id[:])
	if err != nil {
		return "", fmt.Errorf("seal secret %s: %w", id, err)
	}
	return sealed, nil
}

// openSecret opens the sealed secret of row id. A row the sealing pass has
// not reached yet reads as sealed "".
func openSecret(ring *sealing.KeyRing, id uuid.UUID, sealed string) (string, error) {
	if sealed == "" {
		return "", fmt.Errorf("secret %s is not sealed yet: run hookflow migrate", id)
	}
	secret, err := ring.Open(sealed, id[:])
	if err != nil {
		return "", fmt.Errorf("open secret %s: %w", id, err)
	}
	return string(secret), nil
}

// sealedWithID is the text a list of secrets aggregates in SQL: the row's id
// and its sealed secret, which holds no space.
func sealedWithID(alias string) string {
	return alias + `.id::text || ' ' || coalesce(` + alias + `.sealed_secret, '')`
}

// openSecretsWithID opens what sealedWithID aggregated, in order.
func openSecretsWithID(ring *sealing.KeyRing, rows []string) ([]string, error) {
	out := make([]string, 0, len(rows))
	for _, row := range rows {
		idText, sealed, _ := strings.Cut(row, " ")
		id, err := uuid.Parse(idText)
		if err != nil {
			return nil, fmt.Errorf("secret id %q: %w", idText, err)
		}
		secret, err := openSecret(ring, id, sealed)
		if err != nil {
			return nil, err
		}
		out = append(out, secret)
	}
	return out, nil
}

// sealingBatch is how many secrets one transaction of the sealing pass and
// of a key rotation takes: few enough to hold row locks briefly while
// the API serves.
const sealingBatch = 500

// SealPlaintextSecrets seals the secrets written before they were sealed
// at rest, in batches, and returns how many it sealed. Run after the schema
// migrations; with none left it changes nothing.
func (s *SecretStore) SealPlaintextSecrets(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.sealPlaintextBatch(ctx)
		if err != nil {
			return total, err
		}
		total += n
		if n < sealingBatch {
			return total, nil
		}
	}
}

func (s *SecretStore) sealPlaintextBatch(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `SELECT id, plaintext_secret FROM webhook_secrets
			WHERE plaintext_secret IS NOT NULL ORDER BY id LIMIT $1 FOR UPDATE`, sealingBatch)
		if err != nil {
			return fmt.Errorf("select plaintext secrets: %w", err)
		}
		type plain struct {
			id     uuid.UUID
			secret string
		}
		batch, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (p plain, err error) {
			err = row.Scan(&p.id, &p.secret)
			return p, err
		})
		if err != nil {
			return fmt.Errorf("select plaintext secrets: %w", err)
		}
		for _, p := range batch {
			sealed, err := sealSecret(s.ring, p.id, p.secret)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE webhook_secrets SET sealed_secret = $2, plaintext_secret = NULL WHERE id = $1`, p.id, sealed); err != nil {
				return fmt.Errorf("seal secret %s: %w", p.id, err)
			}
		}
		n = len(batch)
		return nil
	})
	return n, err
}

// KeyRotation counts what RotateKeys did.
type KeyRotation struct {
	Sealed    int // plaintext secrets sealed on the way
	Rewrapped int // secrets and sets of custom headers moved to the newest key
	Remaining int // secrets and sets of headers still under an older key afterwards
}

// sealedColumn is a column of sealed values that a key rotation re-wraps:
// webhook_secrets.sealed_secret, bound to the row's id; webhooks'
// sealed_headers, bound to the webhook's id and their purpose; the custom
// headers attempts recorded, bound to their delivery's id (boundTo).
type sealedColumn struct {
	table, column, boundTo string
	context                func(id uuid.UUID) []byte
}

var sealedColumns = []sealedColumn{
	{table: "webhook_secrets", column: "sealed_secret", boundTo: "id", context: func(id uuid.UUID) []byte { return id[:] }},
	{table: "webhooks", column: "sealed_headers", boundTo: "id", context: headersContext},
	{table: "attempt_intents", column: "sealed_custom_headers", boundTo: "delivery_id", context: recordedHeadersContext},
	{table: "attempts", column: "sealed_custom_headers", boundTo: "delivery_id", context: recordedHeadersContext},
}

// notUnderKey matches the rows of c whose value is not sealed under key $1
// (for secrets, a plaintext row too: the sealing pass did it first).
func (c sealedColumn) notUnderKey() string {
	if c.table == "webhook_secrets" {
		return `(sealed_secret IS NULL OR split_part(sealed_secret, ':', 2) <> $1)`
	}
	return `(` + c.column + ` IS NOT NULL AND split_part(` + c.column + `, ':', 2) <> $1)`
}

// RotateKeys re-wraps every secret and every set of custom headers that is
// not under the ring's newest key, batch by batch in id order, each batch
// its own transaction, so it runs beside a serving API: a row being
// written waits for its batch, and a value written meanwhile is sealed by
// its writer and left alone.
func (s *SecretStore) RotateKeys(ctx context.Context) (KeyRotation, error) {
	var r KeyRotation
	var err error
	if r.Sealed, err = s.SealPlaintextSecrets(ctx); err != nil {
		return r, err
	}
	current := s.ring.CurrentKeyID()
	for _, col := range sealedColumns {
		after := uuid.Nil
		for {
			n, last, err := s.rewrapBatch(ctx, col, current, after)
			if err != nil {
				return r, err
			}
			r.Rewrapped += n
			if last == uuid.Nil {
				break
			}
			after = last
		}
		// A process still running with the old ring may have written behind
		// the cursor; say so rather than claim the old key is free.
		var remaining int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+col.table+` WHERE `+col.notUnderKey(), current).Scan(&remaining); err != nil {
			return r, fmt.Errorf("count %s under older keys: %w", col.column, err)
		}
		r.Remaining += remaining
	}
	return r, nil
}

// rewrapBatch re-wraps the next batch of col's rows after id after that
// are not under current; last is the batch's last id, uuid.Nil at the end.
func (s *SecretStore) rewrapBatch(ctx context.Context, col sealedColumn, current string, after uuid.UUID) (n int, last uuid.UUID, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n, last = 0, uuid.Nil
		rows, err := tx.Query(ctx, `SELECT id, `+col.boundTo+`, `+col.column+` FROM `+col.table+`
			WHERE id > $2 AND `+col.column+` IS NOT NULL AND `+col.notUnderKey()+` ORDER BY id LIMIT $3 FOR UPDATE`, current, after, sealingBatch)
		if err != nil {
			return fmt.Errorf("select %s under older keys: %w", col.column, err)
		}
		type sealedRow struct {
			id, boundTo uuid.UUID
			sealed      string
		}
		batch, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (r sealedRow, err error) {
			err = row.Scan(&r.id, &r.boundTo, &r.sealed)
			return r, err
		})
		if err != nil {
			return fmt.Errorf("select %s under older keys: %w", col.column, err)
		}
		for _, r := range batch {
			out, changed, err := s.ring.Rewrap(r.sealed, col.context(r.boundTo))
			if err != nil {
				return fmt.Errorf("re-wrap %s of %s: %w", col.column, r.id, err)
			}
			if !changed {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE `+col.table+` SET `+col.column+` = $2 WHERE id = $1`, r.id, out); err != nil {
				return fmt.Errorf("re-wrap %s of %s: %w", col.column, r.id, err)
			}
			n++
		}
		if len(batch) == sealingBatch {
			last = batch[len(batch)-1].id
		}
		return nil
	})
	return n, last, err
}
