// Package config reads Hookflow's configuration from HOOKFLOW_* environment
// variables once at start-up and validates it, naming the variable at fault.
package config

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/sealing"
)

// DevelopmentJWTSecret signs tokens in development. Production refuses it.
const DevelopmentJWTSecret = "hookflow-development-secret-do-not-use-in-production"

// Environments.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is every setting of the service, with its default beside the field.
type Config struct {
	HTTPAddr          string // HOOKFLOW_HTTP_ADDR, ":8080"
	DatabaseURL       string // HOOKFLOW_DATABASE_URL
	TemporalAddress   string // HOOKFLOW_TEMPORAL_ADDRESS, "127.0.0.1:7233"
	TemporalNamespace string // HOOKFLOW_TEMPORAL_NAMESPACE, "default"
	// TemporalGzip compresses requests to Temporal: worth it over a slow
	// link, CPU spent for nothing next to the server. HOOKFLOW_TEMPORAL_GZIP, false.
	TemporalGzip bool
	TaskQueue    string // HOOKFLOW_TASK_QUEUE, "hookflow-deliveries"
	// Env is HOOKFLOW_ENV, "production": development (the development JWT
	// key, private and plain-http targets, a loopback-only listener) must be
	// asked for.
	Env string

	JWTSecret        string // HOOKFLOW_JWT_SECRET, DevelopmentJWTSecret
	JWTPublicKeyFile string // HOOKFLOW_JWT_PUBLIC_KEY_FILE: RS256/ES256 PEM; replaces the secret
	JWTIssuer        string // HOOKFLOW_JWT_ISSUER, checked when set
	JWTAudience      string // HOOKFLOW_JWT_AUDIENCE, checked when set

	AllowInsecureURLs   bool           // HOOKFLOW_ALLOW_INSECURE_URLS, false
	AllowPrivateTargets bool           // HOOKFLOW_ALLOW_PRIVATE_TARGETS, false
	AllowedTargetCIDRs  []netip.Prefix // HOOKFLOW_ALLOWED_TARGET_CIDRS, none

	RetrySchedule   []time.Duration // HOOKFLOW_RETRY_SCHEDULE, 5s,5m,30m,2h,5h,10h,10h
	DeliveryTimeout time.Duration   // HOOKFLOW_DELIVERY_TIMEOUT, 15s
	LogRetention    time.Duration   // HOOKFLOW_LOG_RETENTION, 336h
	MaxPayloadBytes int64           // HOOKFLOW_MAX_PAYLOAD_BYTES, 262144

	// SecretRotationOverlap is how long a subscription's rotated-out secret
	// keeps signing: HOOKFLOW_SECRET_ROTATION_OVERLAP, 24h.
	SecretRotationOverlap time.Duration
	// PprofAddr serves Go's profiler (net/http/pprof) on an address of its
	// own, for profiling under load; HOOKFLOW_PPROF_ADDR, unset: off.
	PprofAddr string

	// Secure defaults and TLS to Temporal (issue 18).
	Temporal TemporalTLS

	// Secrets at rest.
	// EncryptionKeys seal webhook and subscription secrets in PostgreSQL:
	// HOOKFLOW_ENCRYPTION_KEYS, a comma-separated list, newest first, of
	// id:base64(32 bytes); the newest seals, every one opens. Required in
	// production; in development DevelopmentEncryptionKeys when unset.
	EncryptionKeys *sealing.KeyRing

	// Quotas and bounds (issue 18): what one tenant may keep or set going;
	// past each, a 400 naming the limit. Defaults in hookflow.Default*.
	// HOOKFLOW_MAX_WEBHOOKS_PER_CLIENT (100),
	// HOOKFLOW_MAX_SUBSCRIPTIONS_PER_ORGANIZATION (100),
	// HOOKFLOW_MAX_PENDING_POSTS_PER_SUBSCRIPTION (1000),
	// HOOKFLOW_MAX_FANOUT_PER_PUBLISH (1000).
	Quotas hookflow.Quotas

	// Tenancy and egress (issue 18).
	//
	// AllowedTargetPorts are the ports deliveries may use besides 443 and
	// 80: HOOKFLOW_ALLOWED_TARGET_PORTS, comma-separated, none. The port
	// rule is lifted with HOOKFLOW_ALLOW_PRIVATE_TARGETS=true.
	AllowedTargetPorts []int
	// TenantTargetCIDRs open private networks to one tenant's deliveries
	// only, keyed "client:<clientId>" (public v2 webhooks) or
	// "org:<organizationId>" (ECG subscriptions):
	// HOOKFLOW_TENANT_TARGET_CIDRS, e.g.
	// "client:client-a=10.1.0.0/16,10.3.0.0/24;org:acme=10.2.0.0/16", none.
	TenantTargetCIDRs []TenantCIDRs

	// Rate limits per tenant, each RATE[,BURST] (tokens a second, at most
	// BURST saved up; BURST defaults to twice RATE) or off; see RateLimit.
	RateLimit        RateLimit // HOOKFLOW_RATE_LIMIT, 50,100: API requests per tenant
	PublishRateLimit RateLimit // HOOKFLOW_PUBLISH_RATE_LIMIT, 200,400: events per publisher

	// Endpoint is the endpoint-health policy (issue 19): the circuit
	// breaker's HOOKFLOW_CIRCUIT_FAILURE_THRESHOLD (5; off or 0 disables
	// it), HOOKFLOW_CIRCUIT_COOLDOWN (30s) and HOOKFLOW_CIRCUIT_MAX_COOLDOWN
	// (10m), and HOOKFLOW_ENDPOINT_DISABLE_AFTER (120h), after which an
	// endpoint failing all along is disabled.
	Endpoint hookflow.EndpointPolicy
}

