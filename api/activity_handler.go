package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/hookflow/hookflow"
)

// activityView is an activity (one post) as ECG.md shows it.
type activityView struct {
	ID                 string               `json:"id"`
	Type               int                  `json:"type"`
	PostedAt           *time.Time           `json:"postedAt"`
	HTTPStatusCode     *int                 `json:"httpStatusCode"`
	Payload            *string              `json:"payload"`
	RawMessage         json.RawMessage      `json:"rawMessage"`
	Subscription       *subscriptionRefView `json:"subscription"`
	Event              *activityEventView   `json:"event"`
	RetryingFromPostID *string              `json:"retryingFromPostId"`
	NextRetryAt        *time.Time           `json:"nextRetryAt"`
	RawResponse        json.RawMessage      `json:"rawResponse"`
	Error              *string              `json:"error"`
	Success            bool                 `json:"success"`
	AuditInfo          auditInfoView        `json:"auditInfo"`
}

// activityDetailView is an activity with its descendants.
type activityDetailView struct {
	activityView
	Level            int                  `json:"level"`
	ChildPostHistory []activityDetailView `json:"childPostHistory"`
}

type subscriptionRefView struct {
	ID      string `json:"id"`
	PostURI string `json:"postUri"`
}

type activityEventView struct {
	ID      *string `json:"id"`
	Code    string  `json:"code"`
	Version string  `json:"version"`
}

// toActivityView renders a; withRefs fills subscription and event (every
// read but a list without include).
func toActivityView(a hookflow.Activity, withSubscription, withEvent bool) activityView {
	v := activityView{
		ID: a.ID, Type: int(a.Type), PostedAt: utc(a.PostedAt), HTTPStatusCode: optional(a.HTTPStatusCode),
		RawMessage: a.RawMessage, RetryingFromPostID: optional(a.RetryingFromID), NextRetryAt: utc(a.NextRetryAt),
		RawResponse: a.RawResponse, Error: optional(a.Error), Success: a.Success,
		AuditInfo: auditView(hookflow.AuditInfo{CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy, UpdatedAt: a.CreatedAt, UpdatedBy: a.CreatedBy}),
	}
	if a.Type != hookflow.ActivityOutcome {
		v.Payload = &a.Payload
	}
	if withSubscription {
		v.Subscription = &subscriptionRefView{ID: a.Subscription.ID, PostURI: a.Subscription.PostURI}
	}
	if withEvent {
		v.Event = &activityEventView{ID: optional(a.Event.ID), Code: a.Event.Code, Version: a.Event.Version}
	}
	return v
}

func fullActivityView(a hookflow.Activity) activityView { return toActivityView(a, true, true) }

// activityListQuery is the query of the activity and activation lists.
type activityListQuery struct {
	listQuery
	Status  string `json:"status" validate:"optional,oneof=all succeeded failed"`
	EventID string `json:"eventId" validate:"optional,text,max_length=255"`
	Include string `json:"include" validate:"optional"` // checked by includes
}

var includeValues = []string{"subscription", "event"}

// includes reads include, repeated or comma-separated, and checks each value.
func includes(c *gin.Context) ([]string, []string) {
	var out []string
	for _, v := range c.QueryArray("include") {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if !slices.Contains(includeValues, item) {
				return nil, []string{"each value in include must be one of the following values: " + strings.Join(includeValues, ", ")}
			}
			out = append(out, item)
		}
	}
	return out, nil
}

// activityFilter binds and checks a list query for the subscription.
func (s *Server) activityFilter(c *gin.Context, sub *hookflow.Webhook) (hookflow.ActivityFilter, []string, error) {
	q, err := bindQueryInto[activityListQuery](s, c, nil)
	inc, failures := includes(c)
	if err != nil {
		// Every failed rule at once: the query's and include's.
		var appErr *hookflow.Error
		if errors.As(err, &appErr) && appErr.Code == hookflow.EINVALID {
			return hookflow.ActivityFilter{}, nil, hookflow.Invalid(append(appErr.Details, failures...)...)
		}
		return hookflow.ActivityFilter{}, nil, err
	}
	if len(failures) > 0 {
		return hookflow.ActivityFilter{}, nil, hookflow.Invalid(failures...)
	}
	f := hookflow.ActivityFilter{SubscriptionID: sub.ID, Status: hookflow.ActivityStatus(q.Status), Page: q.page()}
	if q.EventID != "" {
		// An id names a catalog event; anything else is taken as a code.
		f.EventCode = q.EventID
		if _, err := uuid.Parse(q.EventID); err == nil {
			ev, err := s.deps.Activity.ActivityEvent(c, q.EventID, "", false)
			switch {
			case err == nil:
				f.EventCode = ev.Code
			case hookflow.ErrorCodeOf(err) != hookflow.ENOTFOUND:
				return f, nil, err
			}
		}
	}
	return f, inc, nil
}

