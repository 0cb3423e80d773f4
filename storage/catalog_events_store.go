package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

func selectCatalogEvent() string {
	return `SELECT e.id, c.id, c.code, c.name, e.code, e.name, e.description, e.version, ` +
		auditColumns("e") + `, ` + lifecycleColumns("e")
}

func scanCatalogEvent(row pgx.Row) (hookflow.CatalogEvent, error) {
	var e hookflow.CatalogEvent
	var id, categoryID uuid.UUID
	dest := append([]any{&id, &categoryID, &e.Category.Code, &e.Category.Name, &e.Code, &e.Name, &e.Description, &e.Version},
		append(auditDest(&e.Audit), lifecycleDest(&e.Lifecycle)...)...)
	if err := row.Scan(dest...); err != nil {
		return e, err
	}
	e.ID, e.Category.ID = id.String(), categoryID.String()
	return e, nil
}

func eventConflict(in hookflow.CatalogEventInput) error {
	return hookflow.Errorf(hookflow.ECONFLICT, "Webhook event with code %s and version %s already exists", in.Code, in.Version)
}

// eventIDs parses the ids of an event under its category; a malformed id is
// the not found of what it names.
func eventIDs(categoryID, eventID string) (uuid.UUID, uuid.UUID, error) {
	cid, err := parseID(categoryID, hookflow.ErrCategoryNotFound)
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	eid, err := parseID(eventID, hookflow.ErrCatalogEventNotFound)
	return cid, eid, err
}

func eventRef(categoryID, eventID uuid.UUID) entityRef {
	return entityRef{table: "webhook_events", id: eventID, scope: []scoped{{"category_id", categoryID}}, notFound: hookflow.ErrCatalogEventNotFound}
}

// CreateCatalogEvent adds an event to a category that is not deleted.
// (code, version) must be free.
func (s *CatalogStore) CreateCatalogEvent(ctx context.Context, categoryID string, in hookflow.CatalogEventInput, by string) (*hookflow.CatalogEvent, error) {
	cid, err := parseID(categoryID, hookflow.ErrCategoryNotFound)
	if err != nil {
		return nil, err
	}
	// Shared with other additions, exclusive with the category's deletion.
	return inLocked(ctx, s.pool, categoryRef(cid), "SHARE", func(tx pgx.Tx) (*hookflow.CatalogEvent, error) {
		var id uuid.UUID
		err := tx.QueryRow(ctx, `
			INSERT INTO webhook_events (category_id, code, name, description, version, position, created_by, updated_by)
			VALUES ($1, $2, $3, $4, $5, (SELECT coalesce(max(position), 0) + 1 FROM webhook_events WHERE category_id = $1), $6, $6)
			RETURNING id`, cid, in.Code, in.Name, in.Description, in.Version, by).Scan(&id)
		if uniqueViolation(err, "webhook_events_code_version_live") {
			return nil, eventConflict(in)
		}
		if err != nil {
			return nil, fmt.Errorf("insert event %s: %w", in.Code, unstorable(err))
		}
		return catalogEvent(ctx, tx, cid, id)
	})
}

// CatalogEvent loads an event of a category, archived or not; a deleted one,
// or one of another category, is not found.
func (s *CatalogStore) CatalogEvent(ctx context.Context, categoryID, eventID string) (*hookflow.CatalogEvent, error) {
	cid, eid, err := eventIDs(categoryID, eventID)
	if err != nil {
		return nil, err
	}
	if _, err := s.category(ctx, s.pool, cid); err != nil {
		return nil, err
	}
	return catalogEvent(ctx, s.pool, cid, eid)
}

func catalogEvent(ctx context.Context, q querier, categoryID, eventID uuid.UUID) (*hookflow.CatalogEvent, error) {
	e, err := scanCatalogEvent(q.QueryRow(ctx, selectCatalogEvent()+` FROM webhook_events e JOIN webhook_categories c ON c.id = e.category_id
		WHERE e.id = $1 AND e.category_id = $2 AND e.deleted_at IS NULL`, eventID, categoryID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrCatalogEventNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load event %s: %w", eventID, err)
	}
	return &e, nil
}

// CatalogEvents lists a page of a category's events that are neither
// archived nor deleted, and how many there are.
func (s *CatalogStore) CatalogEvents(ctx context.Context, categoryID string, p hookflow.Page) ([]hookflow.CatalogEvent, int, error) {
	c, err := s.Category(ctx, categoryID)
	if err != nil {
		return nil, 0, err
	}
	const visible = ` WHERE e.category_id = $1 AND e.deleted_at IS NULL AND e.archived_at IS NULL`
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM webhook_events e`+visible, c.ID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count events of %s: %w", categoryID, err)
	}
	rows, err := s.pool.Query(ctx, selectCatalogEvent()+` FROM webhook_events e JOIN webhook_categories c ON c.id = e.category_id`+
		visible+` `+orderBy("e", p)+` OFFSET $2 LIMIT $3`, c.ID, p.Skip, p.Take)
	if err != nil {
		return nil, 0, fmt.Errorf("list events of %s: %w", categoryID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.CatalogEvent, error) { return scanCatalogEvent(row) })
	if err != nil {
		return nil, 0, fmt.Errorf("list events of %s: %w", categoryID, err)
	}
	return out, total, nil
}

// UpdateCatalogEvent replaces an event's editable fields.
func (s *CatalogStore) UpdateCatalogEvent(ctx context.Context, categoryID, eventID string, in hookflow.CatalogEventInput, by string) (*hookflow.CatalogEvent, error) {
	cid, eid, err := eventIDs(categoryID, eventID)
	if err != nil {
		return nil, err
	}
	return inLocked(ctx, s.pool, categoryRef(cid), "SHARE", func(tx pgx.Tx) (*hookflow.CatalogEvent, error) {
		tag, err := tx.Exec(ctx, `UPDATE webhook_events SET code = $3, name = $4, description = $5, version = $6, updated_at = now(), updated_by = $7
			WHERE id = $1 AND category_id = $2 AND deleted_at IS NULL`, eid, cid, in.Code, in.Name, in.Description, in.Version, by)
		if uniqueViolation(err, "webhook_events_code_version_live") {
			return nil, eventConflict(in)
		}
		if err != nil {
			return nil, fmt.Errorf("update event %s: %w", eventID, unstorable(err))
		}
		if tag.RowsAffected() == 0 {
			return nil, hookflow.ErrCatalogEventNotFound
		}
		return catalogEvent(ctx, tx, cid, eid)
	})
}

// CatalogEventLifecycle archives, restores, activates, deactivates or
// deletes an event of a category.
func (s *CatalogStore) CatalogEventLifecycle(ctx context.Context, categoryID, eventID string, action hookflow.LifecycleAction, by string) error {
	cid, eid, err := eventIDs(categoryID, eventID)
	if err != nil {
		return err
	}
	if _, err := s.category(ctx, s.pool, cid); err != nil {
		return err
	}
	return applyLifecycle(ctx, s.pool, eventRef(cid, eid), action, by)
}

// RandomLiveEvent picks one event in use, for an example delivery.
func (s *CatalogStore) RandomLiveEvent(ctx context.Context) (*hookflow.CatalogEvent, error) {
	e, err := scanCatalogEvent(s.pool.QueryRow(ctx, selectCatalogEvent()+` FROM `+liveEvents+` ORDER BY random() LIMIT 1`))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrCatalogEventNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pick an event: %w", err)
	}
	return &e, nil
}
