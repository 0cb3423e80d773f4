package storage

import (
	"time"

	"github.com/google/uuid"

	"github.com/hookflow/hookflow"
)

// nullableAttempt scans an attempt from a LEFT JOIN that may have no row.
type nullableAttempt struct {
	id, deliveryID, retryingFrom *uuid.UUID
	number                       *int
	manual, success              *bool
	url, body, errMsg            *string
	status                       *int
	durationMs                   *int64
	nextRetryAt, createdAt       *time.Time
}

func (n *nullableAttempt) dest() []any {
	return []any{&n.id, &n.deliveryID, &n.number, &n.retryingFrom, &n.manual, &n.url, &n.status,
		&n.body, &n.errMsg, &n.durationMs, &n.success, &n.nextRetryAt, &n.createdAt}
}

func (n *nullableAttempt) attempt() *hookflow.Attempt {
	if n.id == nil {
		return nil
	}
	a := &hookflow.Attempt{
		ID: n.id.String(), DeliveryID: n.deliveryID.String(), Number: *n.number, Manual: *n.manual,
		URL: *n.url, ResponseStatus: *n.status, ResponseBody: *n.body, Error: *n.errMsg,
		Duration: time.Duration(*n.durationMs) * time.Millisecond, Success: *n.success,
		NextRetryAt: n.nextRetryAt, CreatedAt: *n.createdAt,
	}
	if n.retryingFrom != nil {
		a.RetryingFromID = n.retryingFrom.String()
	}
	return a
}
