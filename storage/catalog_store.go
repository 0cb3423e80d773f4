package storage

import (
	"context"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// CatalogStore keeps the event catalog: categories, their events and the codes webhooks subscribe to.
type CatalogStore struct {
	pool *pgxpool.Pool
}

// The event catalog: categories (this file), their events
// (catalog_events_store.go), sample payloads and seed-data versions
// (sample_payloads_store.go). Everything that decides what may be subscribed
// to, published and delivered reads the catalog as it is now (liveEvents),
// with no cache, so a change applies to every API process at once.

// liveEvents selects the events in use: active, unarchived and not deleted,
// in an active, unarchived, not deleted category.
const liveEvents = `webhook_events e JOIN webhook_categories c ON c.id = e.category_id
	WHERE e.active AND e.archived_at IS NULL AND e.deleted_at IS NULL
	  AND c.active AND c.archived_at IS NULL AND c.deleted_at IS NULL`

// CatalogEventCodes lists the live event codes of a category in creation
// (seed) order.
func (s *CatalogStore) CatalogEventCodes(ctx context.Context, category string) ([]string, error) {
	return s.eventCodes(ctx, `SELECT e.code FROM `+liveEvents+` AND c.code = $1
		GROUP BY e.code ORDER BY min(e.created_at), min(e.position)`, category)
}

// AllEventCodes lists every live event code, category by category, each in
// creation (seed) order.
func (s *CatalogStore) AllEventCodes(ctx context.Context) ([]string, error) {
	return s.eventCodes(ctx, `SELECT e.code FROM `+liveEvents+`
		GROUP BY e.code ORDER BY min(c.created_at), min(c.position), min(e.created_at), min(e.position)`)
}

func (s *CatalogStore) eventCodes(ctx context.Context, sql string, args ...any) ([]string, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list catalog events: %w", err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list catalog events: %w", err)
	}
	return codes, nil
}

// EventCategory returns the category code of a live event type, or EINVALID
// when the catalog has no such event in use.
func (s *CatalogStore) EventCategory(ctx context.Context, eventType string) (string, error) {
	var category string
	err := s.pool.QueryRow(ctx, `SELECT c.code FROM `+liveEvents+` AND e.code = $1 LIMIT 1`, eventType).Scan(&category)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", hookflow.Errorf(hookflow.EINVALID, "unknown event type %s", eventType)
	}
	if err != nil {
		return "", fmt.Errorf("look up event type %s: %w", eventType, err)
	}
	return category, nil
}

const categoryColumns = `c.id, c.code, c.name, c.description, `

func scanCategory(row pgx.Row) (hookflow.Category, error) {
	var c hookflow.Category
	var id uuid.UUID
	dest := append(append([]any{&id, &c.Code, &c.Name, &c.Description}, auditDest(&c.Audit)...), lifecycleDest(&c.Lifecycle)...)
	if err := row.Scan(dest...); err != nil {
		return c, err
	}
	c.ID = id.String()
	return c, nil
}

func selectCategory() string {
	return `SELECT ` + categoryColumns + auditColumns("c") + `, ` + lifecycleColumns("c") + ` FROM webhook_categories c`
}

func categoryRef(id uuid.UUID) entityRef {
	return entityRef{table: "webhook_categories", id: id, notFound: hookflow.ErrCategoryNotFound}
}

// parseID reads an id from a path; anything but a UUID is notFound.
func parseID(id string, notFound error) (uuid.UUID, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return uuid.Nil, notFound
	}
	return uid, nil
}

// CreateCategory stores a new category; its code must be free.
func (s *CatalogStore) CreateCategory(ctx context.Context, in hookflow.CategoryInput, by string) (*hookflow.Category, error) {
	var id uuid.UUID
	err := s.pool.QueryRow(ctx, `
		INSERT INTO webhook_categories (code, name, description, position, created_by, updated_by)
		VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM webhook_categories), $4, $4)
		RETURNING id`, in.Code, in.Name, in.Description, by).Scan(&id)
	if uniqueViolation(err, "webhook_categories_code_live") {
		return nil, hookflow.Errorf(hookflow.ECONFLICT, "Webhook category with code %s already exists", in.Code)
	}
	if err != nil {
		return nil, fmt.Errorf("insert category %s: %w", in.Code, unstorable(err))
	}
	return s.category(ctx, s.pool, id)
}

