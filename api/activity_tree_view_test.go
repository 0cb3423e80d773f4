package api

import (
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

func TestActivityTreeViewNestsByRetryingFromAndFlattensInTimeOrder(t *testing.T) {
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	post := func(id, parent string, level, minute int) hookflow.Activity {
		return hookflow.Activity{ID: id, RetryingFromID: parent, Level: level, CreatedAt: at.Add(time.Duration(minute) * time.Minute)}
	}
	// root <- a <- c, root <- b (a read answers the root first, then time order).
	tree := []hookflow.Activity{post("root", "", 1, 0), post("a", "root", 2, 1), post("b", "root", 2, 2), post("c", "a", 3, 3)}

	nested := activityTreeView(tree, true)
	if nested.ID != "root" || len(nested.ChildPostHistory) != 2 {
		t.Fatalf("nested root = %+v", nested)
	}
	a, b := nested.ChildPostHistory[0], nested.ChildPostHistory[1]
	if a.ID != "a" || b.ID != "b" || len(a.ChildPostHistory) != 1 || a.ChildPostHistory[0].ID != "c" ||
		a.ChildPostHistory[0].Level != 3 || b.ChildPostHistory == nil || len(b.ChildPostHistory) != 0 {
		t.Errorf("nested children = %+v", nested.ChildPostHistory)
	}

	flat := activityTreeView(tree, false)
	var ids []string
	for _, child := range flat.ChildPostHistory {
		ids = append(ids, child.ID)
		if child.ChildPostHistory == nil || len(child.ChildPostHistory) != 0 {
			t.Errorf("flat entry %s has children %v", child.ID, child.ChildPostHistory)
		}
	}
	if flat.ID != "root" || len(ids) != 3 || ids[0] != "a" || ids[1] != "b" || ids[2] != "c" {
		t.Errorf("flat = %s %v, want root with a, b, c", flat.ID, ids)
	}
}

// A page of a tree: a descendant whose parent is on another page sits
// under the root with its own level; a payload left out is null.
func TestActivityTreeViewOfAPagePlacesOrphansUnderTheRootAndNullsOmittedPayloads(t *testing.T) {
	post := func(id, parent string, level int) hookflow.Activity {
		return hookflow.Activity{ID: id, RetryingFromID: parent, Level: level, Payload: "{}"}
	}
	// The page holds b (child of a, on an earlier page), c under b, d under the root.
	omitted := post("d", "root", 2)
	omitted.PayloadOmitted, omitted.Payload = true, ""
	tree := []hookflow.Activity{post("root", "", 1), post("b", "a", 3), post("c", "b", 4), omitted}
	nested := activityTreeView(tree, true)
	if len(nested.ChildPostHistory) != 2 {
		t.Fatalf("root children = %+v", nested.ChildPostHistory)
	}
	b, d := nested.ChildPostHistory[0], nested.ChildPostHistory[1]
	if b.ID != "b" || b.Level != 3 || len(b.ChildPostHistory) != 1 || b.ChildPostHistory[0].ID != "c" || d.ID != "d" {
		t.Errorf("nested page = %+v", nested.ChildPostHistory)
	}
	if d.Payload != nil || b.Payload == nil || *b.Payload != "{}" {
		t.Errorf("payloads: omitted %v, kept %v; want null and {}", d.Payload, b.Payload)
	}
}
