package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxResponseBody is how much of a receiver's answer is kept.
const MaxResponseBody = 4 << 10

// MaxResponseHeaderBytes bounds a receiver's response headers: Go's default
// (1 MiB, 10 MiB over HTTP/2) would let a thousand concurrent attempts make a
// worker allocate gigabytes. An answer beyond it is a failed attempt.
const MaxResponseHeaderBytes = 16 << 10

// ErrResponseHeadersTooLarge is the failure of an attempt whose receiver
// answered with more than MaxResponseHeaderBytes of headers.
var ErrResponseHeadersTooLarge = errors.New("refused: the receiver's response headers exceed 16 KiB")

// Client posts signed deliveries with a shared keep-alive pool, and one
// pool of its own per tenant with networks of its own.
type Client struct {
	http *http.Client
	// tenants hold a pool each: a connection opened to one tenant's network
	// is kept alive for reuse, and must never serve another tenant's
	// delivery to the same host, as a shared pool would let it.
	tenants   map[Tenant]*http.Client
	userAgent string
	logger    *slog.Logger
}

// NewClient builds a client whose every connection passes guard; a
// delivery of a tenant of guard.TenantAllowed (see WithTenant) passes
// guard.ForTenant. Redirects are not followed: a 3xx is the receiver's
// answer. logger receives the detail of refused targets, which the delivery
// log does not show.
func NewClient(guard Guard, timeout time.Duration, userAgent string, logger *slog.Logger) *Client {
	c := &Client{http: newHTTPClient(guard.shared(), timeout), userAgent: userAgent, logger: logger}
	for t := range guard.TenantAllowed {
		if c.tenants == nil {
			c.tenants = make(map[Tenant]*http.Client, len(guard.TenantAllowed))
		}
		c.tenants[t] = newHTTPClient(guard.ForTenant(t), timeout)
	}
	return c
}

func newHTTPClient(guard Guard, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: guard.control}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would dial on our behalf and bypass the guard
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           1024,
		MaxIdleConnsPerHost:    256,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes, // HTTP/2 takes it as its header list limit too
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// pool is the HTTP client of the delivery ctx carries.
func (c *Client) pool(ctx context.Context) *http.Client {
	if t, ok := TenantFrom(ctx); ok {
		if own, ok := c.tenants[t]; ok {
			return own
		}
	}
	return c.http
}

// Request is one delivery attempt.
type Request struct {
	URL     string
	Body    []byte
	Headers http.Header
}

// Response is what the receiver answered, or why it could not be reached.
type Response struct {
	StatusCode int
	Body       string // at most MaxResponseBody bytes
	RetryAfter time.Duration
	Duration   time.Duration
	Err        error // transport failure or refusal; StatusCode is 0 then
}

// Success reports a 2xx answer.
func (r Response) Success() bool { return r.Err == nil && r.StatusCode >= 200 && r.StatusCode < 300 }

// Post sends the request; it never returns an error, the outcome is in Response.
func (c *Client) Post(ctx context.Context, r Request, now func() time.Time) Response {
	start := now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Response{Err: fmt.Errorf("build request: %w", err)}
	}
	for k, v := range r.Headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.pool(ctx).Do(req)
	if err != nil {
		return Response{Err: c.describe(ctx, req, err), Duration: now().Sub(start)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody))
	// Drain a little more so the connection can be reused.
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	out := Response{StatusCode: resp.StatusCode, Body: string(body), Duration: now().Sub(start)}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		out.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now())
	}
	return out
}

// describe turns transport errors into messages fit for the delivery log.
// A refused target is logged here with its address and network, and shown
// to integrators only as ErrForbiddenTarget. So is a name that does not
// resolve: the resolver's error names the resolver and tells which internal
// names exist, and differing from the refusal would tell private from
// unknown.
func (c *Client) describe(ctx context.Context, req *http.Request, err error) error {
	var netErr net.Error
	var dnsErr *net.DNSError
	var addrErr *net.AddrError
	switch {
	case errors.Is(err, ErrForbiddenTarget):
		detail := err.Error()
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Err != nil {
			detail = opErr.Err.Error()
		}
		c.logger.WarnContext(ctx, "delivery target refused by the SSRF guard", "host", req.URL.Hostname(), "detail", detail)
		return ErrForbiddenTarget
	case errors.As(err, &dnsErr), errors.As(err, &addrErr): // NXDOMAIN, SERVFAIL, timeout, no (usable) address
		c.logger.WarnContext(ctx, "delivery target did not resolve", "host", req.URL.Hostname(), "detail", err.Error())
		return ErrForbiddenTarget
	case headersTooLarge(err):
		return ErrResponseHeadersTooLarge
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Errorf("timed out: %w", err)
	}
	return err
}

// headersTooLarge recognises net/http's refusal of oversized response
// headers, which it reports with no sentinel error (HTTP/1 and HTTP/2 word it
// differently).
func headersTooLarge(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "response headers exceeded") || strings.Contains(msg, "header list larger than advertised limit")
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
