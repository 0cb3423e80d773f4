package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// logHandlers serve the deliveries as seed 004's logs: search, detail
// and manual retry.
type logHandlers struct {
	logs       LogStore
	deliveries DeliveryStore
	catalog    EventCodes
	dispatch   Retrier
	bind       *binder
}

func newLogHandlers(logs LogStore, deliveries DeliveryStore, catalog EventCodes, dispatch Retrier, bind *binder) *logHandlers {
	return &logHandlers{logs: logs, deliveries: deliveries, catalog: catalog, dispatch: dispatch, bind: bind}
}

// logsQuery is the query of seed 004.
type logsQuery struct {
	FacilitiesIDs []string `json:"facilitiesIds" validate:"optional,array,max_items=MaxFacilities,each_string,each_text,each_max_length=MaxIDLength"`
	EventType     string   `json:"eventType" validate:"optional,in"`
	StartDate     string   `json:"startDate" validate:"optional,rfc3339,iso8601"`
	EndDate       string   `json:"endDate" validate:"optional,rfc3339,iso8601"`
	offsetPage
	SortDirection string `json:"sortDirection" validate:"optional,oneof=ASC DESC"`
}

// upperSortDirection takes the seed's prose at its word: 'asc' and 'desc'.
func upperSortDirection(obj map[string]any) {
	if v, ok := obj["sortDirection"].(string); ok {
		obj["sortDirection"] = strings.ToUpper(v)
	}
}

// datesInOrder is the rule over two dates: the start is not after the end.
func datesInOrder(obj map[string]any) []string {
	start, startOK := parseDate(obj["startDate"])
	end, endOK := parseDate(obj["endDate"])
	if startOK && endOK && start.After(*end) {
		return []string{"startDate must be a date before endDate"}
	}
	return nil
}

// logsEnvelope is the search answer; TotalCapped says Total is a lower bound.
type logsEnvelope struct {
	Data        []logEntry `json:"data"`
	Total       int        `json:"total"`
	TotalCapped bool       `json:"totalCapped,omitempty"`
}

// logRecord holds the fields seed 004 gives both a log and its retries.
type logRecord struct {
	ID             string          `json:"id"`
	FacilityID     *string         `json:"facilityId"`
	EventType      string          `json:"eventType"`
	RequestPayload json.RawMessage `json:"requestPayload"`
	ResponseStatus *int            `json:"responseStatus"`
	ResponseBody   *string         `json:"responseBody"`
	URL            string          `json:"url"`
}

type logRetry struct {
	logRecord
	RetryAttempt int `json:"retryAttempt"`
}

type logEntry struct {
	logRecord
	Retries        *logRetry  `json:"retries"`
	Status         string     `json:"status"`
	Error          *string    `json:"error"` // why the latest attempt failed
	WebhookID      string     `json:"webhookId"`
	DeliveryStatus string     `json:"deliveryStatus"`
	Attempts       int        `json:"attempts"`
	NextRetryAt    *time.Time `json:"nextRetryAt"`
	CreatedAt      time.Time  `json:"createdAt"`
}

func optional[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func toLogEntry(e hookflow.LogEntry) logEntry {
	d := e.Delivery
	out := logEntry{
		logRecord: logRecord{ID: d.ID, FacilityID: optional(d.FacilityID), EventType: d.EventType, RequestPayload: e.Request, URL: d.URL},
		WebhookID: d.WebhookID, Status: "failure", DeliveryStatus: string(d.Status),
		Attempts: d.AttemptCount, NextRetryAt: d.NextRetryAt, CreatedAt: d.CreatedAt,
	}
	if d.Status == hookflow.StatusSucceeded {
		out.Status = "success"
	}
	if a := e.LastAttempt; a != nil {
		out.ResponseStatus, out.URL, out.Error = optional(a.ResponseStatus), a.URL, optional(a.Error)
		if a.ResponseStatus != 0 { // no answer at all has no body, not an empty one
			out.ResponseBody = &a.ResponseBody
		}
		retry := out.logRecord
		retry.ID = a.ID
		out.Retries = &logRetry{logRecord: retry, RetryAttempt: a.Number - 1}
	}
	return out
}

// search answers a page of the caller's deliveries, or every client's for
// support.
func (h *logHandlers) search(c *gin.Context) {
	// eventType takes the shift catalog and all, as seed 004 lists.
	allowed, err := allowedEvents(c, h.catalog, hookflow.KindFacility)
	if err != nil {
		fail(c, err)
		return
	}
	q, err := bindQuery[logsQuery](c, h.bind, withBrackets(), preparing(upperSortDirection),
		allowing(fieldValues{"eventType": allowed}), alsoChecking(datesInOrder))
	if err != nil {
		fail(c, err)
		return
	}
	start, _ := parseDate(q.StartDate)
	end, _ := parseDate(q.EndDate)
	page := q.page()
	p := principal(c)
	f := hookflow.LogFilter{
		EventType: q.EventType,
		Start:     start,
		End:       end,
		Limit:     page.Take,
		Offset:    page.Skip,
		Ascending: q.SortDirection == "ASC",
	}
	if q.FacilitiesIDs != nil {
		f.FacilityIDs = dedupe(q.FacilitiesIDs)
	}
	if f.EventType == hookflow.AllEvents {
		f.EventType = ""
	}
	if !p.HasAny(auth.RoleSupport) {
		f.ClientID, f.Scope = p.ClientID, facilityScope(p)
		if err := checkFacilities(p, f.FacilityIDs); err != nil {
			fail(c, err)
			return
		}
	}
	entries, total, err := h.logs.SearchLogs(c, f)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]logEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, toLogEntry(e))
	}
	body := logsEnvelope{Data: out, Total: total}
	if total > hookflow.MaxLogTotal {
		body.Total, body.TotalCapped = hookflow.MaxLogTotal, true
	}
	// Seed 004 documents 201 for this search.
	c.JSON(http.StatusCreated, body)
}

