package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookflow/hookflow"
)

// The lifecycle of categories, events and subscriptions lives in the same
// columns of their tables (active, active_changed_at/by, archived_at/by,
// deleted_at/by), so one statement per action serves them all.

// querier is a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// lifecycleSet is each action's SET clause; @by is the subject acting.
// Repeating an action changes nothing: the first time and subject stay.
var lifecycleSet = map[hookflow.LifecycleAction]string{
	hookflow.ActionArchive: `archived_at = coalesce(archived_at, now()),
		archived_by = CASE WHEN archived_at IS NULL THEN @by ELSE archived_by END`,
	hookflow.ActionRestore: `archived_at = NULL, archived_by = NULL`,
	hookflow.ActionActivate: `active = true,
		active_changed_at = CASE WHEN active THEN active_changed_at ELSE now() END,
		active_changed_by = CASE WHEN active THEN active_changed_by ELSE @by END`,
	hookflow.ActionDeactivate: `active = false,
		active_changed_at = CASE WHEN active THEN now() ELSE active_changed_at END,
		active_changed_by = CASE WHEN active THEN @by ELSE active_changed_by END`,
	hookflow.ActionDelete: `deleted_at = now(), deleted_by = @by`,
}

// scoped is one more condition a row must meet, such as its parent's id.
type scoped struct {
	column string
	value  any
}

// entityRef names one row of a table with lifecycle columns. A row outside
// its scope, or deleted, is notFound.
type entityRef struct {
	table    string
	id       any
	scope    []scoped
	notFound error
}

// where is the row's condition over named arguments, which it adds to args.
func (r entityRef) where(args pgx.NamedArgs) string {
	var b strings.Builder
	b.WriteString("id = @id AND deleted_at IS NULL")
	args["id"] = r.id
	for i, s := range r.scope {
		name := "scope" + strconv.Itoa(i)
		b.WriteString(" AND " + pgx.Identifier{s.column}.Sanitize() + " = @" + name)
		args[name] = s.value
	}
	return b.String()
}

// applyLifecycle moves one entity's lifecycle; by is the token's subject.
func applyLifecycle(ctx context.Context, q querier, ref entityRef, action hookflow.LifecycleAction, by string) error {
	set, ok := lifecycleSet[action]
	if !ok {
		return fmt.Errorf("unknown lifecycle action %q", action)
	}
	args := pgx.NamedArgs{"by": by}
	sql := `UPDATE ` + pgx.Identifier{ref.table}.Sanitize() + ` SET ` + set + ` WHERE ` + ref.where(args)
	tag, err := q.Exec(ctx, sql, args)
	if err != nil {
		return fmt.Errorf("%s %s %v: %w", action, ref.table, ref.id, err)
	}
	if tag.RowsAffected() == 0 {
		return ref.notFound
	}
	return nil
}

// lockLive locks an entity's row for the rest of tx (mode "UPDATE" or
// "SHARE"), failing with notFound when it is deleted or out of scope.
func lockLive(ctx context.Context, tx pgx.Tx, ref entityRef, mode string) error {
	args := pgx.NamedArgs{}
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM `+pgx.Identifier{ref.table}.Sanitize()+` WHERE `+ref.where(args)+` FOR `+mode, args).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return ref.notFound
	}
	if err != nil {
		return fmt.Errorf("lock %s %v: %w", ref.table, ref.id, err)
	}
	return nil
}

// inLocked runs fn in a transaction that first locks ref's row (mode
// "UPDATE" or "SHARE"), so that what fn checks stays true until it commits.
func inLocked[T any](ctx context.Context, pool *pgxpool.Pool, ref entityRef, mode string, fn func(tx pgx.Tx) (T, error)) (T, error) {
	var out T
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := lockLive(ctx, tx, ref, mode); err != nil {
			return err
		}
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

// lifecycleColumns reads an entity's lifecycle, in lifecycleDest's order.
func lifecycleColumns(alias string) string {
	return fmt.Sprintf("%[1]s.active, %[1]s.active_changed_at, coalesce(%[1]s.active_changed_by, ''), %[1]s.archived_at, coalesce(%[1]s.archived_by, '')", alias)
}

func lifecycleDest(l *hookflow.Lifecycle) []any {
	return []any{&l.Active, &l.ActiveChangedAt, &l.ActiveChangedBy, &l.ArchivedAt, &l.ArchivedBy}
}

// auditColumns reads an entity's audit info, in auditDest's order.
func auditColumns(alias string) string {
	return fmt.Sprintf("%[1]s.created_at, coalesce(%[1]s.created_by, ''), %[1]s.updated_at, coalesce(%[1]s.updated_by, '')", alias)
}

func auditDest(a *hookflow.AuditInfo) []any {
	return []any{&a.CreatedAt, &a.CreatedBy, &a.UpdatedAt, &a.UpdatedBy}
}

// uniqueViolation reports whether err broke the named unique index.
func uniqueViolation(err error, index string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == index
}

// orderBy is the list order by creation time; position keeps seeded rows,
// created in one instant, in the seeds' order.
func orderBy(alias string, p hookflow.Page) string {
	dir := "ASC"
	if p.Descending {
		dir = "DESC"
	}
	return fmt.Sprintf("ORDER BY %[1]s.created_at %[2]s, %[1]s.position %[2]s, %[1]s.id %[2]s", alias, dir)
}
