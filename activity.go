package hookflow

import (
	"encoding/json"
	"time"
)

// ActivityType says what an activity (one post of the ECG module's
// history) is.
type ActivityType int

// Activity types, as the ECG API numbers them.
const (
	ActivityScheduled   ActivityType = 0 // an attempt of the retry schedule
	ActivityManualRetry ActivityType = 1 // a retry made by hand
	ActivityAdded       ActivityType = 2 // the first post of a delivery added through the API
	ActivityOutcome     ActivityType = 3 // an outcome the receiver reported later
)

// Activity is one post of a subscription's history: an attempt, a post
// added through the API (before its first attempt, the delivery itself), or
// a reported outcome. Activities link to the one they retry or report on.
type Activity struct {
	ID             string
	Type           ActivityType
	DeliveryID     string
	PostedAt       *time.Time
	HTTPStatusCode int
	// Payload is the exact body posted; before the post, the body it will be.
	Payload string
	// RawMessage is the headers sent, or what the client gave before the post.
	RawMessage       json.RawMessage
	Subscription     SubscriptionRef
	Event            CatalogEventRef
	RetryingFromID   string
	NextRetryAt      *time.Time
	RawResponse      json.RawMessage
	Error            string
	Success          bool
	WebhookTimestamp int64 // of the post; 0 before it, or when not recorded
	CreatedAt        time.Time
	CreatedBy        string
	// Level is the depth in a tree read, 1 for the activity asked for.
	Level int
	// PayloadOmitted tells a tree read's post whose payload was left out to
	// keep the answer bounded (MaxActivityTreePayloadBytes).
	PayloadOmitted bool
}

// Posted reports whether the activity is a post whose body and timestamp
// are known, so that its hash can be computed.
func (a *Activity) Posted() bool { return a.Type != ActivityOutcome && a.WebhookTimestamp != 0 }

// SubscriptionRef is the short form of a subscription an activity carries.
type SubscriptionRef struct {
	ID      string
	PostURI string
}

// ActivityStatus filters activities by success: all, succeeded, failed.
type ActivityStatus string

// Activity status filters.
const (
	ActivityAll       ActivityStatus = "all"
	ActivitySucceeded ActivityStatus = "succeeded"
	ActivityFailed    ActivityStatus = "failed"
)

// ActivityFilter narrows a subscription's activities or activations.
type ActivityFilter struct {
	SubscriptionID string
	Status         ActivityStatus
	EventCode      string // empty: every event
	Page           Page
}

// ActivityPost is a post added through the API: data sent as an event of
// the catalog to one subscription, now or at PostAt.
type ActivityPost struct {
	Subscription   Webhook
	Event          CatalogEventRef
	EventID        string    // the delivered event's id (webhook-id); generated when empty
	CreatedAt      time.Time // the delivered event's createdAt; now when zero
	Data           json.RawMessage
	RawMessage     json.RawMessage
	RetryingFromID string
	PostAt         *time.Time
	CreatedBy      string
}

// MaxPostDelay bounds how far ahead a post may be scheduled: well inside
// the default log retention (14 days), which would otherwise purge the
// event before its post.
const MaxPostDelay = 7 * 24 * time.Hour

// Outcome is what a receiver reported later about a post.
type Outcome struct {
	ActivityID         string // the post it reports on
	OriginalActivityID string
	Success            bool
	HTTPStatusCode     int
	Error              string
	RawResponse        json.RawMessage
	CreatedBy          string
}

// Activity errors in the ECG module's wording.
var (
	ErrActivityNotFound   = &Error{Code: ENOTFOUND, Message: "Webhook activity not found"}
	ErrActivationNotFound = &Error{Code: ENOTFOUND, Message: "Webhook activation not found"}
	ErrActivityNotPosted  = &Error{Code: ECONFLICT, Message: "Webhook activity has not been posted yet"}
)
