package e2e_test

import (
	"bufio"
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/auth"
)

// The portal's browser test: headless Chromium (Debian's, installed when
// missing, as scripts/docs-check.sh does) runs scripts/portal-check.mjs
// against a full stack. Screenshots go to a temporary directory so that
// `make test` leaves the tree clean; refresh the README's with
//
//	go test -run TestPortalInABrowser ./e2e/ -args -portal-screenshots=../docs
var portalScreenshots = flag.String("portal-screenshots", "", "directory for the portal test's screenshots (docs/portal-*.png); a temporary one when empty")

// puppeteerVersion matches scripts/docs-check.sh: the last line that runs on Debian 12's Node 20.
const puppeteerVersion = "24.43.1"

func TestPortalInABrowser(t *testing.T) {
	chromium, tools := browserTools(t)
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Hour}})
	// The first event fails once, the page retries it, its test event
	// succeeds, the second event fails and waits: the page disables the
	// endpoint, then enables it and recovers that delivery.
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusOK, http.StatusOK, http.StatusInternalServerError, http.StatusOK)
	tn := newTenant(t)

	// Another client's webhook, which the portal must not show.
	other := newTenant(t)
	otherURL := newReceiver(t).URL + "/other-client-" + other.clientID
	otherHook := s.createWebhook(other, "facility", map[string]any{"url": otherURL, "events": []string{"all"}})

	platform := token(t, auth.Principal{ClientID: "platform", Roles: []auth.Role{auth.RolePublisher}})
	link := s.do(http.MethodPost, "/api/v2/portal/links", platform, map[string]any{"clientId": tn.clientID, "facilities": tn.facilities, "expiresIn": 600})
	if link.status != http.StatusCreated {
		t.Fatalf("mint a portal link: %d %s", link.status, link.raw)
	}
	url, _ := link.data()["url"].(string)

	// An organization's link, and another organization whose subscription
	// that link must not show.
	org, otherOrg := newOrganization(t), newOrganization(t)
	otherSubURL := newReceiver(t).URL + "/other-org-" + otherOrg.id
	s.subscribe(otherOrg, otherSubURL, "shift.created")
	orgLink := s.do(http.MethodPost, "/api/v2/portal/links", platform, map[string]any{"organizationId": org.id, "expiresIn": 600})
	if orgLink.status != http.StatusCreated {
		t.Fatalf("mint an organization's portal link: %d %s", orgLink.status, orgLink.raw)
	}
	orgURL, _ := orgLink.data()["url"].(string)
	orgRcv := newReceiver(t)

	shots := *portalScreenshots
	if shots == "" {
		shots = t.TempDir()
	}
	shots, err := filepath.Abs(shots)
	if err != nil {
		t.Fatal(err)
	}
	// Node resolves puppeteer-core from the script's directory, so run a copy there.
	script, err := os.ReadFile(filepath.Join("..", "scripts", "portal-check.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	scriptPath := filepath.Join(tools, "portal-check.mjs")
	if err := os.WriteFile(scriptPath, script, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", scriptPath)
	cmd.Env = append(os.Environ(),
		"PORTAL_URL="+url, "CHROMIUM="+chromium, "SCREENSHOTS="+shots,
		"RECEIVER_URL="+rcv.URL, "FACILITY="+tn.facilities[0],
		"HIDDEN_TEXTS="+otherURL+"\n"+otherHook["id"].(string),
		"ORG_PORTAL_URL="+orgURL, "ORG_RECEIVER_URL="+orgRcv.URL, "OTHER_ORG="+otherOrg.id, "OTHER_ORG_TEXT="+otherSubURL)
	cmd.Stderr = &testWriter{t: t, prefix: "portal-check (stderr): "}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The script says what the page did, a line at a time, and waits on
	// stdin where it needs the platform to act.
	var waiting string // the second event's delivery, in backoff when the page disables its endpoint
	logOf := func(id string) map[string]any {
		return s.do(http.MethodGet, "/api/v2/public/webhooks/logs/"+id, tn.token, nil).data()
	}
	reply := func(line string) {
		if _, err := io.WriteString(stdin, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		line := lines.Text()
		t.Logf("portal-check: %s", line)
		if line == "webhook-created" {
			if n := rcv.count(); n != 0 {
				t.Errorf("the receiver got %d requests before any event", n)
			}
			s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{"shiftId": "s-portal"}})
			reply("published")
		}
		if line == "test-event-delivered" {
			_, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{"shiftId": "s-waiting"}})
			waiting = ids[0]
			eventually(t, 20*time.Second, "the second delivery fails once and waits", func() bool {
				d := logOf(waiting)
				h, _ := d["history"].([]any)
				return d["deliveryStatus"] == "retrying" && len(h) == 1
			})
			reply("published")
		}
		// What the page did to the endpoint's health is what the API says.
		if line == "disabled" || line == "rate-limit-saved" {
			hooks := s.do(http.MethodGet, "/api/v2/public/webhooks/facility", tn.token, nil)
			items, _ := hooks.body["data"].([]any)
			if len(items) != 1 {
				t.Fatalf("the client's webhooks: %s", hooks.raw)
			}
			hook := items[0].(map[string]any)
			health := s.do(http.MethodGet, "/api/v2/public/webhooks/facility/"+hook["id"].(string)+"/health", tn.token, nil).data()
			if line == "disabled" && (health["state"] != "disabled" || health["disabledReason"] != "receiver under maintenance") {
				t.Errorf("after the page's disable the health is %v", health)
			}
			if line == "rate-limit-saved" && (hook["rateLimit"] != float64(5) || health["state"] != "closed") {
				t.Errorf("after the page's enable and edit the webhook is %v, its health %v", hook, health)
			}
		}
		if line == "disabled" {
			// The disable woke the waiting delivery, which ends failed with the reason.
			eventually(t, 20*time.Second, "the waiting delivery ends failed", func() bool { return logOf(waiting)["deliveryStatus"] == "failed" })
			if d := deliveryOf(t, waiting); d.FailureReason != "endpoint disabled: receiver under maintenance" {
				t.Errorf("the disabled endpoint's delivery ended with %q", d.FailureReason)
			}
			if n := rcv.count(); n != 4 {
				t.Errorf("the disabled endpoint's receiver got %d requests, want 4", n)
			}
			reply("checked")
		}
		if line == "organization-subscription-created" {
			s.publish(tn, map[string]any{"eventType": "shift.created", "organizationId": org.id, "data": map[string]any{"shiftId": "s-org"}})
			reply("published")
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("scripts/portal-check.mjs failed (%v); its output is above", err)
	}
	// The page's retry reached the receiver: the 500, then the manual 200,
	// then the page's test event, an event of its own; then the second
	// event's 500 and the one attempt the page's recover made of it.
	if n := rcv.count(); n != 5 {
		t.Fatalf("the receiver got %d requests, want 5 (the failed attempt, the page's retry, its test event, the second event and its recovery)", n)
	}
	if id := rcv.request(2).headers.Get("webhook-id"); !strings.HasPrefix(id, "test-") {
		t.Errorf("the test event's webhook-id is %q, want test-...", id)
	}
	if a, b := rcv.request(3).headers.Get("webhook-id"), rcv.request(4).headers.Get("webhook-id"); a != b || !strings.Contains(string(rcv.request(4).body), "s-waiting") {
		t.Errorf("the recovery's attempt (webhook-id %q, body %s) is not the second event's (%q)", b, rcv.request(4).body, a)
	}
	if d := logOf(waiting); d["deliveryStatus"] != "succeeded" {
		t.Errorf("the recovered delivery is %v", d["deliveryStatus"])
	}
	// The organization's page created one subscription, of that organization.
	subs := s.do(http.MethodGet, "/api/organizations/"+org.id+"/webhook-subscriptions", org.token, nil)
	if items := subs.body["data"].([]any); len(items) != 1 || items[0].(map[string]any)["postUri"] != orgRcv.URL {
		t.Errorf("the organization's subscriptions after the page: %s", subs.raw)
	}
	// The published post and the page's retry of it.
	if n := orgRcv.count(); n != 2 {
		t.Errorf("the organization's receiver got %d requests, want 2 (the post and the page's retry)", n)
	}
}

