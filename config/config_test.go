package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// prodKey is a production JWT secret, so that a test of the defaults gets past
// the refusal of the development key.
var prodKey = strings.Repeat("k", 40)

func TestLoadDefaultsMatchTheContract(t *testing.T) {
	cfg, err := Load(envOf(map[string]string{"HOOKFLOW_JWT_SECRET": prodKey, "HOOKFLOW_ENCRYPTION_KEYS": testEncryptionKeys}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !cfg.Production() {
		t.Errorf("Env = %q: production must be the default", cfg.Env)
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
	if cfg.AllowInsecureURLs || cfg.AllowPrivateTargets || cfg.Temporal.Enabled {
		t.Errorf("guards must be on by default: %+v", cfg)
	}
	if cfg.TemporalGzip {
		t.Error("requests to Temporal must go uncompressed by default")
	}
	if gz, err := Load(envOf(map[string]string{"HOOKFLOW_TEMPORAL_GZIP": "true", "HOOKFLOW_JWT_SECRET": prodKey, "HOOKFLOW_ENCRYPTION_KEYS": testEncryptionKeys})); err != nil || !gz.TemporalGzip {
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
		{"bad temporal tls", map[string]string{"HOOKFLOW_TEMPORAL_TLS": "sure"}, []string{"HOOKFLOW_TEMPORAL_TLS"}},
		{"client certificate without its key", map[string]string{"HOOKFLOW_ENV": "development", "HOOKFLOW_TEMPORAL_TLS_CERT_FILE": "client.pem"}, []string{"HOOKFLOW_TEMPORAL_TLS_CERT_FILE", "HOOKFLOW_TEMPORAL_TLS_KEY_FILE"}},
		{"client key without its certificate", map[string]string{"HOOKFLOW_ENV": "development", "HOOKFLOW_TEMPORAL_TLS_KEY_FILE": "client.key"}, []string{"HOOKFLOW_TEMPORAL_TLS_CERT_FILE", "HOOKFLOW_TEMPORAL_TLS_KEY_FILE"}},
		{"bad env", map[string]string{"HOOKFLOW_ENV": "staging"}, []string{"HOOKFLOW_ENV"}},
		{"short secret", map[string]string{"HOOKFLOW_JWT_SECRET": "short"}, []string{"HOOKFLOW_JWT_SECRET"}},
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
		"HOOKFLOW_ENCRYPTION_KEYS":      testEncryptionKeys,
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

// TestProductionRefusesDevelopmentShortcuts: production, the default, refuses
// each development shortcut naming its variable; development takes them all.
func TestProductionRefusesDevelopmentShortcuts(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // the variable the refusal names; empty: accepted
	}{
		{"development key by default", map[string]string{}, "HOOKFLOW_JWT_SECRET"},
		{"development key said explicitly", map[string]string{"HOOKFLOW_ENV": "production", "HOOKFLOW_JWT_SECRET": DevelopmentJWTSecret}, "HOOKFLOW_JWT_SECRET"},
		{"private targets", map[string]string{"HOOKFLOW_JWT_SECRET": prodKey, "HOOKFLOW_ALLOW_PRIVATE_TARGETS": "true"}, "HOOKFLOW_ALLOW_PRIVATE_TARGETS"},
		{"insecure urls", map[string]string{"HOOKFLOW_JWT_SECRET": prodKey, "HOOKFLOW_ALLOW_INSECURE_URLS": "true"}, "HOOKFLOW_ALLOW_INSECURE_URLS"},
		{"public key without issuer", map[string]string{"HOOKFLOW_JWT_PUBLIC_KEY_FILE": "key.pem", "HOOKFLOW_JWT_AUDIENCE": "hookflow"}, "HOOKFLOW_JWT_PUBLIC_KEY_FILE"},
		{"public key without audience", map[string]string{"HOOKFLOW_JWT_PUBLIC_KEY_FILE": "key.pem", "HOOKFLOW_JWT_ISSUER": "https://idp"}, "HOOKFLOW_JWT_PUBLIC_KEY_FILE"},
		{"public key with issuer and audience", map[string]string{"HOOKFLOW_ENCRYPTION_KEYS": testEncryptionKeys, "HOOKFLOW_JWT_PUBLIC_KEY_FILE": "key.pem", "HOOKFLOW_JWT_ISSUER": "https://idp", "HOOKFLOW_JWT_AUDIENCE": "hookflow"}, ""},
		{"development takes every shortcut", map[string]string{"HOOKFLOW_ENV": "development", "HOOKFLOW_ALLOW_PRIVATE_TARGETS": "true",
			"HOOKFLOW_ALLOW_INSECURE_URLS": "true", "HOOKFLOW_JWT_PUBLIC_KEY_FILE": "key.pem"}, ""},
		{"development takes the development key", map[string]string{"HOOKFLOW_ENV": "development"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(envOf(tt.env))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Load: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Load accepted %v, want a refusal naming %s", tt.env, tt.want)
			case tt.want != "" && (!strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "production")):
				t.Errorf("error %q does not name %s and production", err, tt.want)
			}
		})
	}
}

// testEncryptionKeys is a ring of one key, "k1", that is not the development key.
const testEncryptionKeys = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="

func TestEncryptionKeysDefaultToTheDevelopmentKeyInDevelopmentOnly(t *testing.T) {
	cfg, err := Load(envOf(map[string]string{"HOOKFLOW_ENV": "development"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.EncryptionKeys == nil || cfg.EncryptionKeys.CurrentKeyID() != "dev" || !cfg.EncryptionKeys.Holds([]byte(developmentEncryptionKey)) {
		t.Fatalf("development ring = %v, want the documented development key", cfg.EncryptionKeys)
	}
	prod := map[string]string{"HOOKFLOW_ENV": "production", "HOOKFLOW_JWT_SECRET": strings.Repeat("k", 40)}
	_, err = Load(envOf(prod))
	if err == nil || !strings.Contains(err.Error(), "HOOKFLOW_ENCRYPTION_KEYS must be set in production") || !strings.Contains(err.Error(), "id:base64(32 bytes)") {
		t.Errorf("production without keys: %v, want a message naming HOOKFLOW_ENCRYPTION_KEYS and its format", err)
	}
	prod["HOOKFLOW_ENCRYPTION_KEYS"] = testEncryptionKeys + "," + strings.Replace(DevelopmentEncryptionKeys, "dev:", "old:", 1)
	if _, err = Load(envOf(prod)); err == nil || !strings.Contains(err.Error(), "HOOKFLOW_ENCRYPTION_KEYS must not hold the development key") {
		t.Errorf("production with the development key in the ring: %v, want it refused", err)
	}
	prod["HOOKFLOW_ENCRYPTION_KEYS"] = "k2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=, " + testEncryptionKeys
	cfg, err = Load(envOf(prod))
	if err != nil || strings.Join(cfg.EncryptionKeys.KeyIDs(), ",") != "k2,k1" {
		t.Errorf("production ring: %v, %v; want k2 then k1", cfg.EncryptionKeys, err)
	}
}

func TestEncryptionKeysAreValidatedEntryByEntry(t *testing.T) {
	for _, tc := range []struct{ name, keys, want string }{
		{"empty id", ":" + strings.TrimPrefix(testEncryptionKeys, "k1:"), "entry 1: key id"},
		{"duplicate id", testEncryptionKeys + "," + testEncryptionKeys, `entry 2: key id "k1" appears twice`},
		{"short key", "k1:c2hvcnQ=", "entry 1 (k1): key must be standard base64 of exactly 32 bytes"},
		{"no id", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "entry 1: want id:base64(32 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(envOf(map[string]string{"HOOKFLOW_ENV": "development", "HOOKFLOW_ENCRYPTION_KEYS": tc.keys}))
			if err == nil || !strings.Contains(err.Error(), "HOOKFLOW_ENCRYPTION_KEYS must be a comma-separated list") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: %v, want HOOKFLOW_ENCRYPTION_KEYS and %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "AQEBAQEB") {
				t.Errorf("the error echoes a key: %v", err)
			}
		})
	}
}

func TestDevelopmentListensOnLoopbackUnlessTold(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HOOKFLOW_ENV": "development"}, "127.0.0.1:8080"},
		{map[string]string{"HOOKFLOW_ENV": "development", "HOOKFLOW_HTTP_ADDR": ":9090"}, ":9090"},
		{map[string]string{"HOOKFLOW_JWT_SECRET": prodKey, "HOOKFLOW_ENCRYPTION_KEYS": testEncryptionKeys}, ":8080"},
		{map[string]string{"HOOKFLOW_JWT_SECRET": prodKey, "HOOKFLOW_ENCRYPTION_KEYS": testEncryptionKeys, "HOOKFLOW_HTTP_ADDR": "10.0.0.1:80"}, "10.0.0.1:80"},
	}
	for _, tt := range tests {
		cfg, err := Load(envOf(tt.env))
		if err != nil {
			t.Fatalf("Load(%v): %v", tt.env, err)
		}
		if cfg.HTTPAddr != tt.want {
			t.Errorf("Load(%v).HTTPAddr = %q, want %q", tt.env, cfg.HTTPAddr, tt.want)
		}
	}
}

func TestTemporalTLSIsImpliedByItsSettings(t *testing.T) {
	for _, name := range []string{"HOOKFLOW_TEMPORAL_TLS_CA_FILE", "HOOKFLOW_TEMPORAL_TLS_SERVER_NAME", "HOOKFLOW_TEMPORAL_API_KEY"} {
		cfg, err := Load(envOf(map[string]string{"HOOKFLOW_JWT_SECRET": prodKey, "HOOKFLOW_ENCRYPTION_KEYS": testEncryptionKeys, name: "x"}))
		if err != nil {
			t.Fatalf("Load with %s: %v", name, err)
		}
		if !cfg.Temporal.Enabled {
			t.Errorf("%s set: TLS must be on", name)
		}
	}
	cfg, err := Load(envOf(map[string]string{"HOOKFLOW_JWT_SECRET": prodKey, "HOOKFLOW_ENCRYPTION_KEYS": testEncryptionKeys, "HOOKFLOW_TEMPORAL_TLS_CERT_FILE": "c.pem", "HOOKFLOW_TEMPORAL_TLS_KEY_FILE": "c.key"}))
	if err != nil || !cfg.Temporal.Enabled || cfg.Temporal.CertFile != "c.pem" || cfg.Temporal.KeyFile != "c.key" {
		t.Errorf("mTLS settings: %+v, %v", cfg.Temporal, err)
	}
}

// Every variable Load reads has a row or a line in README's configuration.
func TestEveryVariableIsDocumentedInTheREADME(t *testing.T) {
	src, err := os.ReadFile("config.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`"(HOOKFLOW_[A-Z_]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(names) < 20 {
		t.Fatalf("found %d variables in config.go; the pattern is stale", len(names))
	}
	for _, m := range names {
		if !strings.Contains(string(readme), "`"+m[1]+"`") {
			t.Errorf("%s is not documented in README.md", m[1])
		}
	}
}

func TestLoadQuotasDefaultAndAreConfigurable(t *testing.T) {
	cfg, err := Load(envOf(map[string]string{"HOOKFLOW_ENV": "development"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Quotas != (hookflow.Quotas{WebhooksPerClient: 100, SubscriptionsPerOrganization: 100, PendingPostsPerSubscription: 1000, FanoutPerPublish: 1000}) {
		t.Errorf("default quotas = %+v", cfg.Quotas)
	}
	cfg, err = Load(envOf(map[string]string{"HOOKFLOW_ENV": "development",
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

func TestLoadReadsRateLimitsWithGenerousDefaultsAndOff(t *testing.T) {
	cfg, err := Load(envOf(map[string]string{"HOOKFLOW_ENV": "development"}))
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
		cfg, err := Load(envOf(map[string]string{"HOOKFLOW_ENV": "development", "HOOKFLOW_RATE_LIMIT": v, "HOOKFLOW_PUBLISH_RATE_LIMIT": v}))
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

func TestLoadReadsTheEndpointPolicyWithDefaultsAndOff(t *testing.T) {
	dev := map[string]string{"HOOKFLOW_ENV": "development"}
	cfg, err := Load(envOf(dev))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Endpoint != hookflow.DefaultEndpointPolicy || cfg.Endpoint.FailureThreshold != 5 || cfg.Endpoint.DisableAfter != 120*time.Hour {
		t.Errorf("defaults %+v, want 5, 30s, 10m, 120h", cfg.Endpoint)
	}
	cfg, err = Load(envOf(map[string]string{"HOOKFLOW_ENV": "development", "HOOKFLOW_CIRCUIT_FAILURE_THRESHOLD": "3",
		"HOOKFLOW_CIRCUIT_COOLDOWN": "1s", "HOOKFLOW_CIRCUIT_MAX_COOLDOWN": "2s", "HOOKFLOW_ENDPOINT_DISABLE_AFTER": "1h"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := (hookflow.EndpointPolicy{FailureThreshold: 3, Cooldown: time.Second, MaxCooldown: 2 * time.Second, DisableAfter: time.Hour}); cfg.Endpoint != want {
		t.Errorf("set: %+v, want %+v", cfg.Endpoint, want)
	}
	for _, off := range []string{"off", "OFF", "0"} {
		cfg, err := Load(envOf(map[string]string{"HOOKFLOW_ENV": "development", "HOOKFLOW_CIRCUIT_FAILURE_THRESHOLD": off}))
		if err != nil || cfg.Endpoint.FailureThreshold != 0 {
			t.Errorf("%q: threshold %d, %v; want the breaker off", off, cfg.Endpoint.FailureThreshold, err)
		}
	}
	bad := map[string]string{
		"HOOKFLOW_CIRCUIT_FAILURE_THRESHOLD": "-1",
		"HOOKFLOW_CIRCUIT_COOLDOWN":          "0s",
		"HOOKFLOW_ENDPOINT_DISABLE_AFTER":    "soon",
	}
	for name, v := range bad {
		if _, err := Load(envOf(map[string]string{"HOOKFLOW_ENV": "development", name: v})); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err %v, want one naming it", name, v, err)
		}
	}
	_, err = Load(envOf(map[string]string{"HOOKFLOW_ENV": "development", "HOOKFLOW_CIRCUIT_COOLDOWN": "5m", "HOOKFLOW_CIRCUIT_MAX_COOLDOWN": "1m"}))
	if err == nil || !strings.Contains(err.Error(), "HOOKFLOW_CIRCUIT_MAX_COOLDOWN must be at least HOOKFLOW_CIRCUIT_COOLDOWN") {
		t.Errorf("max below the cooldown: %v", err)
	}
}
