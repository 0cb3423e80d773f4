package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/dispatch"
)

// ActivityStore keeps the ECG module's activity history of organization
// subscriptions: posts, activations, outcomes and posts added by hand.
type ActivityStore interface {
	Webhook(ctx context.Context, id string) (*hookflow.Webhook, error)
	Activities(ctx context.Context, f hookflow.ActivityFilter) ([]hookflow.Activity, int, error)
	Activity(ctx context.Context, subscriptionID, id string) (*hookflow.Activity, error)
	ActivityTree(ctx context.Context, subscriptionID, id string) ([]hookflow.Activity, error)
	Activations(ctx context.Context, f hookflow.ActivityFilter) ([]hookflow.Activity, int, error)
	Activation(ctx context.Context, subscriptionID, id string) (*hookflow.Activity, error)
	ActivityEvent(ctx context.Context, idOrCode, version string, live bool) (*hookflow.CatalogEventRef, error)
	AddActivityPost(ctx context.Context, p hookflow.ActivityPost) (*hookflow.Delivery, error)
	RecordOutcome(ctx context.Context, subscriptionID string, o hookflow.Outcome) (string, string, error)
	Delivery(ctx context.Context, id string) (*hookflow.Delivery, error)
	DeleteEvent(ctx context.Context, id string) error
}

// Paths of the activity surface, as seed 003 names their parameters. The
// payload hashes live under /subscriptions, the rest under
// /webhook-subscriptions, as the seed has them.
const (
	activityListPath   = subscriptionPath + "/activity"
	activityPath       = activityListPath + "/:activityId"
	activationListPath = subscriptionPath + "/activations"
	hashBasePath       = organizationPath + "/subscriptions/:subscriptionId"
)

// ecgActivityRoutes is the activity, activation and payload-hash surface
// of organization subscriptions, read top to bottom. Every route takes
// admin or a token of the path's organization (orgScoped).
func (s *Server) ecgActivityRoutes() []route {
	return s.orgScoped([]route{
		{http.MethodGet, activityListPath, s.listActivities, nil},
		{http.MethodPost, activityListPath, s.addActivity, nil},
		{http.MethodGet, activityPath, s.getActivity, nil},
		{http.MethodPost, activityPath + "/retry", s.retryActivity, nil},
		{http.MethodPost, activityPath + "/outcomes", s.addOutcome, nil},

		{http.MethodGet, activationListPath, s.listActivations, nil},
		{http.MethodGet, activationListPath + "/:activationId", s.getActivation, nil},

		{http.MethodPost, hashBasePath + "/webhooks-payloads", s.webhooksPayload, nil},
		{http.MethodPost, hashBasePath + "/validate-hash", s.validateHash, nil},
		{http.MethodGet, hashBasePath + "/activity/:activityId/get-hash", s.getHash, nil},
	})
}

// subscriptionWebhook loads the path's subscription (pathSubscription:
// its organization's, not deleted, else 404) as the webhook that signs its
// posts, with every secret signing now.
func (s *Server) subscriptionWebhook(c *gin.Context) (*hookflow.Webhook, error) {
	sub, err := s.pathSubscription(c)
	if err != nil {
		return nil, err
	}
	w, err := s.deps.Activity.Webhook(c, sub.ID)
	if hookflow.ErrorCodeOf(err) == hookflow.ENOTFOUND {
		return nil, hookflow.ErrSubscriptionNotFound // deleted in between
	}
	return w, err
}

// pathActivity loads the path's subscription and its activity.
func (s *Server) pathActivity(c *gin.Context) (*hookflow.Webhook, *hookflow.Activity, error) {
	sub, err := s.subscriptionWebhook(c)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.deps.Activity.Activity(c, sub.ID, c.Param("activityId"))
	if err != nil {
		return nil, nil, err
	}
	return sub, a, nil
}

// addPost stores a post added through the API and starts its delivery;
// when the start fails nothing stays behind and the answer is a 503.
func (s *Server) addPost(c *gin.Context, post hookflow.ActivityPost) (*hookflow.Activity, error) {
	del, err := s.deps.Activity.AddActivityPost(c, post)
	if err != nil {
		return nil, err
	}
	if err := s.deps.Dispatcher.Start(c, *del); err != nil {
		s.deps.Logger.ErrorContext(c, "start added post", "delivery_id", del.ID, "error", err)
		if delErr := s.deps.Activity.DeleteEvent(context.WithoutCancel(c), del.EventID); delErr != nil {
			s.deps.Logger.ErrorContext(c, "undo added post", "event_id", del.EventID, "error", delErr)
		}
		return nil, dispatch.ErrUnavailable
	}
	// The post keeps the delivery's id (see storage.BeginAttempt).
	return s.deps.Activity.Activity(c, post.Subscription.ID, del.ID)
}

// compactJSON is the compact form of a JSON value, or the string itself
// when the value is a string: what a payload hash covers.
func compactJSON(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return string(raw)
	}
	return out.String()
}
