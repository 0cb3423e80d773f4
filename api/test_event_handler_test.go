package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
)

// A test event goes to its one webhook only, with the catalog's sample as
// its data, and shows in the owner's log under the logId answered.
func TestSendTestEventMakesOneDeliveryToThatWebhookOnly(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	w := createWebhook(t, h, facilityPath, tok, map[string]any{"url": "https://example.com/tested", "facilities": []string{"P-1"}, "events": []string{"shift.created", "shift.cancelled"}})
	createWebhook(t, h, facilityPath, tok, map[string]any{"url": "https://example.com/bystander", "facilities": []string{"P-1"}, "events": []string{"all"}})

	r := h.do(http.MethodPost, facilityPath+"/"+w["id"].(string)+"/test", tok, nil) // no body: the first event type
	if r.status != http.StatusAccepted {
		t.Fatalf("POST .../test = %d %s", r.status, r.raw)
	}
	d := r.data(t)
	eventID, logID := d["eventId"].(string), d["logId"].(string)
	if !strings.HasPrefix(eventID, "test-") || logID == "" {
		t.Fatalf("answer %s: want a test- event id and a log id", r.raw)
	}
	log := h.do(http.MethodGet, "/api/v2/public/webhooks/logs/"+logID, tok, nil)
	if log.status != http.StatusOK {
		t.Fatalf("GET the test's log = %d %s", log.status, log.raw)
	}
	entry := log.data(t)
	if entry["eventType"] != "shift.created" || entry["webhookId"] != w["id"] || entry["facilityId"] != "P-1" {
		t.Errorf("the test's log entry is %s", log.raw)
	}
	var envelope struct {
		ID   string          `json:"id"`
		Data json.RawMessage `json:"data"`
	}
	raw, _ := json.Marshal(entry["requestPayload"]) // the envelope, as an object
	if err := json.Unmarshal(raw, &envelope); err != nil {
		t.Fatalf("requestPayload %s: %v", raw, err)
	}
	sample, err := testDB.Stores.SamplePayloads.SampleData(context.Background(), "shift.created")
	if err != nil {
		t.Fatal(err)
	}
	want := "{}"
	if sample != nil {
		want = compact(t, sample)
	}
	if envelope.ID != eventID || compact(t, envelope.Data) != want {
		t.Errorf("the test event sends id %q data %s, want %q and %s", envelope.ID, envelope.Data, eventID, want)
	}
	// Exactly one delivery: the bystander subscribed to everything got none.
	search := h.do(http.MethodGet, "/api/v2/public/webhooks/logs", tok, nil)
	if got := len(search.body["data"].([]any)); got != 1 {
		t.Errorf("the client has %d deliveries after one test event, want 1: %s", got, search.raw)
	}
}

func TestSendTestEventRefusals(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	other, _ := integrator(t, "P-1")
	w := createWebhook(t, h, userPath, tok, map[string]any{"url": "https://example.com/u", "events": []string{"facility.creation.accepted"}})
	path := userPath + "/" + w["id"].(string) + "/test"
	expectJSON(t, h.do(http.MethodPost, path, tok, map[string]any{"eventType": "shift.created"}), http.StatusBadRequest,
		`{"message":["eventType must be one this webhook subscribes to: facility.creation.accepted"],"error":"Bad Request","statusCode":400}`)
	expectJSON(t, h.do(http.MethodPost, path, tok, map[string]any{"eventType": 7, "extra": true}), http.StatusBadRequest,
		`{"message":["eventType must be a string","property extra should not exist"],"error":"Bad Request","statusCode":400}`)
	notFound := `{"message":"Webhook not found","error":"Not Found","statusCode":404}`
	expectJSON(t, h.do(http.MethodPost, path, other, nil), http.StatusNotFound, notFound)
	// The facility route does not reach a user webhook.
	expectJSON(t, h.do(http.MethodPost, facilityPath+"/"+w["id"].(string)+"/test", tok, nil), http.StatusNotFound, notFound)
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// The catalog's sample payload is the test event's data; "all" lets the
// webhook be tested with any live event of its category.
func TestSendTestEventUsesTheCatalogsSamplePayload(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	code := "facility.sampled." + strings.ToLower(testenv.RandomID(4))
	cats, _, err := testDB.Stores.Catalog.Categories(ctx, hookflow.Page{Take: 100})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(cats, func(c hookflow.Category) bool { return c.Code == "facility" })
	if i < 0 {
		t.Fatal("no facility category in the catalog")
	}
	ev, err := testDB.Stores.Catalog.CreateCatalogEvent(ctx, cats[i].ID, hookflow.CatalogEventInput{Code: code, Name: "Sampled", Version: "v1"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = testDB.Stores.Catalog.CatalogEventLifecycle(context.Background(), cats[i].ID, ev.ID, hookflow.ActionDelete, "test")
	})
	if _, err := testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, ev.ID, "v1", json.RawMessage(`{"sample": true, "n": 7}`), nil, "test"); err != nil {
		t.Fatal(err)
	}
	tok, _ := integrator(t)
	w := createWebhook(t, h, userPath, tok, map[string]any{"url": "https://example.com/all", "events": []string{"all"}})
	r := h.do(http.MethodPost, userPath+"/"+w["id"].(string)+"/test", tok, map[string]any{"eventType": code})
	if r.status != http.StatusAccepted {
		t.Fatalf("POST .../test = %d %s", r.status, r.raw)
	}
	entry := h.do(http.MethodGet, "/api/v2/public/webhooks/logs/"+r.data(t)["logId"].(string), tok, nil).data(t)
	raw, _ := json.Marshal(entry["requestPayload"])
	var envelope struct {
		EventType string          `json:"eventType"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &envelope); err != nil {
		t.Fatal(err)
	}
	if envelope.EventType != code || compact(t, envelope.Data) != `{"n":7,"sample":true}` {
		t.Errorf("the test event sent %s, want %s with the sample's data", raw, code)
	}
}
