package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// LogStore searches deliveries.
type LogStore interface {
	SearchLogs(ctx context.Context, f hookflow.LogFilter) ([]hookflow.LogEntry, int, error)
	Delivery(ctx context.Context, id string) (*hookflow.Delivery, error)
	LogEntry(ctx context.Context, id string) (*hookflow.LogEntry, error)
	Attempts(ctx context.Context, deliveryID string) ([]*hookflow.Attempt, error)
}

// logsQuery is the query of seed 004.
type logsQuery struct {
	FacilitiesIDs any `json:"facilitiesIds" validate:"optional,array,max_items=MaxFacilities,each_string,each_text,each_max_length=MaxIDLength"`
	EventType     any `json:"eventType" validate:"optional,in"`
	StartDate     any `json:"startDate" validate:"optional,rfc3339,iso8601"`
	EndDate       any `json:"endDate" validate:"optional,rfc3339,iso8601"`
	pageQuery
	SortDirection any `json:"sortDirection" validate:"optional,oneof=ASC DESC"`
}

// pageQuery is the limit/offset pagination of seed 004; listings embed it
// to share its rules, defaults and messages.
type pageQuery struct {
	Limit  any `json:"limit" validate:"optional,number,min_num=0,max_num=MaxLogLimit"`
	Offset any `json:"offset" validate:"optional,number,min_num=0,max_num=MaxLogOffset"`
}

const defaultPageLimit = 10

// limit and offset are the validated values, or their defaults.
func (p pageQuery) limit() int  { return intOf(p.Limit, defaultPageLimit) }
func (p pageQuery) offset() int { return intOf(p.Offset, 0) }

const facilitiesParam = "facilitiesIds"

// bindQuery reads query parameters into q's fields (q points to a query
// struct): the array field from repeated (or name[]) parameters, the others
// from their first value.
func bindQuery(c *gin.Context, q any) []string {
	obj := map[string]any{}
	for key, values := range c.Request.URL.Query() {
		name := strings.TrimSuffix(key, "[]")
		if name == facilitiesParam {
			items, _ := obj[name].([]any)
			for _, v := range values {
				items = append(items, v)
			}
			obj[name] = items
			continue
		}
		if name == "sortDirection" {
			obj[name] = strings.ToUpper(values[0]) // the seed's prose says 'asc' and 'desc'
			continue
		}
		obj[name] = values[0]
	}
	return assignFields(obj, q)
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

// logEventTypes is what eventType accepts: the shift catalog and all, as
// seed 004 lists.
func (s *Server) logEventTypes(ctx context.Context) ([]string, error) {
	return s.allowedEvents(ctx, hookflow.KindFacility)
}

func (s *Server) searchLogs(c *gin.Context) {
	var q logsQuery
	unknown := bindQuery(c, &q)
	allowed, err := s.logEventTypes(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	failures := s.validator.Check(c, &q, allowed, false)
	start, startOK := parseDate(q.StartDate)
	end, endOK := parseDate(q.EndDate)
	if startOK && endOK && start.After(*end) {
		failures = append(failures, "startDate must be a date before endDate")
	}
	if failures = append(failures, unknown...); len(failures) > 0 {
		s.fail(c, hookflow.Invalid(failures...))
		return
	}
	p := principal(c)
	f := hookflow.LogFilter{
		FacilityIDs: stringsOf(q.FacilitiesIDs),
		EventType:   stringOf(q.EventType),
		Start:       start,
		End:         end,
		Limit:       q.limit(),
		Offset:      q.offset(),
		Ascending:   q.SortDirection == "ASC",
	}
	if f.EventType == hookflow.AllEvents {
		f.EventType = ""
	}
	if !p.HasAny(auth.RoleSupport) {
		f.ClientID = p.ClientID
		if err := checkFacilities(p, f.FacilityIDs); err != nil {
			s.fail(c, err)
			return
		}
	}
	entries, total, err := s.deps.Logs.SearchLogs(c, f)
	if err != nil {
		s.fail(c, err)
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

func intOf(v any, def int) int {
	s, ok := v.(string)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return def
	}
	return int(f)
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
	IdempotencyKey any `json:"Idempotency-Key" validate:"optional,string,max_length=MaxIdempotencyKeyLength,header_safe"`
}

// retryLog makes a manual attempt of a delivery: its owner or support.
func (s *Server) retryLog(c *gin.Context) {
	p := principal(c)
	key := c.GetHeader("Idempotency-Key")
	if key != "" {
		if failures := s.validator.Check(c, &retryHeaders{IdempotencyKey: key}, nil, false); len(failures) > 0 {
			s.fail(c, hookflow.Invalid(failures...))
			return
		}
	}
	d, err := s.deps.Logs.Delivery(c, c.Param("logId"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if !p.HasAny(auth.RoleSupport) && d.ClientID != p.ClientID {
		s.fail(c, hookflow.ErrLogNotFound)
		return
	}
	attempt, err := s.deps.Dispatcher.RetryNow(c, d, key)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, dataEnvelope{Data: toAttemptResponse(attempt)})
}
