package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
)

// The fault tests run `hookflow serve` on services of their own, break one
// piece mid-flight, and then account for every event: each acknowledged
// (202) event must reach the receiver, and each POST the receiver got must
// be an attempt row. They print
// `acknowledged=N delivered=N lost=N duplicated=N`, duplicated being POSTs
// beyond the recorded attempts (a retried POST whose first outcome was
// unknown).

const faultSecret = "fault-test-secret-that-is-long-enough-for-hs256"

// faultReceiver is the webhook endpoint: it fails the first failFirst POSTs
// of each event with a 500, then answers 200, and remembers every POST.
type faultReceiver struct {
	*httptest.Server
	failFirst int
	mu        sync.Mutex
	posts     map[string]int // by webhook-id (the event id)
	ok        map[string]bool
	spans     []postSpan
}

type postSpan struct {
	id         string
	start, end time.Time
}

func newFaultReceiver(t *testing.T, failFirst int) *faultReceiver {
	r := &faultReceiver{failFirst: failFirst, posts: map[string]int{}, ok: map[string]bool{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		id := req.Header.Get("webhook-id")
		r.mu.Lock()
		r.posts[id]++
		n, span := r.posts[id], len(r.spans)
		r.spans = append(r.spans, postSpan{id: id, start: time.Now()})
		status := http.StatusOK
		if n <= r.failFirst {
			status = http.StatusInternalServerError
		} else {
			r.ok[id] = true
		}
		r.spans[span].end = time.Now()
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

// seen counts the events that got at least n POSTs.
func (r *faultReceiver) seen(ids []string, n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := 0
	for _, id := range ids {
		if r.posts[id] >= n {
			c++
		}
	}
	return c
}

// unknownAt counts the POSTs whose outcome a process dying at t may not
// have kept: under way then, or answered just before.
func (r *faultReceiver) unknownAt(t time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.spans {
		if s.start.Before(t) && s.end.After(t.Add(-time.Second)) {
			n++
		}
	}
	return n
}

// faultPublisher publishes events, retrying each with the same id until it
// is acknowledged, as a producer does.
type faultPublisher struct {
	mu       sync.Mutex
	url      string
	token    string
	facility string
	acked    []string
	refused  int // answers other than 202 (503s during an outage)
	http     *http.Client
}

func newFaultPublisher(url, token, facility string) *faultPublisher {
	return &faultPublisher{url: url, token: token, facility: facility, http: &http.Client{Timeout: 10 * time.Second}}
}

func (p *faultPublisher) publish(ctx context.Context, id string) error {
	body, _ := json.Marshal(map[string]any{"id": id, "eventType": "shift.created", "facilityId": p.facility, "data": map[string]any{"n": id}})
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/api/v2/events", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+p.token)
		resp, err := p.http.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				p.mu.Lock()
				p.acked = append(p.acked, id)
				p.mu.Unlock()
				return nil
			}
			p.mu.Lock()
			p.refused++
			p.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("event %s never acknowledged: %w", id, ctx.Err())
		case <-time.After(200 * time.Millisecond): // the producer's back-off
		}
	}
}

// burst publishes n events with a few publishers at once, in the background;
// the returned channel yields the first error, or nil once all are acked.
func (p *faultPublisher) burst(ctx context.Context, prefix string, n, concurrency int) <-chan error {
	ids := make(chan string)
	go func() {
		defer close(ids)
		for i := range n {
			ids <- fmt.Sprintf("%s-%03d", prefix, i)
		}
	}()
	done := make(chan error, 1)
	var wg sync.WaitGroup
	var once sync.Once
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				if err := p.publish(ctx, id); err != nil {
					once.Do(func() { done <- err })
				}
			}
		}()
	}
	go func() { wg.Wait(); once.Do(func() { done <- nil }) }()
	return done
}

func (p *faultPublisher) ackedIDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.acked...)
}

// faultRig is one Hookflow on the fault services, with a webhook on the
// receiver and a publisher.
type faultRig struct {
	t    *testing.T
	svc  *faultServices
	bin  string
	env  []string
	addr string
	proc *serveProcess
	rcv  *faultReceiver
	pub  *faultPublisher
	runs int
}

