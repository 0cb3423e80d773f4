package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// loadAttempts fills the database with `attempts` attempt rows (four per
// delivery), half of them another tenant's, spread over 14 days, with SQL
// generators rather than the API.
func loadAttempts(ctx context.Context, s *stack, attempts int) error {
	deliveries := attempts / 4
	stmts := []string{
		`INSERT INTO webhooks (id, kind, client_id, url, events, facilities)
		 SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'facility',
		        CASE WHEN g % 2 = 0 THEN 'bench-client' ELSE 'other-client' END,
		        'https://example.com/w/' || g, '{all}', ARRAY['F-' || (g % 10)]
		 FROM generate_series(0, 19) g`,
		fmt.Sprintf(`INSERT INTO events (id, event_type, facility_id, payload, created_at)
		 SELECT 'bulk-' || g, (ARRAY['shift.created','shift.cancelled','shift.scheduled','shift.report.created'])[1 + g %% 4],
		        'F-' || (g %% 10), '{"shiftId":"s","role":"RN"}', now() - make_interval(secs => g * 1209600.0 / %[1]d)
		 FROM generate_series(1, %[1]d) g`, deliveries),
		fmt.Sprintf(`INSERT INTO deliveries (id, event_id, webhook_id, event_type, facility_id, client_id, url, status, attempt_count, created_at)
		 SELECT gen_random_uuid(), e.id, ('00000000-0000-0000-0000-' || lpad((g %% 20)::text, 12, '0'))::uuid, e.event_type, e.facility_id,
		        CASE WHEN g %% 2 = 0 THEN 'bench-client' ELSE 'other-client' END, 'https://example.com/w/' || (g %% 20),
		        'succeeded', 4, e.created_at
		 FROM generate_series(1, %d) g JOIN events e ON e.id = 'bulk-' || g`, deliveries),
		`INSERT INTO attempts (id, delivery_id, attempt_number, url, response_status, response_body, duration_ms, success, created_at)
		 SELECT gen_random_uuid(), d.id, n, d.url, CASE WHEN n = 4 THEN 200 ELSE 500 END, '{"ok":' || (n = 4) || '}', 12, n = 4,
		        d.created_at + make_interval(secs => n * 60)
		 FROM deliveries d CROSS JOIN generate_series(1, 4) n WHERE d.event_id LIKE 'bulk-%'`,
		`VACUUM ANALYZE deliveries`, // what autovacuum does after a load; lets counts use index-only scans
		`VACUUM ANALYZE attempts`,
		`VACUUM ANALYZE events`,
	}
	for _, q := range stmts {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			return fmt.Errorf("bulk load: %w", err)
		}
	}
	return nil
}

// logSearch times the log search API over common filters.
func (r *runner) logSearch(ctx context.Context, s *stack) (*result, error) {
	start := time.Now()
	if err := loadAttempts(ctx, s, r.cfg.logAttempts); err != nil {
		return nil, err
	}
	loaded := time.Since(start)
	day := func(d int) string {
		return url.QueryEscape(time.Now().Add(-time.Duration(d) * 24 * time.Hour).UTC().Format(time.RFC3339))
	}
	queries := []string{
		"",
		"limit=100",
		"eventType=shift.created",
		"facilitiesIds=F-2",
		"facilitiesIds=F-2&facilitiesIds=F-4&eventType=shift.cancelled",
		"startDate=" + day(3) + "&endDate=" + day(2),
		"sortDirection=ASC&limit=50",
		"offset=1000",
	}
	res := &result{Name: "log search", Notes: fmt.Sprintf("%d attempts loaded in %s; %d queries x %d rounds", r.cfg.logAttempts, loaded.Round(time.Second), len(queries), r.cfg.searchRounds)}
	for round := range r.cfg.searchRounds {
		for _, q := range queries {
			t0 := time.Now()
			if _, err := s.call(ctx, http.MethodGet, "/api/v2/public/webhooks/logs?"+q, nil, http.StatusCreated); err != nil {
				return nil, err
			}
			if round > 0 { // the first round warms caches
				res.latencies = append(res.latencies, time.Since(t0))
			}
		}
	}
	res.LatencyMs = latencySummary(res.latencies)
	res.Deliveries = len(res.latencies)
	return res, nil
}