// facilityScope is the part of its client's logs an integrator may read:
// facility webhooks' deliveries only for the facilities of its current
// token, so a facility revoked from the claim is hidden at once.
func facilityScope(p auth.Principal) hookflow.FacilityScope {
	facilities := p.Facilities
	if facilities == nil {
		facilities = []string{}
	}
	return hookflow.FacilityScope{Scoped: true, Facilities: facilities}
}

// mayRead reports whether the caller may read (and retry) a delivery: support
// and admin any, an integrator its client's within its facility scope.
// Anything else is "Webhook log not found", leaking nothing.
func mayRead(p auth.Principal, d hookflow.Delivery) bool {
	if p.HasAny(auth.RoleSupport) {
		return true
	}
	return d.ClientID == p.ClientID && facilityScope(p).Allows(d.WebhookKind, d.FacilityID)
}

// parseDate reads a date the rfc3339 rule passed.
func parseDate(v any) (*time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, false
	}
	return &t, true
}

type attemptResponse struct {
	ID                 string    `json:"id"`
	LogID              string    `json:"logId"`
	RetryAttempt       int       `json:"retryAttempt"`
	URL                string    `json:"url"`
	ResponseStatus     *int      `json:"responseStatus"`
	ResponseBody       string    `json:"responseBody"`
	Error              *string   `json:"error"`
	DurationMs         int64     `json:"durationMs"`
	Success            bool      `json:"success"`
	Manual             bool      `json:"manual"`
	RetryingFromPostID *string   `json:"retryingFromPostId"`
	CreatedAt          time.Time `json:"createdAt"`
	// Request is the exact request the attempt sent: null when not read
	// (a retry's answer) or not recorded (attempts of old releases).
	Request *attemptRequest `json:"request"`
}

// attemptRequest is an attempt's request as sent: its headers (lower-case
// names; the signature, never a secret), its body byte for byte and the
// webhook-timestamp the signature covers.
type attemptRequest struct {
	Headers   map[string]string `json:"headers"`
	Body      string            `json:"body"`
	Timestamp int64             `json:"timestamp"`
}

// toAttemptRequest renders what an attempt sent; the webhook's custom
// headers, sealed at rest as they may hold a credential, only for their
// owner (support reading another client's delivery sees Hookflow's own).
func toAttemptRequest(r *hookflow.SentRequest, owner bool) *attemptRequest {
	if r == nil {
		return nil
	}
	headers := make(map[string]string, len(r.Headers)+len(r.CustomHeaders))
	if owner {
		for k, v := range r.CustomHeaders {
			headers[k] = v
		}
	}
	for k, v := range r.Headers { // Hookflow's own win, as on the wire
		headers[k] = v
	}
	return &attemptRequest{Headers: headers, Body: string(r.Body), Timestamp: r.Timestamp}
}

func toAttemptResponse(a *hookflow.Attempt) attemptResponse {
	return attemptResponse{
		ID: a.ID, LogID: a.DeliveryID, RetryAttempt: a.Number - 1, URL: a.URL, ResponseStatus: optional(a.ResponseStatus),
		ResponseBody: a.ResponseBody, Error: optional(a.Error), DurationMs: a.Duration.Milliseconds(), Success: a.Success,
		Manual: a.Manual, RetryingFromPostID: optional(a.RetryingFromID), CreatedAt: a.CreatedAt,
	}
}

// retryHeaders are the headers a manual retry reads, checked like a body:
// the key becomes part of a Temporal workflow id and an update id.
type retryHeaders struct {
	IdempotencyKey string `json:"Idempotency-Key" validate:"optional,string,max_length=MaxIdempotencyKeyLength,header_safe"`
}

// retry makes a manual attempt of a delivery: its owner or support.
func (h *logHandlers) retry(c *gin.Context) {
	p := principal(c)
	headers, err := bindHeaders[retryHeaders](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	d, err := h.deliveries.Delivery(c, c.Param("logId"))
	if err != nil {
		fail(c, err)
		return
	}
	if !mayRead(p, *d) {
		fail(c, hookflow.ErrLogNotFound)
		return
	}
	attempt, err := h.dispatch.RetryNow(c, d, headers.IdempotencyKey)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, dataEnvelope{Data: toAttemptResponse(attempt)})
}
