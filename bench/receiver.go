package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// receiver answers deliveries and remembers when each first arrived. Paths
// under /hang/ hold every request until the sender gives up, paths under
// /fail/ answer 500: the bad webhooks of the noisy-neighbour run. Paths
// under /dead/ answer 503 without Retry-After: the dead endpoint of the
// breaker run, a plain breaker failure (a Retry-After would open the circuit
// at once and measure that instead).
type receiver struct {
	srv      *http.Server
	url      string
	mu       sync.Mutex
	first    map[string]time.Time // webhook-id + path -> first receipt
	requests int
	bad      int       // requests to /hang/, /fail/ and /dead/
	failTill time.Time // answer 500 until then (retry storm)
	notify   chan struct{}
}

// maxHold bounds a held request should the sender never hang up.
const maxHold = 5 * time.Minute

func newReceiver(addr string) (*receiver, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := &receiver{first: map[string]time.Time{}, url: "http://" + ln.Addr().String(), notify: make(chan struct{}, 1)}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	_, _ = io.Copy(io.Discard, req.Body)
	switch {
	case strings.HasPrefix(req.URL.Path, "/hang/"):
		r.countBad()
		select {
		case <-req.Context().Done():
		case <-time.After(maxHold):
		}
		return
	case strings.HasPrefix(req.URL.Path, "/fail/"):
		r.countBad()
		w.WriteHeader(http.StatusInternalServerError)
		return
	case strings.HasPrefix(req.URL.Path, "/dead/"):
		r.countBad()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	now := time.Now()
	key := req.Header.Get("webhook-id") + req.URL.Path
	r.mu.Lock()
	r.requests++
	failing := now.Before(r.failTill)
	if !failing {
		if _, seen := r.first[key]; !seen {
			r.first[key] = now
		}
	}
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	if failing {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (r *receiver) countBad() {
	r.mu.Lock()
	r.bad++
	r.mu.Unlock()
}

// reset forgets every receipt.
func (r *receiver) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.first, r.requests, r.bad, r.failTill = map[string]time.Time{}, 0, 0, time.Time{}
}

func (r *receiver) failUntil(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failTill = t
}

// waitFor blocks until n distinct deliveries arrived or the timeout passes.
func (r *receiver) waitFor(n int, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		got := len(r.first)
		r.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-r.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			return false
		}
	}
}

func (r *receiver) snapshot() (map[string]time.Time, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]time.Time, len(r.first))
	for k, v := range r.first {
		out[k] = v
	}
	return out, r.requests
}

// badRequests counts the requests the bad webhooks received.
func (r *receiver) badRequests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bad
}
