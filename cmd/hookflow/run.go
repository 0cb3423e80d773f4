package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/dispatch"
	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/metrics"
	"github.com/hookflow/hookflow/migrations"
	"github.com/hookflow/hookflow/storage"
	"github.com/hookflow/hookflow/worker"
)

// roles says which parts of Hookflow a process runs.
type roles struct {
	api, worker, migrate bool
}

const (
	drainTimeout = 30 * time.Second
	// attemptOverhead is the time an attempt may take beyond the HTTP
	// timeout: loading the webhook and recording the outcome.
	attemptOverhead = 10 * time.Second
	// backlogTimeout bounds the retry backlog query of a scrape.
	backlogTimeout = 2 * time.Second
)

func newLogger(cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if cfg.Production() {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// run wires the requested roles and blocks until ctx ends, then drains them.
func run(ctx context.Context, cfg config.Config, r roles, logger *slog.Logger) error {
	// A bad key file stops the process before anything starts.
	keys, err := jwtKeys(cfg)
	if err != nil {
		return err
	}
	// So does a bad certificate file of the Temporal client.
	topts, err := temporalOptions(cfg, sdklog.NewStructuredLogger(logger), nil)
	if err != nil {
		return err
	}
	// Listen first: an address in use stops the process before it touches
	// the database or the schedules.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (HOOKFLOW_HTTP_ADDR): %w", cfg.HTTPAddr, err)
	}
	defer ln.Close()
	if cfg.PprofAddr != "" {
		stopProfiler, err := serveProfiler(ctx, cfg.PprofAddr, logger)
		if err != nil {
			return err
		}
		defer stopProfiler()
	}
	db, err := storage.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	stores := db.Stores(cfg.EncryptionKeys).WithQuotas(cfg.Quotas).WithLogger(logger) // quotas and bounds (issue 18); filter failures logged (issue 21)
	if r.migrate {
		if err := migrateAndSeal(ctx, db, stores.Secrets, logger); err != nil {
			return err
		}
	}
	m, err := metrics.New(logger)
	if err != nil {
		return err
	}
	defer func() { _ = m.Shutdown(context.WithoutCancel(ctx)) }()
	if err := m.WatchRetryBacklog(stores.Deliveries, backlogTimeout); err != nil {
		return err
	}
	topts.MetricsHandler = m.TemporalHandler()
	tc, err := client.DialContext(ctx, topts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s (HOOKFLOW_TEMPORAL_ADDRESS): %w", cfg.TemporalAddress, err)
	}
	defer tc.Close()

	if r.worker {
		if err := worker.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace, logger); err != nil {
			return err
		}
		guard := egressGuard(cfg, logger)
		// The worker's dispatcher never starts eagerly: the workflows it
		// starts (operational events, recoveries) go through the task queue.
		workerDispatch := newDispatcher(stores, tc, cfg, false, logger)
		w := worker.New(tc, worker.Options{TaskQueue: cfg.TaskQueue}, worker.Activities{
			Delivery: activities.New(stores.Deliveries, m.CountAttempts(egress.NewClient(guard, cfg.DeliveryTimeout, hookflow.UserAgent(), logger)), logger,
				// A half-open probe holds its endpoint for an attempt's
				// longest (see workflows.inlineMargin) and a margin.
				activities.WithEndpointPolicy(cfg.Endpoint, cfg.DeliveryTimeout+attemptOverhead+time.Minute),
				// A state change publishes its operational event and wakes
				// the endpoint's waiting deliveries at once; the outbox sweep
				// catches what a crash leaves.
				activities.WithEndpointWatcher(workerDispatch),
			),
			Retention:            activities.NewRetention(stores.Retention),
			Recover:              workerDispatch.RecoverStranded,
			RecoverEndpointBatch: workerDispatch.RecoverEndpointBatch,
			FailEndpointRecovery: workerDispatch.FailEndpointRecovery,
		})
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker on task queue %s: %w", cfg.TaskQueue, err)
		}
		// Deferred so the API drains first and the worker finishes its tasks after.
		defer w.Stop()
		logger.Info("worker started", "task_queue", cfg.TaskQueue, "namespace", cfg.TemporalNamespace)
		if err := worker.EnsureRetentionSchedule(ctx, tc, worker.RetentionOptions{TaskQueue: cfg.TaskQueue, Retention: cfg.LogRetention}, logger); err != nil {
			return err
		}
		if err := worker.EnsureRecoverySchedule(ctx, tc, worker.RecoveryOptions{TaskQueue: cfg.TaskQueue}, logger); err != nil {
			return err
		}
		worker.EnsureNamespaceRetention(ctx, tc, cfg.TemporalNamespace, cfg.LogRetention, logger)
	}
	if !r.api {
		// A worker alone serves only its metrics.
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		return serve(ctx, ln, mux, "metrics listening", logger)
	}
	// Only a worker in this process can take eager starts.
	dispatcher := newDispatcher(stores, tc, cfg, r.worker, logger)
	server := api.NewServer(api.Deps{
		Logger:   logger,
		Verifier: auth.NewVerifier(keys),
		Database: db,
		Temporal: worker.TemporalPinger{Client: tc},
		Stores: api.Stores{
			Webhooks: stores.Webhooks, Deliveries: stores.Deliveries, Logs: stores.Logs, Catalog: stores.Catalog,
			SamplePayloads: stores.SamplePayloads, Subscriptions: stores.Subscriptions, Secrets: stores.Secrets, Activity: stores.Activity,
			Processors: stores.Deliveries, Endpoints: stores.Endpoints, Recoveries: stores.Recoveries,
		},
		Dispatcher: m.CountPublishes(dispatcher),
		Metrics:    m,
	}, api.Options{MaxPayloadBytes: cfg.MaxPayloadBytes, AllowInsecureURLs: cfg.AllowInsecureURLs,
		SecretRotationOverlap: cfg.SecretRotationOverlap, TargetPorts: targetPorts(cfg),
		RateLimit: api.RateLimit(cfg.RateLimit), PublishRateLimit: api.RateLimit(cfg.PublishRateLimit)})
	return serve(ctx, ln, server, "api listening", logger)
}

