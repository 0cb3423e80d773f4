package hookflow

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on what callers may send. Each keeps a value within what
// PostgreSQL can index, Temporal accepts as an id and an HTTP header can
// carry, so an input that can never be stored is refused up front with a
// 400 (or a 401 for a token) instead of failing later. docs/api.md lists
// them with the message each produces.
const (
	// MaxIDLength bounds every caller-chosen identifier: event ids,
	// facilityId, clientId, organizationId, facilities entries and the
	// token claims sub, client_id, org_id and roles entries.
	MaxIDLength = 255
	// MaxIdempotencyKeyLength bounds a manual retry's Idempotency-Key; the
	// key becomes part of a Temporal workflow id (at most 1,000 characters).
	MaxIdempotencyKeyLength = 255
	// MaxURLLength bounds a webhook URL.
	MaxURLLength = 2048
	// MaxFacilities bounds a webhook's facilities, the facilitiesIds of a
	// log search and the facilities claim of a token.
	MaxFacilities = 1000
	// MaxRoles bounds the roles claim of a token.
	MaxRoles = 16
	// MaxLogLimit is the largest page of a log search (seed 004).
	MaxLogLimit = 100
	// MaxLogOffset bounds a log search's offset: a deeper page than the
	// capped total (MaxLogTotal) cannot be navigated to meaningfully.
	MaxLogOffset = MaxLogTotal
	// MaxSigningSecrets bounds the secrets of a subscription that sign at
	// once: the current one and the rotated-out ones still in their
	// overlap. Every attempt computes one HMAC per secret and sends and
	// stores one signature each, so a rotation storm must not grow them; a
	// rotation beyond the bound ends the oldest overlap early.
	MaxSigningSecrets = 3
	// MaxAttemptsPerDelivery bounds a delivery's attempts, scheduled and
	// manual together: the log detail answers every attempt (its history),
	// and manual retries would otherwise grow it without end. The default
	// schedule makes 8 attempts at most.
	MaxAttemptsPerDelivery = 100
	// MaxEventSchemaBytes bounds a catalog event's JSON Schema document:
	// every publish of the event is validated against it.
	MaxEventSchemaBytes = 64 << 10
	// MaxSchemaPatternLength bounds each regular expression of an event
	// schema (pattern, patternProperties): matching costs the pattern's
	// size times the data's, on every publish.
	MaxSchemaPatternLength = 1000
	// MaxSchemaFailures bounds the failures a 400 of an event's data or a
	// sample payload lists; past it, the message says how many more.
	MaxSchemaFailures = 20
	// MaxSchemaDataDepth bounds how deep data checked against an event
	// schema may nest: validation's cost grows with the square of the
	// depth (a second at a few thousand levels).
	MaxSchemaDataDepth = 64
	// MaxCustomHeaders bounds the custom headers of a webhook or
	// subscription (headers.go), each sent on every attempt.
	MaxCustomHeaders = 10
	// MaxHeaderNameLength bounds a custom header's name.
	MaxHeaderNameLength = 64
	// MaxHeaderValueLength bounds a custom header's value.
	MaxHeaderValueLength = 1024
)

// IDCharacters names the characters a published event id and an
// Idempotency-Key may use: they travel in HTTP headers (webhook-id) and
// Temporal ids, so nothing that needs escaping.
const IDCharacters = "A-Z a-z 0-9 . _ : ~ -"

// IsText reports whether s is valid UTF-8 without NUL characters, which
// PostgreSQL's text and jsonb cannot store.
func IsText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// IsHeaderSafeID reports whether s uses only IDCharacters.
func IsHeaderSafeID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == ':', c == '~', c == '-':
		default:
			return false
		}
	}
	return true
}

