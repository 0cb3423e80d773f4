package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/metrics"
)

func TestClassifyNamesEachResultClass(t *testing.T) {
	timeout := &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
	tests := []struct {
		name string
		resp egress.Response
		want string
	}{
		{"200", egress.Response{StatusCode: 200}, metrics.Result2xx},
		{"204", egress.Response{StatusCode: 204}, metrics.Result2xx},
		{"301 is not followed", egress.Response{StatusCode: 301}, metrics.Result3xx},
		{"404", egress.Response{StatusCode: 404}, metrics.Result4xx},
		{"429", egress.Response{StatusCode: 429}, metrics.Result4xx},
		{"500", egress.Response{StatusCode: 500}, metrics.Result5xx},
		{"503", egress.Response{StatusCode: 503}, metrics.Result5xx},
		{"a status outside HTTP's classes", egress.Response{StatusCode: 999}, metrics.ResultNetworkError},
		{"net timeout", egress.Response{Err: fmt.Errorf("timed out: %w", timeout)}, metrics.ResultTimeout},
		{"context deadline", egress.Response{Err: fmt.Errorf("post: %w", context.DeadlineExceeded)}, metrics.ResultTimeout},
		{"SSRF guard", egress.Response{Err: fmt.Errorf("%w: 10.0.0.1 is in 10.0.0.0/8", egress.ErrForbiddenTarget)}, metrics.ResultRefused},
		{"connection refused", egress.Response{Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, metrics.ResultNetworkError},
		{"DNS failure", egress.Response{Err: &net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}}, metrics.ResultNetworkError},
		{"an error with a status is still an error", egress.Response{StatusCode: 200, Err: errors.New("body cut")}, metrics.ResultNetworkError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metrics.Classify(tt.resp); got != tt.want {
				t.Errorf("Classify(%+v) = %q, want %q", tt.resp, got, tt.want)
			}
		})
	}
}

// The real egress client's failures land in the classes the dashboard shows.
func TestClassifyTheRealClientsFailures(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	guarded := egress.NewClient(egress.Guard{}, 200*time.Millisecond, "Hookflow/test", slog.New(slog.DiscardHandler))
	open := egress.NewClient(egress.Guard{AllowPrivate: true}, 200*time.Millisecond, "Hookflow/test", slog.New(slog.DiscardHandler))
	tests := []struct {
		name   string
		client *egress.Client
		url    string
		want   string
	}{
		{"loopback refused by the guard", guarded, slow.URL, metrics.ResultRefused},
		{"a receiver slower than the timeout", open, slow.URL, metrics.ResultTimeout},
		{"nothing listening", open, closedURL, metrics.ResultNetworkError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.client.Post(context.Background(), egress.Request{URL: tt.url, Body: []byte(`{}`)}, time.Now)
			if got := metrics.Classify(resp); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", resp.Err, got, tt.want)
			}
		})
	}
}
