package config

import (
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadDefaultsMatchTheContract(t *testing.T) {
	cfg, err := Load(envOf(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.HTTPAddr != ":8080" || cfg.TaskQueue != "hookflow-deliveries" || cfg.TemporalNamespace != "default" {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	if len(cfg.RetrySchedule) != len(want) {
		t.Fatalf("RetrySchedule = %v, want %v", cfg.RetrySchedule, want)
	}
	for i := range want {
		if cfg.RetrySchedule[i] != want[i] {
			t.Errorf("RetrySchedule[%d] = %v, want %v", i, cfg.RetrySchedule[i], want[i])
		}
	}
	if cfg.DeliveryTimeout != 15*time.Second || cfg.LogRetention != 336*time.Hour || cfg.MaxPayloadBytes != 262144 {
		t.Errorf("unexpected defaults: timeout %v retention %v max %d", cfg.DeliveryTimeout, cfg.LogRetention, cfg.MaxPayloadBytes)
	}
	if cfg.SecretRotationOverlap != 24*time.Hour {
		t.Errorf("SecretRotationOverlap = %v, want 24h", cfg.SecretRotationOverlap)
	}
	if cfg.AllowInsecureURLs || cfg.AllowPrivateTargets || cfg.Production() {
		t.Errorf("guards must be on by default: %+v", cfg)
	}
	if cfg.TemporalGzip {
		t.Error("requests to Temporal must go uncompressed by default")
	}
	if gz, err := Load(envOf(map[string]string{"HOOKFLOW_TEMPORAL_GZIP": "true"})); err != nil || !gz.TemporalGzip {
		t.Errorf("HOOKFLOW_TEMPORAL_GZIP=true: %+v, %v", gz.TemporalGzip, err)
	}
	if cfg.PprofAddr != "" {
		t.Errorf("the profiler must be off by default, got %q", cfg.PprofAddr)
	}
}

func TestLoadReportsEveryBadVariableByName(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"bad bool", map[string]string{"HOOKFLOW_ALLOW_INSECURE_URLS": "yes please"}, []string{"HOOKFLOW_ALLOW_INSECURE_URLS"}},
		{"bad duration", map[string]string{"HOOKFLOW_DELIVERY_TIMEOUT": "soon"}, []string{"HOOKFLOW_DELIVERY_TIMEOUT"}},
		{"negative duration", map[string]string{"HOOKFLOW_LOG_RETENTION": "-1h"}, []string{"HOOKFLOW_LOG_RETENTION"}},
		{"bad rotation overlap", map[string]string{"HOOKFLOW_SECRET_ROTATION_OVERLAP": "a day"}, []string{"HOOKFLOW_SECRET_ROTATION_OVERLAP"}},
		{"bad schedule", map[string]string{"HOOKFLOW_RETRY_SCHEDULE": "5s,later"}, []string{"HOOKFLOW_RETRY_SCHEDULE"}},
		{"bad size", map[string]string{"HOOKFLOW_MAX_PAYLOAD_BYTES": "0"}, []string{"HOOKFLOW_MAX_PAYLOAD_BYTES"}},
		{"bad cidr", map[string]string{"HOOKFLOW_ALLOWED_TARGET_CIDRS": "10.0.0.0/8,nope"}, []string{"HOOKFLOW_ALLOWED_TARGET_CIDRS"}},
		{"bad env", map[string]string{"HOOKFLOW_ENV": "staging"}, []string{"HOOKFLOW_ENV"}},
		{"short secret", map[string]string{"HOOKFLOW_JWT_SECRET": "short"}, []string{"HOOKFLOW_JWT_SECRET"}},
		{"production with development key", map[string]string{"HOOKFLOW_ENV": "production"}, []string{"HOOKFLOW_JWT_SECRET", "development key"}},
		{"several at once", map[string]string{"HOOKFLOW_DELIVERY_TIMEOUT": "x", "HOOKFLOW_MAX_PAYLOAD_BYTES": "y"}, []string{"HOOKFLOW_DELIVERY_TIMEOUT", "HOOKFLOW_MAX_PAYLOAD_BYTES"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(envOf(tt.env))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadAcceptsProductionWithItsOwnKey(t *testing.T) {
	cfg, err := Load(envOf(map[string]string{
		"HOOKFLOW_ENV":                  "production",
		"HOOKFLOW_JWT_SECRET":           strings.Repeat("k", 40),
		"HOOKFLOW_ALLOWED_TARGET_CIDRS": "10.1.0.0/16",
		"HOOKFLOW_RETRY_SCHEDULE":       "1s,2s",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !cfg.Production() || len(cfg.AllowedTargetCIDRs) != 1 || len(cfg.RetrySchedule) != 2 {
		t.Errorf("unexpected config: %+v", cfg)
	}
}

func TestLoadQuotasDefaultAndAreConfigurable(t *testing.T) {
	cfg, err := Load(envOf(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Quotas != (hookflow.Quotas{WebhooksPerClient: 100, SubscriptionsPerOrganization: 100, PendingPostsPerSubscription: 1000, FanoutPerPublish: 1000}) {
		t.Errorf("default quotas = %+v", cfg.Quotas)
	}
	cfg, err = Load(envOf(map[string]string{
		"HOOKFLOW_MAX_WEBHOOKS_PER_CLIENT": "5", "HOOKFLOW_MAX_SUBSCRIPTIONS_PER_ORGANIZATION": "6",
		"HOOKFLOW_MAX_PENDING_POSTS_PER_SUBSCRIPTION": "7", "HOOKFLOW_MAX_FANOUT_PER_PUBLISH": "8",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Quotas != (hookflow.Quotas{WebhooksPerClient: 5, SubscriptionsPerOrganization: 6, PendingPostsPerSubscription: 7, FanoutPerPublish: 8}) {
		t.Errorf("configured quotas = %+v", cfg.Quotas)
	}
	for _, name := range []string{"HOOKFLOW_MAX_WEBHOOKS_PER_CLIENT", "HOOKFLOW_MAX_SUBSCRIPTIONS_PER_ORGANIZATION",
		"HOOKFLOW_MAX_PENDING_POSTS_PER_SUBSCRIPTION", "HOOKFLOW_MAX_FANOUT_PER_PUBLISH"} {
		for _, bad := range []string{"0", "-1", "many", "1000001"} {
			if _, err := Load(envOf(map[string]string{name: bad})); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: error %v, want one naming the variable", name, bad, err)
			}
		}
	}
}
