package workflows

import (
	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow"
)

// Search attributes set on every delivery, for operators filtering in the
// Temporal UI (for example `DeliveryStatus = "retrying"`).
var (
	WebhookIDKey      = temporal.NewSearchAttributeKeyKeyword("WebhookId")
	EventIDKey        = temporal.NewSearchAttributeKeyKeyword("EventId")
	EventTypeKey      = temporal.NewSearchAttributeKeyKeyword("EventType")
	FacilityIDKey     = temporal.NewSearchAttributeKeyKeyword("FacilityId")
	ClientIDKey       = temporal.NewSearchAttributeKeyKeyword("ClientId")
	OrganizationIDKey = temporal.NewSearchAttributeKeyKeyword("OrganizationId")
	DeliveryStatusKey = temporal.NewSearchAttributeKeyKeyword("DeliveryStatus")
	AttemptCountKey   = temporal.NewSearchAttributeKeyInt64("AttemptCount")
	NextRetryAtKey    = temporal.NewSearchAttributeKeyTime("NextRetryAt")
)

// SearchAttributeTypes lists every attribute with its type, for registering
// them on a namespace.
func SearchAttributeTypes() map[string]temporal.SearchAttributeKey {
	out := map[string]temporal.SearchAttributeKey{}
	for _, k := range []temporal.SearchAttributeKey{WebhookIDKey, EventIDKey, EventTypeKey, FacilityIDKey, ClientIDKey,
		OrganizationIDKey, DeliveryStatusKey, AttemptCountKey, NextRetryAtKey} {
		out[k.GetName()] = k
	}
	return out
}

// StartAttributes are the attributes a delivery starts with.
func StartAttributes(in DeliveryInput) temporal.SearchAttributes {
	status := hookflow.StatusPending
	if in.RetriesDone > 0 { // a run the sweep restarts after earlier attempts
		status = hookflow.StatusRetrying
	}
	updates := []temporal.SearchAttributeUpdate{
		WebhookIDKey.ValueSet(in.WebhookID),
		EventIDKey.ValueSet(in.EventID),
		EventTypeKey.ValueSet(in.EventType),
		ClientIDKey.ValueSet(in.ClientID),
		DeliveryStatusKey.ValueSet(string(status)),
		AttemptCountKey.ValueSet(int64(in.RetriesDone)),
	}
	if in.FacilityID != "" {
		updates = append(updates, FacilityIDKey.ValueSet(in.FacilityID))
	}
	if in.OrganizationID != "" {
		updates = append(updates, OrganizationIDKey.ValueSet(in.OrganizationID))
	}
	return temporal.NewSearchAttributes(updates...)
}
