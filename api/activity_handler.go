package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/hookflow/hookflow"
)

// activityHandlers serve the activity history of organization
// subscriptions: posts, activations, outcomes, posts added by hand and
// payload hashes (payload_hash_handler.go).
type activityHandlers struct {
	activity      ActivityStore
	subscriptions SubscriptionReader
	webhooks      WebhookReader
	deliveries    DeliveryStore
	catalog       EventCodes
	dispatch      activityDispatcher
	bind          *binder
}

func newActivityHandlers(activity ActivityStore, subscriptions SubscriptionReader, webhooks WebhookReader, deliveries DeliveryStore,
	catalog EventCodes, dispatch activityDispatcher, bind *binder) *activityHandlers {
	return &activityHandlers{activity: activity, subscriptions: subscriptions, webhooks: webhooks, deliveries: deliveries,
		catalog: catalog, dispatch: dispatch, bind: bind}
}

// subscriptionWebhook loads the path's subscription (pathSubscription:
// its organization's, not deleted, else 404) as the webhook that signs its
// posts, with every secret signing now.
func (h *activityHandlers) subscriptionWebhook(c *gin.Context) (*hookflow.Webhook, error) {
	sub, err := pathSubscription(c, h.subscriptions)
	if err != nil {
		return nil, err
	}
	w, err := h.webhooks.Webhook(c, sub.ID)
	if hookflow.ErrorCodeOf(err) == hookflow.ENOTFOUND {
		return nil, hookflow.ErrSubscriptionNotFound // deleted in between
	}
	return w, err
}

// pathActivity loads the path's subscription and its activity.
func (h *activityHandlers) pathActivity(c *gin.Context) (*hookflow.Webhook, *hookflow.Activity, error) {
	sub, err := h.subscriptionWebhook(c)
	if err != nil {
		return nil, nil, err
	}
	a, err := h.activity.Activity(c, sub.ID, c.Param("activityId"))
	if err != nil {
		return nil, nil, err
	}
	return sub, a, nil
}

// addPost posts through dispatch (stored, started, undone when the start
// fails) and answers the post as the activity it became.
func (h *activityHandlers) addPost(c *gin.Context, post hookflow.ActivityPost) (*hookflow.Activity, error) {
	del, err := h.dispatch.PostActivity(c, post)
	if err != nil {
		return nil, err
	}
	// The post keeps the delivery's id (see storage.BeginAttempt).
	return h.activity.Activity(c, post.Subscription.ID, del.ID)
}

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
	if a.Type != hookflow.ActivityOutcome && !a.PayloadOmitted {
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
	skipTakePage
	Status  string   `json:"status" validate:"optional,oneof=all succeeded failed"`
	EventID string   `json:"eventId" validate:"optional,text,max_length=255"`
	Include []string `json:"include" validate:"optional"` // checked by includeRule
}

var includeValues = []string{"subscription", "event"}

// includesOf reads include values, each repeated or comma-separated.
func includesOf(values []string) []string {
	var out []string
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(item))
		}
	}
	return out
}

// includeRule checks every include value.
func includeRule(obj map[string]any) []string {
	items, _ := obj["include"].([]any)
	values := make([]string, 0, len(items))
	for _, item := range items {
		s, _ := item.(string)
		values = append(values, s)
	}
	for _, item := range includesOf(values) {
		if !slices.Contains(includeValues, item) {
			return []string{"each value in include must be one of the following values: " + strings.Join(includeValues, ", ")}
		}
	}
	return nil
}

// activityFilter binds and checks a list query for the subscription.
func (h *activityHandlers) activityFilter(c *gin.Context, sub *hookflow.Webhook) (hookflow.ActivityFilter, []string, error) {
	q, err := bindQuery[activityListQuery](c, h.bind, alsoChecking(includeRule))
	if err != nil {
		return hookflow.ActivityFilter{}, nil, err
	}
	f := hookflow.ActivityFilter{SubscriptionID: sub.ID, Status: hookflow.ActivityStatus(q.Status), Page: q.page()}
	if q.EventID != "" {
		// An id names a catalog event; anything else is taken as a code.
		f.EventCode = q.EventID
		if _, err := uuid.Parse(q.EventID); err == nil {
			ev, err := h.activity.ActivityEvent(c, q.EventID, "", false)
			switch {
			case err == nil:
				f.EventCode = ev.Code
			case hookflow.ErrorCodeOf(err) != hookflow.ENOTFOUND:
				return f, nil, err
			}
		}
	}
	return f, includesOf(q.Include), nil
}

