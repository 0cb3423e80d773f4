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

// CreateSamplePayload stores an event's sample payload of a version that it
// has none of yet.
func (s *SamplePayloadStore) CreateSamplePayload(ctx context.Context, eventID, version string, payload json.RawMessage, by string) (*hookflow.SamplePayload, error) {
	eid, err := parseID(eventID, hookflow.ErrCatalogEventNotFound)
	if err != nil {
		return nil, err
	}
	var id uuid.UUID
	err = s.pool.QueryRow(ctx, `INSERT INTO sample_payloads (event_id, version, payload, created_by, updated_by)
		VALUES ($1, $2, $3, $4, $4) RETURNING id`, eid, version, payload, by).Scan(&id)
	if uniqueViolation(err, "sample_payloads_event_id_version_key") {
		return nil, samplePayloadConflict(version)
	}
	if err != nil {
		return nil, fmt.Errorf("insert sample payload of %s: %w", eventID, unstorable(err))
	}
	return s.samplePayload(ctx, `p.id = $1`, id)
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
// payload of a version.
func (s *SamplePayloadStore) UpdateSamplePayload(ctx context.Context, eventID, version, newVersion string, payload json.RawMessage, by string) (*hookflow.SamplePayload, error) {
	eid, err := parseID(eventID, hookflow.ErrSamplePayloadNotFound)
	if err != nil {
		return nil, err
	}
	var id uuid.UUID
	err = s.pool.QueryRow(ctx, `UPDATE sample_payloads SET version = $3, payload = $4, updated_at = now(), updated_by = $5
		WHERE event_id = $1 AND version = $2 RETURNING id`, eid, version, newVersion, payload, by).Scan(&id)
	if uniqueViolation(err, "sample_payloads_event_id_version_key") {
		return nil, samplePayloadConflict(newVersion)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrSamplePayloadNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("update sample payload of %s: %w", eventID, unstorable(err))
	}
	return s.samplePayload(ctx, `p.id = $1`, id)
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