// TemporalTLS is how the client reaches Temporal over TLS: a self-hosted
// cluster with its own CA and client certificates, or Temporal Cloud with
// mTLS or an API key.
type TemporalTLS struct {
	// Enabled turns TLS on with the system roots: HOOKFLOW_TEMPORAL_TLS,
	// false; implied by any setting below.
	Enabled bool
	// CAFile is a PEM bundle trusted instead of the system roots:
	// HOOKFLOW_TEMPORAL_TLS_CA_FILE.
	CAFile string
	// CertFile and KeyFile are the client certificate of mTLS, both or
	// neither: HOOKFLOW_TEMPORAL_TLS_CERT_FILE, HOOKFLOW_TEMPORAL_TLS_KEY_FILE.
	CertFile, KeyFile string
	// ServerName overrides the name checked on the server's certificate:
	// HOOKFLOW_TEMPORAL_TLS_SERVER_NAME, the host of the address.
	ServerName string
	// APIKey authenticates to Temporal Cloud as a bearer token:
	// HOOKFLOW_TEMPORAL_API_KEY. Never logged.
	APIKey string
}

// TenantCIDRs are private networks opened to one tenant's deliveries.
type TenantCIDRs struct {
	Organization bool   // "org:": an ECG organization id, else ("client:") a public v2 clientId
	ID           string // the clientId or organizationId
	Prefixes     []netip.Prefix
}

// RateLimit is a token bucket: PerSecond tokens a second, at most Burst
// saved up. The zero value is off.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// maxRate bounds a rate limit's numbers, far above any real use, so that
// a typo cannot overflow the burst.
const maxRate = 1_000_000

// Production reports whether the service runs in production mode.
func (c Config) Production() bool { return c.Env == EnvProduction }

// FromEnv loads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.Getenv) }

