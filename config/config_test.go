package config

import (
	"strings"
	"testing"
	"time"
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

func TestLoadReadsRateLimitsWithGenerousDefaultsAndOff(t *testing.T) {
	cfg, err := Load(envOf(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.RateLimit != (RateLimit{PerSecond: 50, Burst: 100}) || cfg.PublishRateLimit != (RateLimit{PerSecond: 200, Burst: 400}) {
		t.Errorf("defaults: api %+v, publish %+v; want 50,100 and 200,400", cfg.RateLimit, cfg.PublishRateLimit)
	}
	valid := map[string]RateLimit{
		"10":       {PerSecond: 10, Burst: 20},
		"10,5":     {PerSecond: 10, Burst: 5},
		" 0.5 , 3": {PerSecond: 0.5, Burst: 3},
		"0.2":      {PerSecond: 0.2, Burst: 1},
		"off":      {},
		"OFF":      {},
		"0":        {},
	}
	for v, want := range valid {
		cfg, err := Load(envOf(map[string]string{"HOOKFLOW_RATE_LIMIT": v, "HOOKFLOW_PUBLISH_RATE_LIMIT": v}))
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		if cfg.RateLimit != want || cfg.PublishRateLimit != want {
			t.Errorf("%q = %+v and %+v, want %+v", v, cfg.RateLimit, cfg.PublishRateLimit, want)
		}
	}
	for _, v := range []string{"fast", "-1", "0,10", "10,0", "10,2.5", "10,", "NaN", "Inf", "2000000", "10,2000000", "10,20,30"} {
		for _, name := range []string{"HOOKFLOW_RATE_LIMIT", "HOOKFLOW_PUBLISH_RATE_LIMIT"} {
			_, err := Load(envOf(map[string]string{name: v}))
			if err == nil || !strings.Contains(err.Error(), name+" must be requests per second") || !strings.Contains(err.Error(), "or off") {
				t.Errorf("%s=%q: err = %v, want one naming the variable and its syntax", name, v, err)
			}
		}
	}
}
