package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// JSON Schemas of catalog events, one per event (code, version) row: the
// rest of the catalog store. Every change bumps schema_revision, which is
// what caches of compiled schemas key on.

// EventSchema loads the schema of an event of a category;
// ErrEventSchemaNotFound when it has none.
func (s *CatalogStore) EventSchema(ctx context.Context, categoryID, eventID string) (json.RawMessage, error) {
	cid, eid, err := eventIDs(categoryID, eventID)
	if err != nil {
		return nil, err
	}
	if _, err := s.category(ctx, s.pool, cid); err != nil {
		return nil, err
	}
	var schema []byte
	err = s.pool.QueryRow(ctx, `SELECT schema FROM webhook_events WHERE id = $1 AND category_id = $2 AND deleted_at IS NULL`,
		eid, cid).Scan(&schema)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrCatalogEventNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load schema of event %s: %w", eventID, err)
	}
	if schema == nil {
		return nil, hookflow.ErrEventSchemaNotFound
	}
	return schema, nil
}

// SetEventSchema sets the schema of an event of a category and answers it
// as stored. check is called, with the event row locked, on the event's
// sample payload of the event's own version when there is one: an error
// from it leaves the schema unchanged and is returned.
func (s *CatalogStore) SetEventSchema(ctx context.Context, categoryID, eventID string, schema json.RawMessage,
	check func(sample json.RawMessage) error, by string) (json.RawMessage, error) {
	cid, eid, err := eventIDs(categoryID, eventID)
	if err != nil {
		return nil, err
	}
	if _, err := s.category(ctx, s.pool, cid); err != nil {
		return nil, err
	}
	// The lock keeps a sample payload from being added or changed (its
	// foreign key check waits) between the check and the update.
	return inLocked(ctx, s.pool, eventRef(cid, eid), "UPDATE", func(tx pgx.Tx) (json.RawMessage, error) {
		var sample []byte
		err := tx.QueryRow(ctx, `SELECT p.payload FROM sample_payloads p JOIN webhook_events e ON e.id = p.event_id AND e.version = p.version
			WHERE p.event_id = $1`, eid).Scan(&sample)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("load sample payload of event %s: %w", eventID, err)
		}
		if sample != nil {
			if err := check(sample); err != nil {
				return nil, err
			}
		}
		var stored []byte
		err = tx.QueryRow(ctx, `UPDATE webhook_events SET schema = $2, schema_revision = schema_revision + 1, updated_at = now(), updated_by = $3
			WHERE id = $1 RETURNING schema`, eid, schema, by).Scan(&stored)
		if err != nil {
			return nil, fmt.Errorf("set schema of event %s: %w", eventID, unstorable(err))
		}
		return stored, nil
	})
}

// DeleteEventSchema removes the schema of an event of a category;
// ErrEventSchemaNotFound when it has none.
func (s *CatalogStore) DeleteEventSchema(ctx context.Context, categoryID, eventID, by string) error {
	cid, eid, err := eventIDs(categoryID, eventID)
	if err != nil {
		return err
	}
	if _, err := s.category(ctx, s.pool, cid); err != nil {
		return err
	}
	_, err = inLocked(ctx, s.pool, eventRef(cid, eid), "UPDATE", func(tx pgx.Tx) (struct{}, error) {
		tag, err := tx.Exec(ctx, `UPDATE webhook_events SET schema = NULL, schema_revision = schema_revision + 1, updated_at = now(), updated_by = $2
			WHERE id = $1 AND schema IS NOT NULL`, eid, by)
		if err != nil {
			return struct{}{}, fmt.Errorf("delete schema of event %s: %w", eventID, err)
		}
		if tag.RowsAffected() == 0 {
			return struct{}{}, hookflow.ErrEventSchemaNotFound
		}
		return struct{}{}, nil
	})
	return err
}

// LiveEventSchemaRef names the schema that a published event of type code
// is checked against: that of the code's live version created last. Nil
// when that version has no schema, or the code no live version.
func (s *CatalogStore) LiveEventSchemaRef(ctx context.Context, code string) (*hookflow.EventSchemaRef, error) {
	return s.schemaRef(ctx, `SELECT e.id, e.schema IS NOT NULL, e.schema_revision FROM `+liveEvents+` AND e.code = $1
		ORDER BY e.created_at DESC, e.position DESC, e.id DESC LIMIT 1`, code)
}

// EventSchemaRef names the schema of a catalog event (version) by its id,
// deleted or not; nil when it has none.
func (s *CatalogStore) EventSchemaRef(ctx context.Context, eventID string) (*hookflow.EventSchemaRef, error) {
	eid, err := parseID(eventID, hookflow.ErrCatalogEventNotFound)
	if err != nil {
		return nil, err
	}
	return s.schemaRef(ctx, `SELECT e.id, e.schema IS NOT NULL, e.schema_revision FROM webhook_events e WHERE e.id = $1`, eid)
}

func (s *CatalogStore) schemaRef(ctx context.Context, sql string, arg any) (*hookflow.EventSchemaRef, error) {
	var id uuid.UUID
	var has bool
	var ref hookflow.EventSchemaRef
	err := s.pool.QueryRow(ctx, sql, arg).Scan(&id, &has, &ref.Revision)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !has {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up event schema of %v: %w", arg, err)
	}
	ref.EventID = id.String()
	return &ref, nil
}

// EventSchemaDocument loads the schema of a catalog event by its id with
// its revision, for compiling; ErrEventSchemaNotFound when it has none.
func (s *CatalogStore) EventSchemaDocument(ctx context.Context, eventID string) (json.RawMessage, int64, error) {
	eid, err := parseID(eventID, hookflow.ErrCatalogEventNotFound)
	if err != nil {
		return nil, 0, err
	}
	var schema []byte
	var revision int64
	err = s.pool.QueryRow(ctx, `SELECT schema, schema_revision FROM webhook_events WHERE id = $1`, eid).Scan(&schema, &revision)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, hookflow.ErrCatalogEventNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load schema of event %s: %w", eventID, err)
	}
	if schema == nil {
		return nil, 0, hookflow.ErrEventSchemaNotFound
	}
	return schema, revision, nil
}