// Load reads every variable through getenv and reports all bad values at once.
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	cfg := Config{
		HTTPAddr:            r.str("HOOKFLOW_HTTP_ADDR", ":8080"),
		DatabaseURL:         r.str("HOOKFLOW_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hookflow?sslmode=disable"),
		TemporalAddress:     r.str("HOOKFLOW_TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		TemporalNamespace:   r.str("HOOKFLOW_TEMPORAL_NAMESPACE", "default"),
		TemporalGzip:        r.boolean("HOOKFLOW_TEMPORAL_GZIP", false),
		TaskQueue:           r.str("HOOKFLOW_TASK_QUEUE", "hookflow-deliveries"),
		Env:                 r.str("HOOKFLOW_ENV", EnvProduction),
		JWTSecret:           r.str("HOOKFLOW_JWT_SECRET", DevelopmentJWTSecret),
		JWTPublicKeyFile:    r.str("HOOKFLOW_JWT_PUBLIC_KEY_FILE", ""),
		JWTIssuer:           r.str("HOOKFLOW_JWT_ISSUER", ""),
		JWTAudience:         r.str("HOOKFLOW_JWT_AUDIENCE", ""),
		AllowInsecureURLs:   r.boolean("HOOKFLOW_ALLOW_INSECURE_URLS", false),
		AllowPrivateTargets: r.boolean("HOOKFLOW_ALLOW_PRIVATE_TARGETS", false),
		AllowedTargetCIDRs:  r.prefixes("HOOKFLOW_ALLOWED_TARGET_CIDRS"),
		RetrySchedule:       r.durations("HOOKFLOW_RETRY_SCHEDULE", "5s,5m,30m,2h,5h,10h,10h"),
		DeliveryTimeout:     r.positiveDuration("HOOKFLOW_DELIVERY_TIMEOUT", "15s"),
		LogRetention:        r.positiveDuration("HOOKFLOW_LOG_RETENTION", "336h"),
		MaxPayloadBytes:     r.positiveInt("HOOKFLOW_MAX_PAYLOAD_BYTES", 262144),

		SecretRotationOverlap: r.positiveDuration("HOOKFLOW_SECRET_ROTATION_OVERLAP", "24h"),
		PprofAddr:             r.str("HOOKFLOW_PPROF_ADDR", ""),

		RateLimit:          r.rateLimit("HOOKFLOW_RATE_LIMIT", "50,100"),
		PublishRateLimit:   r.rateLimit("HOOKFLOW_PUBLISH_RATE_LIMIT", "200,400"),
		AllowedTargetPorts: r.ports("HOOKFLOW_ALLOWED_TARGET_PORTS"),
		TenantTargetCIDRs:  r.tenantPrefixes("HOOKFLOW_TENANT_TARGET_CIDRS"),
		Temporal: TemporalTLS{
			Enabled:    r.boolean("HOOKFLOW_TEMPORAL_TLS", false),
			CAFile:     r.str("HOOKFLOW_TEMPORAL_TLS_CA_FILE", ""),
			CertFile:   r.str("HOOKFLOW_TEMPORAL_TLS_CERT_FILE", ""),
			KeyFile:    r.str("HOOKFLOW_TEMPORAL_TLS_KEY_FILE", ""),
			ServerName: r.str("HOOKFLOW_TEMPORAL_TLS_SERVER_NAME", ""),
			APIKey:     r.str("HOOKFLOW_TEMPORAL_API_KEY", ""),
		},
	}
	cfg.Endpoint = r.endpointPolicy()
	r.secureDefaults(&cfg)
	cfg.EncryptionKeys = r.encryptionKeys(cfg.Production())
	cfg.Quotas = hookflow.Quotas{
		WebhooksPerClient:            r.quota("HOOKFLOW_MAX_WEBHOOKS_PER_CLIENT", hookflow.DefaultWebhooksPerClient),
		SubscriptionsPerOrganization: r.quota("HOOKFLOW_MAX_SUBSCRIPTIONS_PER_ORGANIZATION", hookflow.DefaultSubscriptionsPerOrganization),
		PendingPostsPerSubscription:  r.quota("HOOKFLOW_MAX_PENDING_POSTS_PER_SUBSCRIPTION", hookflow.DefaultPendingPostsPerSubscription),
		FanoutPerPublish:             r.quota("HOOKFLOW_MAX_FANOUT_PER_PUBLISH", hookflow.DefaultFanoutPerPublish),
	}
	if cfg.Env != EnvDevelopment && cfg.Env != EnvProduction {
		r.fail("HOOKFLOW_ENV", "must be %q or %q, got %q", EnvDevelopment, EnvProduction, cfg.Env)
	}
	if cfg.JWTPublicKeyFile == "" && len(cfg.JWTSecret) < 32 {
		r.fail("HOOKFLOW_JWT_SECRET", "must be at least 32 bytes long")
	}
	for _, name := range []string{"HOOKFLOW_DATABASE_URL", "HOOKFLOW_TEMPORAL_ADDRESS", "HOOKFLOW_TEMPORAL_NAMESPACE", "HOOKFLOW_TASK_QUEUE", "HOOKFLOW_HTTP_ADDR"} {
		if v, ok := r.set(name); ok && v == "" {
			r.fail(name, "must not be empty")
		}
	}
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

// DevelopmentHTTPAddr is where development listens when HOOKFLOW_HTTP_ADDR
// is unset: loopback only, so a laptop does not serve the development key to
// its network.
const DevelopmentHTTPAddr = "127.0.0.1:8080"

// secureDefaults applies what depends on the environment: development's
// loopback listener, and production's refusal of every development shortcut.
func (r *reader) secureDefaults(cfg *Config) {
	if _, ok := r.set("HOOKFLOW_HTTP_ADDR"); !ok && cfg.Env == EnvDevelopment {
		cfg.HTTPAddr = DevelopmentHTTPAddr
	}
	t := &cfg.Temporal
	if t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" || t.APIKey != "" {
		t.Enabled = true
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		r.fail("HOOKFLOW_TEMPORAL_TLS_CERT_FILE", "and HOOKFLOW_TEMPORAL_TLS_KEY_FILE must be set together (the client certificate of mTLS and its key)")
	}
	if !cfg.Production() {
		return
	}
	// Production is the default, so each message says how to ask for development.
	const dev = "(HOOKFLOW_ENV=production, the default; HOOKFLOW_ENV=development allows it)"
	if cfg.JWTPublicKeyFile == "" && cfg.JWTSecret == DevelopmentJWTSecret {
		r.fail("HOOKFLOW_JWT_SECRET", "must be set in production: the development key is refused %s", dev)
	}
	if cfg.AllowPrivateTargets {
		r.fail("HOOKFLOW_ALLOW_PRIVATE_TARGETS", "must not be true in production %s; allow the private networks you need with HOOKFLOW_ALLOWED_TARGET_CIDRS", dev)
	}
	if cfg.AllowInsecureURLs {
		r.fail("HOOKFLOW_ALLOW_INSECURE_URLS", "must not be true in production %s: webhook URLs must be HTTPS", dev)
	}
	if cfg.JWTPublicKeyFile != "" && (cfg.JWTIssuer == "" || cfg.JWTAudience == "") {
		r.fail("HOOKFLOW_JWT_PUBLIC_KEY_FILE", "needs HOOKFLOW_JWT_ISSUER and HOOKFLOW_JWT_AUDIENCE in production: a key shared with other services must not let their tokens in")
	}
}

