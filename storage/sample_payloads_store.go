package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// SamplePayloadStore keeps the catalog events' sample payloads and the seed data versions.
type SamplePayloadStore struct {
	pool *pgxpool.Pool
}

// Sample payloads, one per (event, version), and the seed-data versions:
// the rest of the catalog store.

const selectSamplePayload = `SELECT p.id, e.id, e.code, e.name, e.version, p.version, p.payload,
	p.created_at, coalesce(p.created_by, ''), p.updated_at, coalesce(p.updated_by, '')
	FROM sample_payloads p JOIN webhook_events e ON e.id = p.event_id`

func scanSamplePayload(row pgx.Row) (*hookflow.SamplePayload, error) {
	var p hookflow.SamplePayload
	var id, eventID uuid.UUID
	dest := append([]any{&id, &eventID, &p.Event.Code, &p.Event.Name, &p.Event.Version, &p.Version, &p.Payload}, auditDest(&p.Audit)...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	p.ID, p.Event.ID = id.String(), eventID.String()
	return &p, nil
}

func samplePayloadConflict(version string) error {
	return hookflow.Errorf(hookflow.ECONFLICT, "Sample payload of version %s already exists for this webhook event", version)
}

// withSchemaCheck runs fn in a transaction holding the event's row in share
// mode, so that SetEventSchema (which takes it for update) waits, after
// calling check with the event's schema when version is the event's own
// and the event has one: a sample payload describes its version's data.
func (s *SamplePayloadStore) withSchemaCheck(ctx context.Context, eventID uuid.UUID, version string, check func(schema json.RawMessage) error,
	fn func(tx pgx.Tx) (uuid.UUID, error)) (*hookflow.SamplePayload, error) {
	var id uuid.UUID
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var eventVersion string
		var schema []byte
		err := tx.QueryRow(ctx, `SELECT version, schema FROM webhook_events WHERE id = $1 AND deleted_at IS NULL FOR SHARE`, eventID).
			Scan(&eventVersion, &schema)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("lock event %s: %w", eventID, err)
		}
		if schema != nil && version == eventVersion && check != nil {
			if err := check(schema); err != nil {
				return err
			}
		}
		id, err = fn(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.samplePayload(ctx, `p.id = $1`, id)
}

// CreateSamplePayload stores an event's sample payload of a version that it
// has none of yet; check (nil for none) vets it against the event's schema.
func (s *SamplePayloadStore) CreateSamplePayload(ctx context.Context, eventID, version string, payload json.RawMessage, check func(schema json.RawMessage) error, by string) (*hookflow.SamplePayload, error) {
	eid, err := parseID(eventID, hookflow.ErrCatalogEventNotFound)
	if err != nil {
		return nil, err
	}
	return s.withSchemaCheck(ctx, eid, version, check, func(tx pgx.Tx) (uuid.UUID, error) {
		var id uuid.UUID
		err := tx.QueryRow(ctx, `INSERT INTO sample_payloads (event_id, version, payload, created_by, updated_by)
			VALUES ($1, $2, $3, $4, $4) RETURNING id`, eid, version, payload, by).Scan(&id)
		if uniqueViolation(err, "sample_payloads_event_id_version_key") {
			return id, samplePayloadConflict(version)
		}
		if err != nil {
			return id, fmt.Errorf("insert sample payload of %s: %w", eventID, unstorable(err))
		}
		return id, nil
	})
}

// SamplePayload loads an event's sample payload of a version.
func (s *SamplePayloadStore) SamplePayload(ctx context.Context, eventID, version string) (*hookflow.SamplePayload, error) {
	eid, err := parseID(eventID, hookflow.ErrSamplePayloadNotFound)
	if err != nil {
		return nil, err
	}
	return s.samplePayload(ctx, `p.event_id = $1 AND p.version = $2`, eid, version)
}

func (s *SamplePayloadStore) samplePayload(ctx context.Context, where string, args ...any) (*hookflow.SamplePayload, error) {
	p, err := scanSamplePayload(s.pool.QueryRow(ctx, selectSamplePayload+` WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrSamplePayloadNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load sample payload: %w", err)
	}
	return p, nil
}

// UpdateSamplePayload replaces the payload and version of an event's sample
// payload of a version; check (nil for none) vets it against the event's
// schema.
func (s *SamplePayloadStore) UpdateSamplePayload(ctx context.Context, eventID, version, newVersion string, payload json.RawMessage, check func(schema json.RawMessage) error, by string) (*hookflow.SamplePayload, error) {
	eid, err := parseID(eventID, hookflow.ErrSamplePayloadNotFound)
	if err != nil {
		return nil, err
	}
	return s.withSchemaCheck(ctx, eid, newVersion, check, func(tx pgx.Tx) (uuid.UUID, error) {
		var id uuid.UUID
		err := tx.QueryRow(ctx, `UPDATE sample_payloads SET version = $3, payload = $4, updated_at = now(), updated_by = $5
			WHERE event_id = $1 AND version = $2 RETURNING id`, eid, version, newVersion, payload, by).Scan(&id)
		if uniqueViolation(err, "sample_payloads_event_id_version_key") {
			return id, samplePayloadConflict(newVersion)
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return id, hookflow.ErrSamplePayloadNotFound
		}
		if err != nil {
			return id, fmt.Errorf("update sample payload of %s: %w", eventID, unstorable(err))
		}
		return id, nil
	})
}

// DeleteSamplePayload removes an event's sample payload of a version. It has
// no history to keep, so the row goes and the version is free again.
func (s *SamplePayloadStore) DeleteSamplePayload(ctx context.Context, eventID, version string) error {
	eid, err := parseID(eventID, hookflow.ErrSamplePayloadNotFound)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM sample_payloads WHERE event_id = $1 AND version = $2`, eid, version)
	if err != nil {
		return fmt.Errorf("delete sample payload of %s: %w", eventID, err)
	}
	if tag.RowsAffected() == 0 {
		return hookflow.ErrSamplePayloadNotFound
	}
	return nil
}

// SeedDataVersions lists the catalog data that migrations applied, oldest first.
func (s *SamplePayloadStore) SeedDataVersions(ctx context.Context) ([]hookflow.SeedDataVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, description, applied_at FROM seed_data_versions ORDER BY applied_at, version`)
	if err != nil {
		return nil, fmt.Errorf("list seed data versions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.SeedDataVersion, error) {
		var v hookflow.SeedDataVersion
		err := row.Scan(&v.Version, &v.Description, &v.AppliedAt)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("list seed data versions: %w", err)
	}
	return out, nil
}