// serve answers on ln until ctx ends, then drains.
func serve(ctx context.Context, ln net.Listener, h http.Handler, what string, logger *slog.Logger) error {
	logger.Info(what, "addr", ln.Addr().String())
	err := api.Serve(ctx, ln, h, drainTimeout)
	logger.Info("shutting down")
	return err
}

func newDispatcher(stores storage.Stores, tc client.Client, cfg config.Config, eager bool, logger *slog.Logger) *dispatch.Dispatcher {
	return dispatch.New(dispatch.Stores{Catalog: stores.Catalog, Events: stores.Events, Deliveries: stores.Deliveries, Activity: stores.Activity,
		EndpointChanges: stores.EndpointChanges, Recoveries: stores.Recoveries}, tc, dispatch.Options{
		TaskQueue:      cfg.TaskQueue,
		RetrySchedule:  cfg.RetrySchedule,
		AttemptTimeout: cfg.DeliveryTimeout + attemptOverhead,
		EagerStart:     eager,
	}, logger)
}

func migrate(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	db, err := storage.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrateAndSeal(ctx, db, db.Stores(cfg.EncryptionKeys).Secrets, logger)
}

// migrateAndSeal applies the schema migrations, then seals the secrets
// stored in plaintext before secrets were sealed at rest, which SQL cannot.
func migrateAndSeal(ctx context.Context, db *storage.DB, secrets *storage.SecretStore, logger *slog.Logger) error {
	if err := migrations.Up(ctx, db.Pool(), logger); err != nil {
		return err
	}
	n, err := secrets.SealPlaintextSecrets(ctx)
	if err != nil {
		return fmt.Errorf("seal plaintext secrets: %w", err)
	}
	if n > 0 {
		logger.InfoContext(ctx, "plaintext secrets sealed", "count", n)
	}
	return nil
}

// rotateKeys re-wraps every secret under the newest key of
// HOOKFLOW_ENCRYPTION_KEYS and prints the counts.
func rotateKeys(ctx context.Context, cfg config.Config, out io.Writer) error {
	db, err := storage.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := db.Stores(cfg.EncryptionKeys).Secrets.RotateKeys(ctx)
	if err != nil {
		return err
	}
	current := cfg.EncryptionKeys.CurrentKeyID()
	if _, err := fmt.Fprintf(out, "Secrets re-encrypted under key %s: %d\nPlaintext secrets sealed: %d\nSecrets still under an older key: %d\n",
		current, r.Rewrapped, r.Sealed, r.Remaining); err != nil {
		return err
	}
	if r.Remaining > 0 {
		return fmt.Errorf("%d secrets are still under an older key: restart every process with key %s first in HOOKFLOW_ENCRYPTION_KEYS, then run rotate-keys again", r.Remaining, current)
	}
	return nil
}