// DevelopmentEncryptionKeys seal secrets in development when
// HOOKFLOW_ENCRYPTION_KEYS is unset: one key "dev", the base64 of
// "hookflow-development-key-only!!!". Production refuses it, anywhere in the ring.
const DevelopmentEncryptionKeys = "dev:aG9va2Zsb3ctZGV2ZWxvcG1lbnQta2V5LW9ubHkhISE="

// developmentEncryptionKey is the key of DevelopmentEncryptionKeys, decoded.
const developmentEncryptionKey = "hookflow-development-key-only!!!"

const encryptionKeysFormat = "a comma-separated list, newest first, of id:base64(32 bytes), e.g. k1:$(openssl rand -base64 32)"

// encryptionKeys reads HOOKFLOW_ENCRYPTION_KEYS; a problem is reported
// without echoing a key.
func (r *reader) encryptionKeys(production bool) *sealing.KeyRing {
	const name = "HOOKFLOW_ENCRYPTION_KEYS"
	spec, ok := r.set(name)
	if !ok {
		if production {
			r.fail(name, "must be set in production: %s", encryptionKeysFormat)
			return nil
		}
		spec = DevelopmentEncryptionKeys
	}
	ring, err := sealing.ParseKeyRing(spec)
	if err != nil {
		r.fail(name, "must be %s: %s", encryptionKeysFormat, strings.ReplaceAll(err.Error(), "\n", "; "))
		return nil
	}
	if production {
		if ring.Holds([]byte(developmentEncryptionKey)) {
			r.fail(name, "must not hold the development key in production")
		}
	}
	return ring
}

