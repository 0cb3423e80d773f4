package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

// Tests of what the ECG activity API asks of a delivery: a post scheduled
// for later, and an outcome that settles it.

func TestScheduledPostWaitsForItsTimeThenAttempts(t *testing.T) {
	env, r := newEnv(t, ok)
	start := env.Now()
	in := input(time.Minute)
	at := start.Add(2 * time.Hour)
	in.NotBefore = &at
	var before int
	env.RegisterDelayedCallback(func() { before = len(r.calls) }, 119*time.Minute)
	env.ExecuteWorkflow(DeliveryWorkflow, in)
	res := result(t, env)
	if before != 0 {
		t.Errorf("%d attempts before the scheduled time, want none", before)
	}
	if res.Status != hookflow.StatusSucceeded || len(r.calls) != 1 {
		t.Fatalf("result = %+v after %d attempts, want one success", res, len(r.calls))
	}
	if r.times[0].Before(at) {
		t.Errorf("first attempt at %v, before the scheduled %v", r.times[0], at)
	}
}

func TestScheduledTimeInThePastAttemptsAtOnce(t *testing.T) {
	env, r := newEnv(t, ok)
	in := input()
	past := env.Now().Add(-time.Hour)
	in.NotBefore = &past
	env.ExecuteWorkflow(DeliveryWorkflow, in)
	result(t, env)
	if len(r.calls) != 1 || r.times[0].Sub(env.Now()) > time.Second {
		t.Fatalf("attempts = %d at %v, want one at once", len(r.calls), r.times)
	}
}

func TestSettledSignalEndsTheBackoffAsSucceeded(t *testing.T) {
	env, r := newEnv(t, failed)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SettledSignal, nil) }, 10*time.Minute)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Hour, time.Hour))
	res := result(t, env)
	if res.Status != hookflow.StatusSucceeded || len(r.calls) != 1 {
		t.Fatalf("result = %+v after %d attempts, want succeeded with no retry", res, len(r.calls))
	}
}

func TestSettledSignalDuringTheScheduledWaitPostsNothing(t *testing.T) {
	env, r := newEnv(t, ok)
	in := input()
	at := env.Now().Add(time.Hour)
	in.NotBefore = &at
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SettledSignal, nil) }, time.Minute)
	env.ExecuteWorkflow(DeliveryWorkflow, in)
	res := result(t, env)
	if res.Status != hookflow.StatusSucceeded || len(r.calls) != 0 {
		t.Fatalf("result = %+v after %d attempts, want settled without a post", res, len(r.calls))
	}
}

func TestAScheduledPostSaysWhenItIsDue(t *testing.T) {
	env, _ := newEnv(t, ok)
	in := input()
	at := env.Now().Add(time.Hour).UTC()
	in.NotBefore = &at
	var during string
	env.RegisterDelayedCallback(func() { during = currentDetails(t, env) }, time.Minute)
	env.ExecuteWorkflow(DeliveryWorkflow, in)
	result(t, env)
	if want := "**Scheduled**: the first post is due at " + at.Format(time.RFC3339); !strings.HasPrefix(during, want) {
		t.Errorf("details during the wait = %q, want it to start with %q", during, want)
	}
}
