package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

func TestPostRefusesAHostnameThatResolvesToLoopback(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit = true }))
	defer srv.Close()
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) // a name, resolved at dial time
	var serverLog bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&serverLog, nil))
	resp := NewClient(Guard{}, 5*time.Second, "Hookflow/test", logger).Post(context.Background(), Request{URL: url, Body: []byte(`{}`)}, time.Now)
	if !errors.Is(resp.Err, ErrForbiddenTarget) || resp.StatusCode != 0 || hit {
		t.Fatalf("Post = %+v (hit %v), want a refusal before connecting", resp, hit)
	}
	// The delivery log shows this text to integrators: no address, no network.
	if got, want := resp.Err.Error(), "refused: target resolves to a private or reserved address"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	// Operators get the detail in the server log.
	if logged := serverLog.String(); !strings.Contains(logged, "host=localhost") || !strings.Contains(logged, " is in ") {
		t.Errorf("server log lacks the refused host and network: %q", logged)
	}
}

func TestPostSendsHeadersAndKeepsAtMost4KiBOfTheAnswer(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(strings.Repeat("x", 10000)))
	}))
	defer srv.Close()
	h := http.Header{}
	h.Set("webhook-id", "evt_1")
	resp := NewClient(Guard{AllowPrivate: true}, 5*time.Second, "Hookflow/1.2.3", slog.New(slog.DiscardHandler)).Post(context.Background(), Request{URL: srv.URL, Body: []byte(`{}`), Headers: h}, time.Now)
	if !resp.Success() || resp.StatusCode != http.StatusAccepted || len(resp.Body) != MaxResponseBody {
		t.Fatalf("Post = status %d, body %d bytes, err %v", resp.StatusCode, len(resp.Body), resp.Err)
	}
	if got.Get("User-Agent") != "Hookflow/1.2.3" || got.Get("Content-Type") != "application/json" || got.Get("webhook-id") != "evt_1" {
		t.Errorf("headers sent: %v", got)
	}
}

func TestPostDoesNotFollowRedirectsAndReadsRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/busy":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		default:
			t.Errorf("redirect followed to %s", r.URL.Path)
		}
	}))
	defer srv.Close()
	c := NewClient(Guard{AllowPrivate: true}, 100*time.Millisecond, "Hookflow/test", slog.New(slog.DiscardHandler))
	if resp := c.Post(context.Background(), Request{URL: srv.URL + "/redirect"}, time.Now); resp.StatusCode != http.StatusFound || resp.Success() {
		t.Errorf("redirect: %+v", resp)
	}
	if resp := c.Post(context.Background(), Request{URL: srv.URL + "/busy"}, time.Now); resp.RetryAfter != 2*time.Minute {
		t.Errorf("Retry-After = %v, want 2m", resp.RetryAfter)
	}
	if resp := c.Post(context.Background(), Request{URL: srv.URL + "/slow"}, time.Now); resp.Err == nil || !strings.Contains(resp.Err.Error(), "timed out") {
		t.Errorf("slow receiver: %+v, want a timeout", resp)
	}
}

func TestParseRetryAfterTakesSecondsOrAnHTTPDate(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"30":                            30 * time.Second,
		"Tue, 24 Nov 2026 12:05:00 GMT": 5 * time.Minute,
		"Tue, 24 Nov 2026 11:00:00 GMT": 0,
		"soon":                          0,
		"":                              0,
		"-5":                            0,
	}
	for in, want := range tests {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestPostFailsAnAnswerWhoseHeadersExceedTheBound(t *testing.T) {
	for _, tt := range []struct {
		name      string
		headerLen int
		wantErr   error
	}{
		{"12 KiB of headers are read", 12 << 10, nil},
		{"20 KiB of headers fail the attempt", 20 << 10, ErrResponseHeadersTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-Padding", strings.Repeat("a", tt.headerLen))
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()
			resp := NewClient(Guard{AllowPrivate: true}, 5*time.Second, "Hookflow/test", slog.New(slog.DiscardHandler)).
				Post(context.Background(), Request{URL: srv.URL, Body: []byte(`{}`)}, time.Now)
			if tt.wantErr == nil {
				if !resp.Success() {
					t.Fatalf("Post = %+v, want the 200", resp)
				}
				return
			}
			if !errors.Is(resp.Err, tt.wantErr) || resp.StatusCode != 0 || resp.Success() {
				t.Fatalf("Post = %+v, want a failed attempt with %v", resp, tt.wantErr)
			}
		})
	}
}

func TestPostRefusesAPortOutsideTheAllowedOnesWithTheUniformRefusal(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer srv.Close()
	port, err := strconv.Atoi(srv.URL[strings.LastIndex(srv.URL, ":")+1:])
	if err != nil {
		t.Fatal(err)
	}
	// Loopback is opened as an allowed network, so only the port rule stands in the way.
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	var serverLog bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&serverLog, nil))
	resp := NewClient(Guard{Allowed: loopback}, 5*time.Second, "Hookflow/test", logger).Post(context.Background(), Request{URL: srv.URL, Body: []byte(`{}`)}, time.Now)
	if !errors.Is(resp.Err, ErrForbiddenTarget) || resp.Err.Error() != ErrForbiddenTarget.Error() || hits != 0 {
		t.Fatalf("Post to port %d = %+v (hits %d), want the uniform refusal before connecting", port, resp, hits)
	}
	if !strings.Contains(serverLog.String(), fmt.Sprintf("port %d is not one of 443 or 80", port)) {
		t.Errorf("server log lacks the refused port: %q", serverLog.String())
	}
	allowed := Guard{Allowed: loopback, Ports: hookflow.TargetPorts{Extra: []int{port}}}
	if resp := NewClient(allowed, 5*time.Second, "Hookflow/test", logger).Post(context.Background(), Request{URL: srv.URL, Body: []byte(`{}`)}, time.Now); !resp.Success() || hits != 1 {
		t.Errorf("Post to a configured port = %+v (hits %d), want delivered", resp, hits)
	}
}

func TestPostRecordsANameThatDoesNotResolveAsTheUniformRefusal(t *testing.T) {
	var serverLog bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&serverLog, nil))
	// .invalid never resolves (RFC 6761); the guard is lifted, so only resolution fails.
	for _, guard := range []Guard{{}, {AllowPrivate: true}} {
		serverLog.Reset()
		resp := NewClient(guard, 5*time.Second, "Hookflow/test", logger).
			Post(context.Background(), Request{URL: "https://no-such-host.invalid/hook", Body: []byte(`{}`)}, time.Now)
		if !errors.Is(resp.Err, ErrForbiddenTarget) || resp.Err.Error() != ErrForbiddenTarget.Error() || resp.StatusCode != 0 {
			t.Fatalf("Post with %+v = %+v, want the uniform refusal", guard, resp)
		}
		if logged := serverLog.String(); !strings.Contains(logged, "host=no-such-host.invalid") || !strings.Contains(logged, "did not resolve") {
			t.Errorf("server log lacks the resolution failure: %q", logged)
		}
	}
}