// reader collects every problem so that one run reports them all.
type reader struct {
	getenv func(string) string
	errs   []error
}

func (r *reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s %s", name, fmt.Sprintf(format, args...)))
}

func (r *reader) set(name string) (string, bool) {
	v := strings.TrimSpace(r.getenv(name))
	return v, r.getenv(name) != ""
}

func (r *reader) str(name, def string) string {
	if v, ok := r.set(name); ok {
		return v
	}
	return def
}

func (r *reader) boolean(name string, def bool) bool {
	v, ok := r.set(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "must be true or false, got %q", v)
		return def
	}
	return b
}

func (r *reader) positiveInt(name string, def int64) int64 {
	v, ok := r.set(name)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		r.fail(name, "must be a positive whole number, got %q", v)
		return def
	}
	return n
}

// maxQuota keeps a quota a bound: past a million, it bounds nothing.
const maxQuota = 1_000_000

func (r *reader) quota(name string, def int) int {
	n := r.positiveInt(name, int64(def))
	if n > maxQuota {
		r.fail(name, "must be at most %d, got %d", maxQuota, n)
		return def
	}
	return int(n)
}

func (r *reader) positiveDuration(name, def string) time.Duration {
	v := r.str(name, def)
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "must be a positive duration such as 15s or 2h, got %q", v)
		return 0
	}
	return d
}

// endpointPolicy reads the circuit breaker and auto-disable settings.
func (r *reader) endpointPolicy() hookflow.EndpointPolicy {
	const threshold = "HOOKFLOW_CIRCUIT_FAILURE_THRESHOLD"
	p := hookflow.EndpointPolicy{
		FailureThreshold: hookflow.DefaultEndpointPolicy.FailureThreshold,
		Cooldown:         r.positiveDuration("HOOKFLOW_CIRCUIT_COOLDOWN", "30s"),
		MaxCooldown:      r.positiveDuration("HOOKFLOW_CIRCUIT_MAX_COOLDOWN", "10m"),
		DisableAfter:     r.positiveDuration("HOOKFLOW_ENDPOINT_DISABLE_AFTER", "120h"),
	}
	if v, ok := r.set(threshold); ok {
		n, err := strconv.Atoi(v)
		switch {
		case strings.EqualFold(v, "off"):
			p.FailureThreshold = 0
		case err != nil || n < 0 || n > maxQuota:
			r.fail(threshold, "must be a whole number of failures (0 to %d) or off, got %q", maxQuota, v)
		default:
			p.FailureThreshold = n
		}
	}
	if p.Cooldown > 0 && p.MaxCooldown > 0 && p.MaxCooldown < p.Cooldown {
		r.fail("HOOKFLOW_CIRCUIT_MAX_COOLDOWN", "must be at least HOOKFLOW_CIRCUIT_COOLDOWN (%s), got %s", p.Cooldown, p.MaxCooldown)
	}
	return p
}

