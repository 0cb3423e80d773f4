package storage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/storage"
)

func TestLogQueryHasAConditionOnlyPerGivenFilter(t *testing.T) {
	start := time.Now()
	sql, count, args := storage.LogQuery(hookflow.LogFilter{ClientID: "c1", EventType: "shift.created", Start: &start, Limit: 10})
	if len(args) != 5 {
		t.Fatalf("args = %v, want client, event type, start, limit, offset", args)
	}
	for _, want := range []string{"d.client_id = $1", "d.event_type = $2", "d.created_at >= $3", "LIMIT $4 OFFSET $5", "ORDER BY d.created_at DESC"} {
		if !strings.Contains(sql, want) {
			t.Errorf("query lacks %q:\n%s", want, sql)
		}
	}
	if strings.Contains(sql, "facility_id = ANY") {
		t.Errorf("a facility condition without a facility filter:\n%s", sql)
	}
	if !strings.Contains(count, "d.client_id = $1") || !strings.HasSuffix(count, "LIMIT 10001) matches") {
		t.Errorf("count does not stop after MaxLogTotal+1 matches:\n%s", count)
	}
	asc, _, _ := storage.LogQuery(hookflow.LogFilter{Ascending: true, Limit: 1})
	if !strings.Contains(asc, "ORDER BY d.created_at ASC") || strings.Contains(asc, "WHERE d.") {
		t.Errorf("unfiltered ascending query:\n%s", asc)
	}
}

func BenchmarkLogQuery(b *testing.B) {
	start, end := time.Now().Add(-time.Hour), time.Now()
	f := hookflow.LogFilter{ClientID: "c1", FacilityIDs: []string{"P-1", "P-2"}, EventType: "shift.created", Start: &start, End: &end, Limit: 10, Offset: 20}
	b.ReportAllocs()
	for b.Loop() {
		storage.LogQuery(f)
	}
}