func newFaultRig(t *testing.T, schedule string, failFirst int) *faultRig {
	t.Helper()
	svc := ownServices(t)
	port, err := freePort(faultHTTPPorts, 20, 1)
	if err != nil {
		t.Fatal(err)
	}
	g := &faultRig{t: t, svc: svc, bin: buildHookflow(t), addr: fmt.Sprintf("127.0.0.1:%d", port), rcv: newFaultReceiver(t, failFirst)}
	g.env = []string{
		"HOOKFLOW_DATABASE_URL=" + svc.dbURL,
		"HOOKFLOW_TEMPORAL_ADDRESS=" + svc.temporalAddress(),
		"HOOKFLOW_TASK_QUEUE=fault-" + testenv.RandomID(6),
		"HOOKFLOW_JWT_SECRET=" + faultSecret,
		// Development: plain-http receivers on loopback, refused in production.
		"HOOKFLOW_ENV=development",
		"HOOKFLOW_ALLOW_INSECURE_URLS=true",
		"HOOKFLOW_ALLOW_PRIVATE_TARGETS=true",
		"HOOKFLOW_RETRY_SCHEDULE=" + schedule,
		"HOOKFLOW_DELIVERY_TIMEOUT=2s",
		// The receiver fails each delivery's first attempts on purpose, in
		// a burst: a run of failures the circuit breaker would take for a
		// sick endpoint and pause for its cooldown. These tests are about
		// faults of Hookflow's own services; endpoint_health_test.go tests
		// the breaker.
		"HOOKFLOW_CIRCUIT_FAILURE_THRESHOLD=off",
	}
	g.start()
	client := "fault-" + testenv.RandomID(4)
	facility := "FAULT-" + testenv.RandomID(4)
	tok, err := auth.Mint(auth.Keys{Secret: []byte(faultSecret)}, auth.Principal{Subject: client, ClientID: client, Facilities: []string{facility},
		Roles: []auth.Role{auth.RoleIntegrator, auth.RolePublisher}}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, url: g.proc.url}
	s.createWebhook(tenant{token: tok}, "facility", map[string]any{"url": g.rcv.URL, "events": []string{"all"}})
	g.pub = newFaultPublisher(g.proc.url, tok, facility)
	t.Cleanup(func() {
		if t.Failed() {
			if out, err := os.ReadFile(g.proc.log); err == nil {
				t.Logf("last hookflow log:\n%s", tail(out, 4000))
			}
		}
	})
	return g
}

func (g *faultRig) start() {
	g.runs++
	began := time.Now()
	g.proc = startServeAt(g.t, g.bin, g.env, fmt.Sprintf("serve-%d.log", g.runs), g.addr)
	g.t.Logf("hookflow serve #%d answered after %v", g.runs, time.Since(began).Round(time.Millisecond))
}

// kill SIGKILLs hookflow and returns when it is gone.
func (g *faultRig) kill() time.Time {
	g.t.Helper()
	at := time.Now()
	g.t.Logf("SIGKILL at %s", at.Format("15:04:05.000"))
	if err := g.proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		g.t.Fatal(err)
	}
	_ = g.proc.cmd.Wait()
	return at
}

