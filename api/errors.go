package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow"
)

// errorBody is the seeds' error envelope; field order matches the seeds.
type errorBody struct {
	Message    any    `json:"message"`
	Error      string `json:"error,omitempty"`
	StatusCode int    `json:"statusCode"`
}

// statusOf maps a domain error code to its HTTP status and the envelope's
// "error" word. It is the only place that knows this mapping.
func statusOf(code hookflow.ErrorCode) (int, string) {
	switch code {
	case hookflow.EINVALID:
		return http.StatusBadRequest, "Bad Request"
	case hookflow.EUNAUTHORIZED:
		return http.StatusUnauthorized, ""
	case hookflow.EFORBIDDEN:
		return http.StatusForbidden, "Forbidden"
	case hookflow.ENOTFOUND:
		return http.StatusNotFound, "Not Found"
	case hookflow.ECONFLICT:
		return http.StatusConflict, "Conflict"
	case hookflow.ETOOLARGE:
		return http.StatusRequestEntityTooLarge, "Payload Too Large"
	case hookflow.EUNAVAILABLE:
		return http.StatusServiceUnavailable, "Service Unavailable"
	case hookflow.ERATELIMITED:
		return http.StatusTooManyRequests, "Too Many Requests"
	}
	return http.StatusInternalServerError, "Internal Server Error"
}

// Errors every handler reuses, in the seeds' wording.
var (
	errUnauthorized = &hookflow.Error{Code: hookflow.EUNAUTHORIZED, Message: "Unauthorized"}
	errForbidden    = &hookflow.Error{Code: hookflow.EFORBIDDEN, Message: "Forbidden Resource"}
	errRouteMissing = &hookflow.Error{Code: hookflow.ENOTFOUND, Message: "Not Found"}
)

// fail answers the request with err as the seeds' envelope: the one way a
// handler answers an error.
func fail(c *gin.Context, err error) { renderError(c, requestLogger(c), err) }

// renderError writes err as the seeds' envelope and aborts the request.
// Internal errors are logged here and never shown to the caller.
func renderError(c *gin.Context, logger *slog.Logger, err error) {
	var appErr *hookflow.Error
	if !errors.As(err, &appErr) {
		logger.ErrorContext(c.Request.Context(), "request failed", "method", c.Request.Method, "path", c.FullPath(), "error", err)
		appErr = &hookflow.Error{Code: hookflow.EINTERNAL, Message: "Internal server error"}
	}
	status, word := statusOf(appErr.Code)
	body := errorBody{Message: appErr.Message, Error: word, StatusCode: status}
	switch appErr.Code {
	case hookflow.EINVALID:
		details := appErr.Details
		if details == nil {
			details = []string{appErr.Message}
		}
		body.Message = details
	case hookflow.EUNAUTHORIZED, hookflow.EINTERNAL, hookflow.ERATELIMITED:
		body.Error = "" // the seeds' 401, NestJS's 500 and its throttler's 429 carry no "error" word
	}
	c.AbortWithStatusJSON(status, body)
}
