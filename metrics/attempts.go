package metrics

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/egress"
)

// Result classes of a delivery attempt, the values of the "result" label.
const (
	Result2xx          = "2xx"
	Result3xx          = "3xx"
	Result4xx          = "4xx"
	Result5xx          = "5xx"
	ResultTimeout      = "timeout"
	ResultRefused      = "refused" // by the SSRF guard
	ResultNetworkError = "network_error"
)

// Classify names the class of an attempt's outcome: the receiver's status
// class, or why no answer came.
func Classify(r egress.Response) string {
	if r.Err != nil {
		var netErr net.Error
		switch {
		case errors.Is(r.Err, egress.ErrForbiddenTarget):
			return ResultRefused
		case errors.Is(r.Err, context.DeadlineExceeded), errors.As(r.Err, &netErr) && netErr.Timeout():
			return ResultTimeout
		}
		return ResultNetworkError
	}
	switch {
	case r.StatusCode >= 200 && r.StatusCode < 300:
		return Result2xx
	case r.StatusCode >= 300 && r.StatusCode < 400:
		return Result3xx
	case r.StatusCode >= 400 && r.StatusCode < 500:
		return Result4xx
	case r.StatusCode >= 500 && r.StatusCode < 600:
		return Result5xx
	}
	// A status outside the HTTP classes is no answer a receiver should give.
	return ResultNetworkError
}

// Poster counts and times the attempts of the poster it wraps.
type Poster struct {
	next    activities.Poster
	metrics *Metrics
}

// CountAttempts wraps p, so the delivery activity is instrumented without
// knowing about metrics.
func (m *Metrics) CountAttempts(p activities.Poster) *Poster {
	return &Poster{next: p, metrics: m}
}

// Post sends the attempt with the wrapped poster and records its result.
func (p *Poster) Post(ctx context.Context, r egress.Request, now func() time.Time) egress.Response {
	resp := p.next.Post(ctx, r, now)
	result := Classify(resp)
	p.metrics.attempts.WithLabelValues(result).Inc()
	p.metrics.attemptDuration.WithLabelValues(result).Observe(resp.Duration.Seconds())
	return resp
}
