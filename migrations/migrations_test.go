package migrations_test

import (
	"context"
	"testing"

	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/migrations"
)

func TestMigrationsRunTwiceAreANoOp(t *testing.T) {
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "migrations") // migrates once
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx) })

	before, err := migrations.Version(ctx, db.DB.Pool())
	if err != nil {
		t.Fatal(err)
	}
	if before < 1 {
		t.Fatalf("schema version %d after the first run, want at least 1", before)
	}
	if err := migrations.Up(ctx, db.DB.Pool(), testenv.DiscardLogger()); err != nil {
		t.Fatalf("second run: %v", err)
	}
	after, err := migrations.Version(ctx, db.DB.Pool())
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("version moved from %d to %d on a second run", before, after)
	}
	var events, categories int
	if err := db.DB.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM webhook_events), (SELECT count(*) FROM webhook_categories)`).Scan(&events, &categories); err != nil {
		t.Fatal(err)
	}
	// The seeds' 14 events in 2 categories, and the 4 operational events in theirs.
	if events != 18 || categories != 3 {
		t.Errorf("catalog holds %d events in %d categories, want 18 in 3 (seeded once)", events, categories)
	}
}
