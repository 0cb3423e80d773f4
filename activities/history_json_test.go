package activities_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
)

// TestHistoryShapesKeepTheirJSON pins the JSON of every activity input and
// result that workflow histories carry, as the code before the attempt's
// types were renamed wrote it (e1cd321): the Go names may change, these
// bytes may not, or running workflows stop replaying.
func TestHistoryShapesKeepTheirJSON(t *testing.T) {
	d := 90 * time.Second
	at := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	outcome := activities.PostOutcome{URL: "http://r/h", StatusCode: 503, Body: "busy", Error: "receiver answered 503", DurationMs: 12, RetryAfter: 2 * time.Second, FinishedAt: at}
	complete := activities.CompleteInput{DeliveryID: "d-1", AttemptID: "a-1", Kind: hookflow.ManualAttempt, NextDelay: &d, Outcome: outcome}
	recorded := activities.AttemptResult{AttemptID: "a-1", Number: 2, StatusCode: 503, Error: "x", DurationMs: 12, NextRetryAt: &at}
	ended := activities.Ending{Ended: true, Reason: "delivery already succeeded", Status: hookflow.StatusSucceeded, AlreadySettled: true}
	tests := []struct {
		name  string
		value any
		want  string
	}{
		{"the inline attempt's input", activities.AttemptInput{DeliveryID: "d-1", Kind: hookflow.ScheduledAttempt, Key: "run/1", NextDelay: &d},
			`{"DeliveryID":"d-1","Kind":0,"Key":"run/1","NextDelay":90000000000}`},
		{"a manual inline attempt's input", activities.AttemptInput{DeliveryID: "d-1", Kind: hookflow.ManualAttempt, Key: "run/2"},
			`{"DeliveryID":"d-1","Kind":1,"Key":"run/2"}`},
		{"an inline attempt that ends the delivery", activities.AttemptOutput{Ended: &ended},
			`{"Ended":{"AttemptID":"","Ended":true,"Reason":"delivery already succeeded","Status":"succeeded","AlreadySettled":true}}`},
		{"a recorded inline attempt", activities.AttemptOutput{Recorded: &recorded},
			`{"Recorded":{"AttemptID":"a-1","Number":2,"Success":false,"StatusCode":503,"Error":"x","DurationMs":12,"NextRetryAt":"2026-12-05T12:00:00Z","Ended":false,"Reason":""}}`},
		{"an inline attempt left to Complete", activities.AttemptOutput{Unrecorded: &complete},
			`{"Unrecorded":{"DeliveryID":"d-1","AttemptID":"a-1","Kind":1,"NextDelay":90000000000,"Outcome":{"URL":"http://r/h","StatusCode":503,"Body":"busy","Error":"receiver answered 503","DurationMs":12,"RetryAfter":2000000000,"Success":false,"FinishedAt":"2026-12-05T12:00:00Z"}}}`},
		{"Deliver's input", activities.DeliverInput{DeliveryID: "d-1", Kind: hookflow.ScheduledAttempt, NextDelay: &d},
			`{"DeliveryID":"d-1","Kind":0,"NextDelay":90000000000}`},
		{"Deliver's input on the last attempt", activities.DeliverInput{DeliveryID: "d-1"},
			`{"DeliveryID":"d-1","Kind":0,"NextDelay":null}`},
		{"Begin's input", activities.BeginInput{DeliveryID: "d-1", Kind: hookflow.ManualAttempt, Key: "run/3"},
			`{"DeliveryID":"d-1","Kind":1,"Key":"run/3"}`},
		{"Begin's result", activities.BeginResult{AttemptID: "a-1"},
			`{"AttemptID":"a-1","Ended":false,"Reason":"","Status":""}`},
		{"Post's input", activities.PostInput{DeliveryID: "d-1", AttemptID: "a-1"},
			`{"DeliveryID":"d-1","AttemptID":"a-1"}`},
		{"Post's outcome", outcome,
			`{"URL":"http://r/h","StatusCode":503,"Body":"busy","Error":"receiver answered 503","DurationMs":12,"RetryAfter":2000000000,"Success":false,"FinishedAt":"2026-12-05T12:00:00Z"}`},
		{"Complete's input", complete,
			`{"DeliveryID":"d-1","AttemptID":"a-1","Kind":1,"NextDelay":90000000000,"Outcome":{"URL":"http://r/h","StatusCode":503,"Body":"busy","Error":"receiver answered 503","DurationMs":12,"RetryAfter":2000000000,"Success":false,"FinishedAt":"2026-12-05T12:00:00Z"}}`},
		{"an ended one-step attempt", activities.AttemptResult{Ended: true, Reason: "webhook deleted"},
			`{"AttemptID":"","Number":0,"Success":false,"StatusCode":0,"Error":"","DurationMs":0,"NextRetryAt":null,"Ended":true,"Reason":"webhook deleted"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.value)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, b, tt.want)
		}
	}
}
