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
	Env          string // HOOKFLOW_ENV, "development"

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

	// Rate limits per tenant, each RATE[,BURST] (tokens a second, at most
	// BURST saved up; BURST defaults to twice RATE) or off; see RateLimit.
	RateLimit        RateLimit // HOOKFLOW_RATE_LIMIT, 50,100: API requests per tenant
	PublishRateLimit RateLimit // HOOKFLOW_PUBLISH_RATE_LIMIT, 200,400: events per publisher
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
		Env:                 r.str("HOOKFLOW_ENV", EnvDevelopment),
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

		RateLimit:        r.rateLimit("HOOKFLOW_RATE_LIMIT", "50,100"),
		PublishRateLimit: r.rateLimit("HOOKFLOW_PUBLISH_RATE_LIMIT", "200,400"),
	}
	if cfg.Env != EnvDevelopment && cfg.Env != EnvProduction {
		r.fail("HOOKFLOW_ENV", "must be %q or %q, got %q", EnvDevelopment, EnvProduction, cfg.Env)
	}
	if cfg.Production() && cfg.JWTPublicKeyFile == "" && cfg.JWTSecret == DevelopmentJWTSecret {
		r.fail("HOOKFLOW_JWT_SECRET", "must be set in production: the development key is refused")
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

func (r *reader) positiveDuration(name, def string) time.Duration {
	v := r.str(name, def)
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "must be a positive duration such as 15s or 2h, got %q", v)
		return 0
	}
	return d
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
