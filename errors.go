// Package hookflow holds the domain types of the webhook delivery engine and the
// error type every layer speaks. It depends on nothing but the standard library.
package hookflow

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an Error; the HTTP layer maps each code to one status.
type ErrorCode string

// Error codes understood by every layer.
const (
	ECONFLICT     ErrorCode = "conflict"
	EINTERNAL     ErrorCode = "internal"
	EINVALID      ErrorCode = "invalid"
	ENOTFOUND     ErrorCode = "not_found"
	EUNAUTHORIZED ErrorCode = "unauthorized"
	EFORBIDDEN    ErrorCode = "forbidden"
	ETOOLARGE     ErrorCode = "too_large"
	EUNAVAILABLE  ErrorCode = "unavailable"
	ERATELIMITED  ErrorCode = "rate_limited"
)

// Error is an application error whose Message is safe to show to API callers.
// Details carries every failed validation rule, in order.
type Error struct {
	Code    ErrorCode
	Message string
	Details []string
}

func (e *Error) Error() string {
	if len(e.Details) > 0 {
		return fmt.Sprintf("hookflow error: code=%s message=%s details=%v", e.Code, e.Message, e.Details)
	}
	return fmt.Sprintf("hookflow error: code=%s message=%s", e.Code, e.Message)
}

// Errorf builds an Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds an EINVALID error carrying every failed rule.
func Invalid(details ...string) *Error {
	return &Error{Code: EINVALID, Message: "Bad Request", Details: details}
}

// ErrorCodeOf returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessageOf returns the caller-safe message of err, hiding internal errors.
func ErrorMessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal server error"
}

// ErrWebhookNotFound is the seeds' 404 for a webhook the caller cannot see.
var ErrWebhookNotFound = &Error{Code: ENOTFOUND, Message: "Webhook not found"}

// ErrLogNotFound answers a delivery log the caller cannot see.
var ErrLogNotFound = &Error{Code: ENOTFOUND, Message: "Webhook log not found"}