// account waits until every acknowledged event is delivered (or the time is
// up), prints the ledger and checks it: nothing lost, every POST recorded,
// at most allowedDuplicates POSTs beyond the recorded attempts.
func (g *faultRig) account(within time.Duration, allowedDuplicates int) {
	t := g.t
	t.Helper()
	ctx := context.Background()
	acked := g.pub.ackedIDs()
	conn, err := g.svc.db(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(within)
	for g.rcv.seen(acked, g.rcv.failFirst+1) < len(acked) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond) // polling the receiver
	}
	// Every delivery settled in PostgreSQL too, and no intent left open.
	var unsettled, open int
	for time.Now().Before(deadline) {
		err := conn.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM deliveries d WHERE d.event_id = ANY($1) AND d.status <> 'succeeded'),
			(SELECT count(*) FROM attempt_intents i JOIN deliveries d ON d.id = i.delivery_id WHERE d.event_id = ANY($1) AND i.completed_at IS NULL)`,
			acked).Scan(&unsettled, &open)
		if err == nil && unsettled == 0 && open == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	attempts := map[string]int{}
	rows, err := conn.Query(ctx, `SELECT d.event_id, count(a.id) FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
		LEFT JOIN attempts a ON a.delivery_id = d.id WHERE w.url = $1 GROUP BY d.event_id`, g.rcv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		attempts[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	g.rcv.mu.Lock()
	defer g.rcv.mu.Unlock()
	delivered, duplicated, unrecorded := 0, 0, 0
	for _, id := range acked {
		if g.rcv.ok[id] {
			delivered++
		}
	}
	for id, posts := range g.rcv.posts {
		if posts > attempts[id] {
			duplicated += posts - attempts[id]
			var at []string
			for _, s := range g.rcv.spans {
				if s.id == id {
					at = append(at, s.start.Format("15:04:05.000"))
				}
			}
			t.Logf("event %s: %d POSTs (at %v), %d attempts recorded", id, posts, at, attempts[id])
		}
		if attempts[id] == 0 {
			unrecorded += posts
		}
	}
	lost := len(acked) - delivered
	t.Logf("settled %v after the fault's end", time.Since(deadline.Add(-within)).Round(time.Millisecond))
	t.Logf("acknowledged=%d delivered=%d lost=%d duplicated=%d", len(acked), delivered, lost, duplicated)
	if lost != 0 {
		t.Errorf("%d acknowledged events never delivered", lost)
	}
	if unsettled != 0 || open != 0 {
		t.Errorf("%d acknowledged deliveries not succeeded, %d attempts begun and never completed", unsettled, open)
	}
	if unrecorded != 0 {
		t.Errorf("%d POSTs of deliveries with no attempt recorded", unrecorded)
	}
	if duplicated > allowedDuplicates {
		t.Errorf("%d POSTs beyond the recorded attempts, want at most %d (outcomes unknown at the fault)", duplicated, allowedDuplicates)
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func TestFaultPostgresDownTwentySecondsLosesNothing(t *testing.T) {
	g := newFaultRig(t, "1s,1s,1s", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := <-g.pub.burst(ctx, "pg-"+testenv.RandomID(4)+"-a", 20, 4); err != nil {
		t.Fatal(err)
	}
	first := g.pub.ackedIDs()
	// Every first attempt failed: retries are due in about a second.
	eventually(t, 30*time.Second, "the first attempts", func() bool { return g.rcv.seen(first, 1) == len(first) })
	if err := g.svc.stopPostgres(); err != nil {
		t.Fatal(err)
	}
	// Publishes arrive during the outage; they are refused until it ends.
	during := g.pub.burst(ctx, "pg-"+testenv.RandomID(4)+"-b", 10, 2)
	<-time.After(20 * time.Second) // the outage
	if err := g.svc.startPostgres(); err != nil {
		t.Fatal(err)
	}
	if err := <-during; err != nil {
		t.Fatal(err)
	}
	g.pub.mu.Lock()
	refused := g.pub.refused
	g.pub.mu.Unlock()
	if refused == 0 {
		t.Error("no publish was refused during the outage; the test did not test it")
	}
	g.account(90*time.Second, 0)
}

func TestFaultTemporalRestartedMidBurstLosesNothing(t *testing.T) {
	g := newFaultRig(t, "1s,1s,1s", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := g.pub.burst(ctx, "temporal-"+testenv.RandomID(4), 60, 6)
	eventually(t, 30*time.Second, "a third of the burst", func() bool { return len(g.pub.ackedIDs()) >= 20 })
	at := time.Now()
	g.svc.stopTemporal()
	unknown := g.rcv.unknownAt(at)
	if err := g.svc.startTemporal(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	g.account(90*time.Second, unknown)
}

func TestFaultHookflowKilledMidPublishLosesNothing(t *testing.T) {
	g := newFaultRig(t, "1s,1s", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := g.pub.burst(ctx, "kill-pub-"+testenv.RandomID(4), 60, 6)
	eventually(t, 30*time.Second, "a third of the burst", func() bool { return len(g.pub.ackedIDs()) >= 20 })
	unknown := g.rcv.unknownAt(g.kill())
	g.start()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	g.account(90*time.Second, unknown)
}

func TestFaultHookflowKilledMidBackoffLosesNothing(t *testing.T) {
	g := newFaultRig(t, "3s,3s,3s", 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := <-g.pub.burst(ctx, "kill-backoff-"+testenv.RandomID(4), 20, 4); err != nil {
		t.Fatal(err)
	}
	acked := g.pub.ackedIDs()
	eventually(t, 30*time.Second, "every first attempt to fail", func() bool { return g.rcv.seen(acked, 1) == len(acked) })
	unknown := g.rcv.unknownAt(g.kill())
	g.start()
	g.account(90*time.Second, unknown)
}