// Quotas bound what one tenant may keep or set going, so that no tenant can
// make another's requests, the workers or PostgreSQL do unbounded work. Each
// is configurable (config.Config's quota block); a zero field means its
// default. docs/api.md lists them with the message each produces.
type Quotas struct {
	// WebhooksPerClient bounds the public v2 webhooks a client keeps,
	// facility and user ones together (deleted ones do not count): every
	// publish matches a facility webhook in the publisher's request.
	WebhooksPerClient int
	// SubscriptionsPerOrganization bounds an organization's subscriptions,
	// archived ones included (a restore brings them back unchecked);
	// deleted ones do not count.
	SubscriptionsPerOrganization int
	// PendingPostsPerSubscription bounds the posts added through the ECG
	// API for later (postedAt in the future) that have not been made yet:
	// each holds a workflow waiting on a timer.
	PendingPostsPerSubscription int
	// FanoutPerPublish bounds the deliveries one publish creates: each is a
	// workflow started inside the publisher's request.
	FanoutPerPublish int
}

// Default quotas.
const (
	DefaultWebhooksPerClient            = 100
	DefaultSubscriptionsPerOrganization = 100
	DefaultPendingPostsPerSubscription  = 1000
	DefaultFanoutPerPublish             = 1000
)

// OrDefaults returns q with every zero field set to its default.
func (q Quotas) OrDefaults() Quotas {
	def := func(v, d int) int {
		if v <= 0 {
			return d
		}
		return v
	}
	return Quotas{
		WebhooksPerClient:            def(q.WebhooksPerClient, DefaultWebhooksPerClient),
		SubscriptionsPerOrganization: def(q.SubscriptionsPerOrganization, DefaultSubscriptionsPerOrganization),
		PendingPostsPerSubscription:  def(q.PendingPostsPerSubscription, DefaultPendingPostsPerSubscription),
		FanoutPerPublish:             def(q.FanoutPerPublish, DefaultFanoutPerPublish),
	}
}

// The 400s of the quotas, each naming its limit.

// ErrTooManyWebhooks refuses a client's webhook beyond its quota.
func ErrTooManyWebhooks(limit int) *Error {
	return Invalid(fmt.Sprintf("a client may have at most %d webhooks", limit))
}

// ErrTooManyAttempts refuses a manual retry of a delivery that has had
// MaxAttemptsPerDelivery attempts.
var ErrTooManyAttempts = Invalid(fmt.Sprintf("a delivery may have at most %d attempts", MaxAttemptsPerDelivery))

// ErrTooManySubscriptions refuses an organization's subscription beyond its quota.
func ErrTooManySubscriptions(limit int) *Error {
	return Invalid(fmt.Sprintf("an organization may have at most %d subscriptions", limit))
}

// ErrTooManyPendingPosts refuses a scheduled post beyond the subscription's quota.
func ErrTooManyPendingPosts(limit int) *Error {
	return Invalid(fmt.Sprintf("a subscription may have at most %d scheduled posts pending", limit))
}

// ErrFanoutTooLarge refuses a publish that would create more deliveries
// than one publish may.
func ErrFanoutTooLarge(limit int) *Error {
	return Invalid(fmt.Sprintf("an event may be delivered to at most %d webhooks at once", limit))
}

// Bounds of the activity detail (GET .../activity/{activityId}), which
// shows a post's descendants: one answer stays bounded however large the
// tree grows.
const (
	// MaxActivityTreeDepth bounds the levels shown, the requested post
	// being level 1: a delivery's schedule is 8 attempts, each with a
	// retry or an outcome, well inside it.
	MaxActivityTreeDepth = 32
	// MaxActivityTreeTake is the largest page of descendants (and the
	// default), in time order.
	MaxActivityTreeTake = 100
	// MaxActivityTreePayloadBytes bounds the payloads inlined in one
	// answer: past it, a descendant's payload is null (read the post
	// itself for it).
	MaxActivityTreePayloadBytes = 1 << 20
)

// MaxFilterLength bounds a webhook's filter expression, in characters; the
// filter package bounds its nesting and cost besides.
const MaxFilterLength = 1024

// MaxRateLimit bounds an endpoint's rate limit, in deliveries per second
// (the rate_limit column's CHECK says the same).
const MaxRateLimit = 1000
