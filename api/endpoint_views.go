package api

import (
	"time"

	"github.com/hookflow/hookflow"
)

// The answers of the endpoint routes, the same on both surfaces.

type endpointHealthView struct {
	WebhookID           string              `json:"webhookId"`
	State               string              `json:"state"`
	ConsecutiveFailures int                 `json:"consecutiveFailures"`
	FailingSince        *time.Time          `json:"failingSince"`
	OpenedAt            *time.Time          `json:"openedAt"`
	NextProbeAt         *time.Time          `json:"nextProbeAt"`
	DisabledAt          *time.Time          `json:"disabledAt"`
	DisabledReason      *string             `json:"disabledReason"`
	LastSuccessAt       *time.Time          `json:"lastSuccessAt"`
	LastFailureAt       *time.Time          `json:"lastFailureAt"`
	RateLimit           *int                `json:"rateLimit"`
	Stats               endpointStatsPeriod `json:"stats"`
	Changes             []endpointChange    `json:"changes"`
	// Recovery is the recover an enable started, when it asked for one.
	Recovery *recoveryView `json:"recovery,omitempty"`
}

type endpointStatsPeriod struct {
	LastHour endpointStatsView `json:"lastHour"`
	LastDay  endpointStatsView `json:"lastDay"`
}

type endpointStatsView struct {
	Attempts    int            `json:"attempts"`
	Succeeded   int            `json:"succeeded"`
	Failed      int            `json:"failed"`
	SuccessRate *float64       `json:"successRate"`
	ByResult    attemptResults `json:"byResult"`
}

type attemptResults struct {
	Status2xx int `json:"2xx"`
	Status3xx int `json:"3xx"`
	Status4xx int `json:"4xx"`
	Status5xx int `json:"5xx"`
	Timeout   int `json:"timeout"`
	Error     int `json:"error"`
}

type endpointChange struct {
	Kind      string    `json:"kind"`
	Threshold *int      `json:"threshold"`
	Reason    *string   `json:"reason"`
	Actor     string    `json:"actor"`
	CreatedAt time.Time `json:"createdAt"`
}

type recoveryView struct {
	ID            string     `json:"id"`
	State         string     `json:"state"`
	Found         int        `json:"found"`
	Redriven      int        `json:"redriven"`
	Woken         int        `json:"woken"`
	Skipped       int        `json:"skipped"`
	Errors        int        `json:"errors"`
	Since         time.Time  `json:"since"`
	Until         time.Time  `json:"until"`
	EventType     *string    `json:"eventType"`
	Status        *string    `json:"status"`
	FailureReason *string    `json:"failureReason"`
	CreatedAt     time.Time  `json:"createdAt"`
	CompletedAt   *time.Time `json:"completedAt"`
}

func toStatsView(s hookflow.EndpointStats) endpointStatsView {
	return endpointStatsView{Attempts: s.Attempts, Succeeded: s.Succeeded, Failed: s.Failed, SuccessRate: s.SuccessRate(),
		ByResult: attemptResults{Status2xx: s.Status2xx, Status3xx: s.Status3xx, Status4xx: s.Status4xx, Status5xx: s.Status5xx,
			Timeout: s.Timeout, Error: s.Error}}
}

func toEndpointHealthView(r *hookflow.EndpointReport) endpointHealthView {
	h := r.Health
	v := endpointHealthView{
		WebhookID: h.WebhookID, State: string(h.State), ConsecutiveFailures: h.ConsecutiveFailures,
		FailingSince: utc(h.FailingSince), OpenedAt: utc(h.OpenedAt), NextProbeAt: utc(h.ProbeAt), DisabledAt: utc(h.DisabledAt),
		DisabledReason: optional(h.DisabledReason), LastSuccessAt: utc(h.LastSuccessAt), LastFailureAt: utc(h.LastFailureAt),
		RateLimit: r.RateLimit,
		Stats:     endpointStatsPeriod{LastHour: toStatsView(r.LastHour), LastDay: toStatsView(r.LastDay)},
		Changes:   make([]endpointChange, 0, len(r.Changes)),
	}
	for _, c := range r.Changes {
		v.Changes = append(v.Changes, endpointChange{Kind: string(c.Kind), Threshold: optional(c.Threshold), Reason: optional(c.Reason),
			Actor: c.Actor, CreatedAt: c.CreatedAt.UTC()})
	}
	return v
}

func toRecoveryView(r *hookflow.Recovery) recoveryView {
	return recoveryView{
		ID: r.ID, State: string(r.State), Found: r.Found, Redriven: r.Redriven, Woken: r.Woken, Skipped: r.Skipped, Errors: r.Errors,
		Since: r.Since.UTC(), Until: r.Until.UTC(), EventType: optional(r.EventType), Status: optional(string(r.Status)),
		FailureReason: optional(r.FailureReason), CreatedAt: r.CreatedAt.UTC(), CompletedAt: utc(r.CompletedAt),
	}
}