func (r *reader) durations(name, def string) []time.Duration {
	v := r.str(name, def)
	if v == "" {
		return nil // an empty schedule means one attempt and no retries
	}
	var out []time.Duration
	for _, part := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < 0 {
			r.fail(name, "must be a comma-separated list of durations such as 5s,5m,30m, got %q", part)
			return nil
		}
		out = append(out, d)
	}
	return out
}

func (r *reader) prefixes(name string) []netip.Prefix {
	v, _ := r.set(name)
	if v == "" {
		return nil
	}
	return r.prefixList(name, v)
}

func (r *reader) prefixList(name, v string) []netip.Prefix {
	var out []netip.Prefix
	for _, part := range strings.Split(v, ",") {
		p, err := netip.ParsePrefix(strings.TrimSpace(part))
		if err != nil {
			r.fail(name, "must be a comma-separated list of CIDRs such as 10.0.0.0/8, got %q", part)
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}

func (r *reader) ports(name string) []int {
	v, _ := r.set(name)
	if v == "" {
		return nil
	}
	var out []int
	for _, part := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > 65535 {
			r.fail(name, "must be a comma-separated list of ports from 1 to 65535 such as 8443,9443, got %q", part)
			continue
		}
		out = append(out, n)
	}
	return out
}

// tenantPrefixes reads "client:<id>=<cidr>,<cidr>;org:<id>=<cidr>": each
// tenant once, with at least one CIDR.
func (r *reader) tenantPrefixes(name string) []TenantCIDRs {
	v, _ := r.set(name)
	var out []TenantCIDRs
	seen := map[string]bool{}
	for _, entry := range strings.Split(v, ";") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		tenant, cidrs, ok := strings.Cut(entry, "=")
		tenant = strings.TrimSpace(tenant)
		kind, id, _ := strings.Cut(tenant, ":")
		if !ok || (kind != "client" && kind != "org") || id == "" || strings.TrimSpace(id) != id || strings.TrimSpace(cidrs) == "" {
			r.fail(name, "must be ;-separated entries client:<clientId>=<cidr>,... or org:<organizationId>=<cidr>,..., such as client:client-a=10.1.0.0/16;org:acme=10.2.0.0/16, got %q", entry)
			continue
		}
		if seen[tenant] {
			r.fail(name, "names %s twice", tenant)
			continue
		}
		seen[tenant] = true
		out = append(out, TenantCIDRs{Organization: kind == "org", ID: id, Prefixes: r.prefixList(name, cidrs)})
	}
	return out
}

// rateLimit reads RATE[,BURST]: RATE tokens a second (a decimal such as 0.5
// allowed), BURST a whole number defaulting to twice RATE; off or 0 turns
// the limit off.
func (r *reader) rateLimit(name, def string) RateLimit {
	v := r.str(name, def)
	if v == "0" || strings.EqualFold(v, "off") {
		return RateLimit{}
	}
	perSecond, burst, hasBurst := strings.Cut(v, ",")
	l := RateLimit{}
	rate, err := strconv.ParseFloat(strings.TrimSpace(perSecond), 64)
	ok := err == nil && rate > 0 && rate <= maxRate // also refuses NaN and Inf
	if ok {
		l = RateLimit{PerSecond: rate, Burst: int(math.Ceil(2 * rate))}
	}
	if hasBurst {
		n, err := strconv.Atoi(strings.TrimSpace(burst))
		ok = ok && err == nil && n >= 1 && n <= maxRate
		l.Burst = n
	}
	if !ok {
		r.fail(name, "must be requests per second with an optional burst, such as 50 or 50,100 (each above 0, at most %d), or off; got %q", maxRate, v)
		return RateLimit{}
	}
	return l
}