// purge counts what the retention purge would delete, or runs it now through
// its schedule so that it is recorded like every other purge.
func purge(ctx context.Context, cfg config.Config, dryRun bool, out io.Writer) error {
	if dryRun {
		db, err := storage.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		cutoff := time.Now().Add(-cfg.LogRetention)
		counts, err := db.Stores(cfg.EncryptionKeys).Retention.PurgeCandidates(ctx, cutoff)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "A purge now would delete, from before %s (retention %s):\n  deliveries: %d\n  attempts:   %d\n  events:     %d\n",
			cutoff.UTC().Format(time.RFC3339), cfg.LogRetention, counts.Deliveries, counts.Attempts, counts.Events)
		return err
	}
	topts, err := temporalOptions(cfg, sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)), nil)
	if err != nil {
		return err
	}
	tc, err := client.DialContext(ctx, topts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s (HOOKFLOW_TEMPORAL_ADDRESS): %w", cfg.TemporalAddress, err)
	}
	defer tc.Close()
	scheduleID := worker.RetentionScheduleID(cfg.TaskQueue)
	if err := tc.ScheduleClient().GetHandle(ctx, scheduleID).Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		return fmt.Errorf("trigger schedule %s (is a worker running?): %w", scheduleID, err)
	}
	_, err = fmt.Fprintf(out, "Purge started by schedule %s; follow it in the Temporal UI.\n", scheduleID)
	return err
}

// checkAPI asks the API on this host for its health, for container checks
// on images without curl.
func checkAPI(ctx context.Context, cfg config.Config) error {
	_, port, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HOOKFLOW_HTTP_ADDR %q: %w", cfg.HTTPAddr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthcheck", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s", resp.Status)
	}
	return nil
}

// checkDependencies pings PostgreSQL and Temporal with the configuration.
func checkDependencies(ctx context.Context, cfg config.Config) error {
	ctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	db, err := storage.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	db.Close()
	topts, err := temporalOptions(cfg, sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)), nil)
	if err != nil {
		return err
	}
	tc, err := client.DialContext(ctx, topts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", cfg.TemporalAddress, err)
	}
	defer tc.Close()
	return worker.TemporalPinger{Client: tc}.Ping(ctx)
}

func jwtKeys(cfg config.Config) (auth.Keys, error) {
	keys := auth.Keys{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience}
	if cfg.JWTPublicKeyFile == "" {
		keys.Secret = []byte(cfg.JWTSecret)
		return keys, nil
	}
	pk, err := auth.LoadPublicKey(cfg.JWTPublicKeyFile)
	if err != nil {
		return auth.Keys{}, fmt.Errorf("HOOKFLOW_JWT_PUBLIC_KEY_FILE: %w", err)
	}
	keys.PublicKey = pk
	return keys, nil
}

// temporalOptions are the client settings of every command that talks to
// Temporal. Requests go uncompressed unless HOOKFLOW_TEMPORAL_GZIP says
// otherwise: they carry ids, not payloads, and gzip cost a tenth of the
// process's CPU in a burst. TLS, a client certificate and an API key come
// from HOOKFLOW_TEMPORAL_TLS_* and HOOKFLOW_TEMPORAL_API_KEY.
func temporalOptions(cfg config.Config, logger sdklog.Logger, metrics client.MetricsHandler) (client.Options, error) {
	opts := client.Options{HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace, Logger: logger, MetricsHandler: metrics}
	if !cfg.TemporalGzip {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	tlsConf, err := temporalTLS(cfg.Temporal)
	if err != nil {
		return client.Options{}, err
	}
	opts.ConnectionOptions.TLS = tlsConf
	if cfg.Temporal.APIKey != "" {
		// Temporal Cloud's API keys: sent as "authorization: Bearer <key>" on every call.
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.Temporal.APIKey)
	}
	return opts, nil
}

// targetPorts are the ports deliveries may use, for the API's checks and the
// guard's: any once private targets are allowed (development, where local
// receivers listen on any port), else 443, 80 and the configured ones.
func targetPorts(cfg config.Config) hookflow.TargetPorts {
	return hookflow.TargetPorts{Any: cfg.AllowPrivateTargets, Extra: cfg.AllowedTargetPorts}
}

// egressGuard is the SSRF guard of every delivery.
func egressGuard(cfg config.Config, logger *slog.Logger) egress.Guard {
	if len(cfg.AllowedTargetCIDRs) > 0 && cfg.Production() {
		// Kept working for existing deployments, but it is rarely what a
		// multi-tenant operator means.
		logger.Warn("HOOKFLOW_ALLOWED_TARGET_CIDRS opens its networks to every tenant's deliveries; HOOKFLOW_TENANT_TARGET_CIDRS opens a network to one client or organization",
			"cidrs", fmt.Sprint(cfg.AllowedTargetCIDRs))
	}
	guard := egress.Guard{AllowPrivate: cfg.AllowPrivateTargets, Allowed: cfg.AllowedTargetCIDRs, Ports: targetPorts(cfg)}
	for _, tc := range cfg.TenantTargetCIDRs {
		if guard.TenantAllowed == nil {
			guard.TenantAllowed = make(map[egress.Tenant][]netip.Prefix, len(cfg.TenantTargetCIDRs))
		}
		guard.TenantAllowed[egress.Tenant{Organization: tc.Organization, ID: tc.ID}] = tc.Prefixes
	}
	return guard
}