func (h *activityHandlers) listActivities(c *gin.Context) {
	sub, err := h.subscriptionWebhook(c)
	if err != nil {
		fail(c, err)
		return
	}
	f, inc, err := h.activityFilter(c, sub)
	if err != nil {
		fail(c, err)
		return
	}
	items, total, err := h.activity.Activities(c, f)
	if err != nil {
		fail(c, err)
		return
	}
	withSub, withEvent := slices.Contains(inc, "subscription"), slices.Contains(inc, "event")
	c.JSON(http.StatusOK, listOf(items, total, func(a hookflow.Activity) activityView { return toActivityView(a, withSub, withEvent) }))
}

func (h *activityHandlers) listActivations(c *gin.Context) {
	sub, err := h.subscriptionWebhook(c)
	if err != nil {
		fail(c, err)
		return
	}
	f, _, err := h.activityFilter(c, sub)
	if err != nil {
		fail(c, err)
		return
	}
	items, total, err := h.activity.Activations(c, f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(items, total, fullActivityView))
}

func (h *activityHandlers) getActivation(c *gin.Context) {
	sub, err := h.subscriptionWebhook(c)
	if err != nil {
		fail(c, err)
		return
	}
	a, err := h.activity.Activation(c, sub.ID, c.Param("activationId"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, fullActivityView(*a))
}

// activityDetailQuery is the query of an activity's detail: the required
// mode and, beyond the seed, the page of descendants (time order; default
// and at most hookflow.MaxActivityTreeTake), so that one answer stays
// bounded however large the tree grows.
type activityDetailQuery struct {
	Mode string `json:"mode" validate:"not_empty,oneof=flat nested"`
	Skip string `json:"skip" validate:"optional,int,min_num=0"`
	Take string `json:"take" validate:"optional,int,min_num=1,max_num=100"`
}

func (q activityDetailQuery) page() hookflow.Page {
	p := hookflow.Page{Take: hookflow.MaxActivityTreeTake}
	if n, err := strconv.Atoi(q.Skip); err == nil {
		p.Skip = n
	}
	if n, err := strconv.Atoi(q.Take); err == nil {
		p.Take = min(n, hookflow.MaxActivityTreeTake)
	}
	return p
}

// totalCountHeader tells how many descendants an activity's detail pages
// through, as the lists' total does.
const totalCountHeader = "X-Total-Count"

func (h *activityHandlers) getActivity(c *gin.Context) {
	sub, err := h.subscriptionWebhook(c)
	if err != nil {
		fail(c, err)
		return
	}
	q, err := bindQuery[activityDetailQuery](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	tree, total, err := h.activity.ActivityTree(c, sub.ID, c.Param("activityId"), q.page())
	if err != nil {
		fail(c, err)
		return
	}
	c.Header(totalCountHeader, strconv.Itoa(total))
	c.JSON(http.StatusOK, activityTreeView(tree, q.Mode == "nested"))
}

// activityTreeView renders a tree read (the activity first, then a page of
// its descendants in time order): nested, each child under the post it
// retries; or flat, every descendant in one list under the activity. A
// descendant whose parent is not in the page (a later page) sits under the
// activity, its level and retryingFromPostId telling where it belongs.
func activityTreeView(tree []hookflow.Activity, nested bool) activityDetailView {
	views := make([]activityDetailView, len(tree))
	for i, a := range tree {
		views[i] = activityDetailView{activityView: fullActivityView(a), Level: a.Level, ChildPostHistory: []activityDetailView{}}
	}
	if !nested {
		views[0].ChildPostHistory = views[1:]
		return views[0]
	}
	// Children are attached deepest first, so each is complete when it is
	// copied into its parent; time order keeps siblings in order.
	index := make(map[string]int, len(tree))
	for i, a := range tree {
		index[a.ID] = i
	}
	parents := make([]int, len(tree))
	for i, a := range tree[1:] {
		parent, ok := index[a.RetryingFromID]
		if !ok || tree[parent].Level != a.Level-1 {
			parent = 0
		}
		parents[i+1] = parent
	}
	order := make([]int, 0, len(tree)-1)
	for i := 1; i < len(tree); i++ {
		order = append(order, i)
	}
	slices.SortStableFunc(order, func(a, b int) int { return tree[b].Level - tree[a].Level })
	children := make([][]int, len(tree))
	for _, i := range order {
		children[parents[i]] = append(children[parents[i]], i)
	}
	for _, i := range order {
		views[i].ChildPostHistory = childViews(views, children[i])
	}
	views[0].ChildPostHistory = childViews(views, children[0])
	return views[0]
}

// childViews collects the views of children, in time order.
func childViews(views []activityDetailView, children []int) []activityDetailView {
	slices.Sort(children)
	out := make([]activityDetailView, 0, len(children))
	for _, i := range children {
		out = append(out, views[i])
	}
	return out
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

func (h *activityHandlers) addActivity(c *gin.Context) {
	sub, err := h.subscriptionWebhook(c)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := bindJSON[activityBody](c, h.bind, alsoChecking(uuidField("retryingFromPostId"), notTooFarAhead("postedAt")))
	if err != nil {
		fail(c, err)
		return
	}
	ev, err := h.activity.ActivityEvent(c, body.EventID, "", true)
	if err != nil {
		fail(c, err)
		return
	}
	post := hookflow.ActivityPost{Subscription: *sub, Event: *ev, Data: body.Payload, RawMessage: body.RawMessage, CreatedBy: principal(c).Subject}
	if body.RetryingFromPostID != nil {
		parent, err := h.activity.Activity(c, sub.ID, *body.RetryingFromPostID)
		if err != nil {
			fail(c, err)
			return
		}
		post.RetryingFromID = parent.ID
	}
	if body.PostedAt != nil {
		at, _ := time.Parse(time.RFC3339Nano, *body.PostedAt) // the rfc3339 rule passed
		post.PostAt = &at
	}
	a, err := h.addPost(c, post)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, fullActivityView(*a))
}

// retryActivity posts the activity's delivery again at once (see
// dispatch.Dispatcher.RetryNow) and answers the new post; the same
// Idempotency-Key answers the same post, as for the logs' retry.
func (h *activityHandlers) retryActivity(c *gin.Context) {
	sub, a, err := h.pathActivity(c)
	if err != nil {
		fail(c, err)
		return
	}
	if a.Type != hookflow.ActivityOutcome && a.PostedAt == nil {
		fail(c, hookflow.ErrActivityNotPosted)
		return
	}
	headers, err := bindHeaders[retryHeaders](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	del, err := h.deliveries.Delivery(c, a.DeliveryID)
	if err != nil {
		fail(c, err)
		return
	}
	attempt, err := h.dispatch.RetryNow(c, del, headers.IdempotencyKey)
	if err != nil {
		fail(c, err)
		return
	}
	posted, err := h.activity.Activity(c, sub.ID, attempt.ID)
	if err != nil {
		fail(c, err)
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

func (h *activityHandlers) addOutcome(c *gin.Context) {
	sub, err := h.subscriptionWebhook(c)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := bindJSON[outcomeBody](c, h.bind, preparing(lenientScalars), alsoChecking(uuidField("originalActivityId")))
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := h.activity.Activity(c, sub.ID, body.OriginalActivityID); err != nil {
		fail(c, err)
		return
	}
	id, deliveryID, err := h.activity.RecordOutcome(c, sub.ID, hookflow.Outcome{
		ActivityID: c.Param("activityId"), OriginalActivityID: body.OriginalActivityID, Success: body.Success,
		HTTPStatusCode: body.HTTPStatusCode, Error: body.Error, RawResponse: body.RawResponse, CreatedBy: principal(c).Subject,
	})
	if err != nil {
		fail(c, err)
		return
	}
	if body.Success {
		// The delivery is settled in PostgreSQL already: a workflow that
		// misses the signal finds it settled at its next attempt.
		if err := h.dispatch.Settle(c, deliveryID); err != nil {
			requestLogger(c).WarnContext(c, "settle delivery after an outcome", "delivery_id", deliveryID, "error", err)
		}
	}
	a, err := h.activity.Activity(c, sub.ID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, fullActivityView(*a))
}
