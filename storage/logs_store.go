package storage

import (
	"context"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// LogStore answers the delivery log searches of the public v2 API.
type LogStore struct {
	pool *pgxpool.Pool
}

// LogQuery builds the delivery log search. Only the filters given become
// conditions, so the planner can use the (tenant, created_at) indexes. The
// count stops after hookflow.MaxLogTotal+1 matches.
func LogQuery(f hookflow.LogFilter) (sql string, countSQL string, args []any) {
	var where []string
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.ClientID != "" {
		where = append(where, "d.client_id = "+arg(f.ClientID))
	}
	if len(f.FacilityIDs) > 0 {
		where = append(where, "d.facility_id = ANY("+arg(f.FacilityIDs)+")")
	}
	if f.Scope.Scoped {
		// A facility webhook's deliveries show only for a facility of the
		// caller's current claim; other kinds belong to no facility.
		where = append(where, "(d.facility_id = ANY("+arg(f.Scope.Facilities)+
			") OR NOT EXISTS (SELECT 1 FROM webhooks fw WHERE fw.id = d.webhook_id AND fw.kind = 'facility'))")
	}
	if f.EventType != "" {
		where = append(where, "d.event_type = "+arg(f.EventType))
	}
	if f.Start != nil {
		where = append(where, "d.created_at >= "+arg(*f.Start))
	}
	if f.End != nil {
		where = append(where, "d.created_at <= "+arg(*f.End))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	countSQL = "SELECT count(*) FROM (SELECT 1 FROM deliveries d" + cond + " LIMIT " + strconv.Itoa(hookflow.MaxLogTotal+1) + ") matches"
	dir := "DESC"
	if f.Ascending {
		dir = "ASC"
	}
	sql = `SELECT ` + deliveryColumns + `, e.payload, e.created_at,
		la.id, la.delivery_id, la.attempt_number, la.retrying_from_id, la.manual, la.url, la.response_status,
		la.response_body, la.error, la.duration_ms, la.success, la.next_retry_at, la.created_at
	FROM (SELECT d.* FROM deliveries d` + cond + ` ORDER BY d.created_at ` + dir + `, d.id ` + dir +
		` LIMIT ` + arg(f.Limit) + ` OFFSET ` + arg(f.Offset) + `) d
	JOIN webhooks w ON w.id = d.webhook_id
	JOIN events e ON e.id = d.event_id
	LEFT JOIN LATERAL (
		SELECT a.id, a.delivery_id, a.attempt_number, a.retrying_from_id, a.manual, a.url, coalesce(a.response_status, 0) AS response_status,
		       coalesce(a.response_body, '') AS response_body, coalesce(a.error, '') AS error, a.duration_ms, a.success, a.next_retry_at, a.created_at
		FROM attempts a WHERE a.delivery_id = d.id ORDER BY a.attempt_number DESC LIMIT 1) la ON true
	ORDER BY d.created_at ` + dir + `, d.id ` + dir
	return sql, countSQL, args
}

// SearchLogs returns one page of deliveries, each with its latest attempt,
// and the number of deliveries matching the filter, at most
// hookflow.MaxLogTotal+1 (more than MaxLogTotal means "at least").
func (s *LogStore) SearchLogs(ctx context.Context, f hookflow.LogFilter) ([]hookflow.LogEntry, int, error) {
	query, countQuery, args := LogQuery(f)
	var total int
	// The count takes the filter's arguments only, without limit and offset.
	if err := s.pool.QueryRow(ctx, countQuery, args[:len(args)-2]...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count delivery logs: %w", err)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("search delivery logs: %w", err)
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.LogEntry, error) {
		var ev hookflow.Event
		var la nullableAttempt
		d, err := scanDelivery(row, append([]any{&ev.Data, &ev.CreatedAt}, la.dest()...)...)
		if err != nil {
			return hookflow.LogEntry{}, err
		}
		ev.ID, ev.EventType = d.EventID, d.EventType
		request, err := ev.Envelope()
		if err != nil {
			return hookflow.LogEntry{}, fmt.Errorf("render request payload: %w", err)
		}
		return hookflow.LogEntry{Delivery: d, Request: request, LastAttempt: la.attempt()}, nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("search delivery logs: %w", err)
	}
	return entries, total, nil
}