func (s *Server) listActivities(c *gin.Context) {
	sub, err := s.subscriptionWebhook(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f, inc, err := s.activityFilter(c, sub)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, total, err := s.deps.Activity.Activities(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	withSub, withEvent := slices.Contains(inc, "subscription"), slices.Contains(inc, "event")
	c.JSON(http.StatusOK, listOf(items, total, func(a hookflow.Activity) activityView { return toActivityView(a, withSub, withEvent) }))
}

func (s *Server) listActivations(c *gin.Context) {
	sub, err := s.subscriptionWebhook(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f, _, err := s.activityFilter(c, sub)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, total, err := s.deps.Activity.Activations(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(items, total, fullActivityView))
}

func (s *Server) getActivation(c *gin.Context) {
	sub, err := s.subscriptionWebhook(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.deps.Activity.Activation(c, sub.ID, c.Param("activationId"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, fullActivityView(*a))
}

// modeQuery is the required mode of an activity's detail.
type modeQuery struct {
	Mode string `json:"mode" validate:"not_empty,oneof=flat nested"`
}

func (s *Server) getActivity(c *gin.Context) {
	sub, err := s.subscriptionWebhook(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	q, err := bindQueryInto[modeQuery](s, c, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	tree, err := s.deps.Activity.ActivityTree(c, sub.ID, c.Param("activityId"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, activityTreeView(tree, q.Mode == "nested"))
}

// activityTreeView renders a tree read (the activity first, then its
// descendants in time order): nested, each child under the post it
// retries; or flat, every descendant in one list under the activity.
func activityTreeView(tree []hookflow.Activity, nested bool) activityDetailView {
	detail := func(a hookflow.Activity) activityDetailView {
		return activityDetailView{activityView: fullActivityView(a), Level: a.Level, ChildPostHistory: []activityDetailView{}}
	}
	if !nested {
		root := detail(tree[0])
		for _, a := range tree[1:] {
			root.ChildPostHistory = append(root.ChildPostHistory, detail(a))
		}
		return root
	}
	var build func(a hookflow.Activity) activityDetailView
	build = func(a hookflow.Activity) activityDetailView {
		v := detail(a)
		for _, child := range tree[1:] {
			if child.RetryingFromID == a.ID && child.Level == a.Level+1 {
				v.ChildPostHistory = append(v.ChildPostHistory, build(child))
			}
		}
		return v
	}
	return build(tree[0])
}

// activityBody is the body of POST .../activity.
type activityBody struct {
	Type               int             `json:"type" validate:"not_empty,int,min_num=0,max_num=3"`
	Payload            json.RawMessage `json:"payload" validate:"not_empty,object"`
	RawMessage         json.RawMessage `json:"rawMessage" validate:"not_empty,object"`
	EventID            string          `json:"eventId" validate:"not_empty,string,text,max_length=255"`
	RetryingFromPostID *string         `json:"retryingFromPostId" validate:"optional,string"`
	PostedAt           *string         `json:"postedAt" validate:"optional,string,rfc3339"`
}

// uuidField reports a present field that is not a UUID, as class-validator words it.
func uuidField(name string) extraRule {
	return func(obj map[string]any) []string {
		if v, ok := obj[name].(string); ok {
			if _, err := uuid.Parse(v); err != nil {
				return []string{name + " must be a UUID"}
			}
		}
		return nil
	}
}

// notTooFarAhead refuses a date past hookflow.MaxPostDelay from now.
func notTooFarAhead(name string) extraRule {
	return func(obj map[string]any) []string {
		v, _ := obj[name].(string)
		if at, err := time.Parse(time.RFC3339Nano, v); err == nil && time.Until(at) > hookflow.MaxPostDelay {
			return []string{name + " must not be more than 7 days ahead"}
		}
		return nil
	}
}

func (s *Server) addActivity(c *gin.Context) {
	sub, err := s.subscriptionWebhook(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	body, err := bindJSON[activityBody](s, c, nil, uuidField("retryingFromPostId"), notTooFarAhead("postedAt"))
	if err != nil {
		s.fail(c, err)
		return
	}
	ev, err := s.deps.Activity.ActivityEvent(c, body.EventID, "", true)
	if err != nil {
		s.fail(c, err)
		return
	}
	post := hookflow.ActivityPost{Subscription: *sub, Event: *ev, Data: body.Payload, RawMessage: body.RawMessage, CreatedBy: principal(c).Subject}
	if body.RetryingFromPostID != nil {
		parent, err := s.deps.Activity.Activity(c, sub.ID, *body.RetryingFromPostID)
		if err != nil {
			s.fail(c, err)
			return
		}
		post.RetryingFromID = parent.ID
	}
	if body.PostedAt != nil {
		at, _ := time.Parse(time.RFC3339Nano, *body.PostedAt) // the rfc3339 rule passed
		post.PostAt = &at
	}
	a, err := s.addPost(c, post)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, fullActivityView(*a))
}

// retryActivity posts the activity's delivery again at once (see
// dispatch.Dispatcher.RetryNow) and answers the new post; the same
// Idempotency-Key answers the same post, as for the logs' retry.
func (s *Server) retryActivity(c *gin.Context) {
	sub, a, err := s.pathActivity(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if a.Type != hookflow.ActivityOutcome && a.PostedAt == nil {
		s.fail(c, hookflow.ErrActivityNotPosted)
		return
	}
	key := c.GetHeader("Idempotency-Key")
	if key != "" {
		if failures := s.validator.Check(c, &retryHeaders{IdempotencyKey: key}, nil, false); len(failures) > 0 {
			s.fail(c, hookflow.Invalid(failures...))
			return
		}
	}
	del, err := s.deps.Activity.Delivery(c, a.DeliveryID)
	if err != nil {
		s.fail(c, err)
		return
	}
	attempt, err := s.deps.Dispatcher.RetryNow(c, del, key)
	if err != nil {
		s.fail(c, err)
		return
	}
	posted, err := s.deps.Activity.Activity(c, sub.ID, attempt.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, fullActivityView(*posted))
}

// outcomeBody is the body of POST .../outcomes.
type outcomeBody struct {
	OriginalActivityID string          `json:"originalActivityId" validate:"not_empty,string"`
	Success            bool            `json:"success" validate:"boolean"`
	HTTPStatusCode     int             `json:"httpStatusCode" validate:"not_empty,int,min_num=100,max_num=599"`
	Error              string          `json:"error" validate:"string,text,max_length=2000"`
	RawResponse        json.RawMessage `json:"rawResponse" validate:"not_empty"`
}

// lenientScalars takes the seed's sample at its word: "success": "true"
// and "httpStatusCode": "200" are the boolean and the number they spell.
func lenientScalars(obj map[string]any) {
	switch obj["success"] {
	case "true":
		obj["success"] = true
	case "false":
		obj["success"] = false
	}
	if s, ok := obj["httpStatusCode"].(string); ok && s != "" && strings.Trim(s, "0123456789") == "" {
		obj["httpStatusCode"] = json.Number(s)
	}
}

func (s *Server) addOutcome(c *gin.Context) {
	sub, err := s.subscriptionWebhook(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	obj, err := readJSONObject(c, s.opts.MaxPayloadBytes)
	if err != nil {
		s.fail(c, err)
		return
	}
	lenientScalars(obj)
	body, err := decodeValid[outcomeBody](c, s.validator, obj, nil, uuidField("originalActivityId"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.deps.Activity.Activity(c, sub.ID, body.OriginalActivityID); err != nil {
		s.fail(c, err)
		return
	}
	id, deliveryID, err := s.deps.Activity.RecordOutcome(c, sub.ID, hookflow.Outcome{
		ActivityID: c.Param("activityId"), OriginalActivityID: body.OriginalActivityID, Success: body.Success,
		HTTPStatusCode: body.HTTPStatusCode, Error: body.Error, RawResponse: body.RawResponse, CreatedBy: principal(c).Subject,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if body.Success {
		// The delivery is settled in PostgreSQL already: a workflow that
		// misses the signal finds it settled at its next attempt.
		if err := s.deps.Dispatcher.Settle(c, deliveryID); err != nil {
			s.deps.Logger.WarnContext(c, "settle delivery after an outcome", "delivery_id", deliveryID, "error", err)
		}
	}
	a, err := s.deps.Activity.Activity(c, sub.ID, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, fullActivityView(*a))
}