// Category loads a category that is not deleted, archived or not.
func (s *CatalogStore) Category(ctx context.Context, id string) (*hookflow.Category, error) {
	uid, err := parseID(id, hookflow.ErrCategoryNotFound)
	if err != nil {
		return nil, err
	}
	return s.category(ctx, s.pool, uid)
}

func (s *CatalogStore) category(ctx context.Context, q querier, id uuid.UUID) (*hookflow.Category, error) {
	c, err := scanCategory(q.QueryRow(ctx, selectCategory()+` WHERE c.id = $1 AND c.deleted_at IS NULL`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrCategoryNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load category %s: %w", id, err)
	}
	return &c, nil
}

// Categories lists a page of the categories that are neither archived nor
// deleted, and how many there are.
func (s *CatalogStore) Categories(ctx context.Context, p hookflow.Page) ([]hookflow.Category, int, error) {
	const visible = ` WHERE c.deleted_at IS NULL AND c.archived_at IS NULL`
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM webhook_categories c`+visible).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count categories: %w", err)
	}
	rows, err := s.pool.Query(ctx, selectCategory()+visible+` `+orderBy("c", p)+` OFFSET $1 LIMIT $2`, p.Skip, p.Take)
	if err != nil {
		return nil, 0, fmt.Errorf("list categories: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Category, error) { return scanCategory(row) })
	if err != nil {
		return nil, 0, fmt.Errorf("list categories: %w", err)
	}
	return out, total, nil
}

// UpdateCategory replaces a category's editable fields. Its code may change
// only while it has no events, whose codes it prefixes.
func (s *CatalogStore) UpdateCategory(ctx context.Context, id string, in hookflow.CategoryInput, by string) (*hookflow.Category, error) {
	uid, err := parseID(id, hookflow.ErrCategoryNotFound)
	if err != nil {
		return nil, err
	}
	return inLocked(ctx, s.pool, categoryRef(uid), "UPDATE", func(tx pgx.Tx) (*hookflow.Category, error) {
		var codeChanges, hasEvents bool
		err := tx.QueryRow(ctx, `SELECT code <> $2, EXISTS (SELECT 1 FROM webhook_events WHERE category_id = $1 AND deleted_at IS NULL)
			FROM webhook_categories WHERE id = $1`, uid, in.Code).Scan(&codeChanges, &hasEvents)
		if err != nil {
			return nil, fmt.Errorf("check category %s: %w", id, err)
		}
		if codeChanges && hasEvents {
			return nil, hookflow.ErrCategoryCodeInUse
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_categories SET code = $2, name = $3, description = $4, updated_at = now(), updated_by = $5
			WHERE id = $1`, uid, in.Code, in.Name, in.Description, by)
		if uniqueViolation(err, "webhook_categories_code_live") {
			return nil, hookflow.Errorf(hookflow.ECONFLICT, "Webhook category with code %s already exists", in.Code)
		}
		if err != nil {
			return nil, fmt.Errorf("update category %s: %w", id, unstorable(err))
		}
		return s.category(ctx, tx, uid)
	})
}

// CategoryLifecycle archives, restores, activates, deactivates or deletes a
// category. A category with events that are not deleted cannot be deleted.
func (s *CatalogStore) CategoryLifecycle(ctx context.Context, id string, action hookflow.LifecycleAction, by string) error {
	uid, err := parseID(id, hookflow.ErrCategoryNotFound)
	if err != nil {
		return err
	}
	ref := categoryRef(uid)
	if action != hookflow.ActionDelete {
		return applyLifecycle(ctx, s.pool, ref, action, by)
	}
	// The lock orders this against an event being added (which shares it).
	_, err = inLocked(ctx, s.pool, ref, "UPDATE", func(tx pgx.Tx) (struct{}, error) {
		var hasEvents bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_events WHERE category_id = $1 AND deleted_at IS NULL)`, uid).Scan(&hasEvents); err != nil {
			return struct{}{}, fmt.Errorf("check events of category %s: %w", id, err)
		}
		if hasEvents {
			return struct{}{}, hookflow.ErrCategoryHasEvents
		}
		return struct{}{}, applyLifecycle(ctx, tx, ref, action, by)
	})
	return err
}

// CatalogVersions lists the versions of the events in use, in order, for
// the versions a subscription may take.
func (s *CatalogStore) CatalogVersions(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT e.version FROM `+liveEvents+` ORDER BY e.version`)
	if err != nil {
		return nil, fmt.Errorf("list catalog versions: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list catalog versions: %w", err)
	}
	return versions, nil
}