// browserTools finds Chromium and puppeteer-core, installing them when
// missing as scripts/docs-check.sh does, into the same .data/docs-check.
func browserTools(t *testing.T) (chromium, tools string) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the portal's browser test needs %s (Node.js 20 or later): install it (apt-get install nodejs npm)", tool)
		}
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Geteuid() != 0 {
			t.Fatal("the portal's browser test needs Debian's chromium and we are not root: apt-get install chromium")
		}
		t.Log("installing Debian's chromium")
		run(t, "apt-get", "update", "-qq")
		run(t, "apt-get", "install", "-y", "-qq", "chromium")
		if chromium, err = exec.LookPath("chromium"); err != nil {
			t.Fatal(err)
		}
	}
	tools, err = filepath.Abs(filepath.Join("..", ".data", "docs-check"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tools, "node_modules", "puppeteer-core")); err != nil {
		t.Logf("installing puppeteer-core %s into %s", puppeteerVersion, tools)
		if err := os.MkdirAll(tools, 0o755); err != nil {
			t.Fatal(err)
		}
		run(t, "npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", tools, "puppeteer-core@"+puppeteerVersion)
	}
	return chromium, tools
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// testWriter logs what a child process writes.
type testWriter struct {
	t      *testing.T
	prefix string
}

func (w *testWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log(w.prefix + line)
	}
	return len(p), nil
}
