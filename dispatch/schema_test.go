package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/hookflow/hookflow"
)

// A publish or a post whose data fails its event's schema is a 400 listing
// each failure by path, and stores nothing.
func TestDataFailingTheSchemaIsRefusedBeforeAnythingIsStored(t *testing.T) {
	f := &fakeStores{schema: json.RawMessage(`{"type":"object","properties":{"shiftId":{"type":"string"}},"required":["shiftId"]}`), revision: 1}
	d := newUnreachable(f)
	_, err := d.Publish(context.Background(), &hookflow.Event{EventType: "shift.created", Data: json.RawMessage(`{"shiftId":7}`)})
	var herr *hookflow.Error
	if !errors.As(err, &herr) || herr.Code != hookflow.EINVALID || !slices.Equal(herr.Details, []string{"data/shiftId: got number, want string"}) {
		t.Fatalf("publish: %#v", err)
	}
	if _, err := d.PostActivity(context.Background(), hookflow.ActivityPost{Event: hookflow.CatalogEventRef{ID: "event-1"}, Data: json.RawMessage(`{}`)}); hookflow.ErrorCodeOf(err) != hookflow.EINVALID {
		t.Fatalf("post: %v", err)
	}
	if f.published != 0 {
		t.Fatalf("%d events stored", f.published)
	}
}

// A schema is compiled once per revision: the next publish uses the cached
// one, a changed schema (new revision) is loaded and applies at once.
func TestCompiledSchemasAreCachedByRevision(t *testing.T) {
	f := &fakeStores{schema: json.RawMessage(`{"required":["a"]}`), revision: 1}
	d := newUnreachable(f)
	check := func(data string) error {
		ref, _ := f.LiveEventSchemaRef(context.Background(), "shift.created")
		return d.checkData(context.Background(), ref, json.RawMessage(data))
	}
	for range 3 {
		if err := check(`{"a":1}`); err != nil {
			t.Fatal(err)
		}
	}
	if f.schemaLoads != 1 || d.schemas.Len() != 1 {
		t.Fatalf("loaded %d times, cached %d", f.schemaLoads, d.schemas.Len())
	}
	f.schema, f.revision = json.RawMessage(`{"required":["b"]}`), 2
	if err := check(`{"a":1}`); hookflow.ErrorCodeOf(err) != hookflow.EINVALID {
		t.Fatalf("the changed schema did not apply: %v", err)
	}
	if f.schemaLoads != 2 || d.schemas.Len() != 1 {
		t.Fatalf("loaded %d times, cached %d", f.schemaLoads, d.schemas.Len())
	}
	f.schema = nil
	if err := check(`{"a":1}`); err != nil {
		t.Fatalf("without a schema any object passes: %v", err)
	}
}
