package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/migrations"
	"github.com/hookflow/hookflow/storage"
)

// roles says which parts of Hookflow a process runs.
type roles struct {
	api, worker, migrate bool
}

const drainTimeout = 30 * time.Second

func newLogger(cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if cfg.Production() {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// run wires the requested roles and blocks until ctx ends, then drains them.
func run(ctx context.Context, cfg config.Config, r roles, logger *slog.Logger) error {
	db, err := storage.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if r.migrate {
		if err := migrations.Up(ctx, db.Pool(), logger); err != nil {
			return err
		}
	}
	tc, err := client.DialContext(ctx, client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    sdklog.NewStructuredLogger(logger),
	})
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s (HOOKFLOW_TEMPORAL_ADDRESS): %w", cfg.TemporalAddress, err)
	}
	defer tc.Close()

	if !r.api {
		<-ctx.Done()
		logger.Info("shutting down")
		return nil
	}
	keys, err := jwtKeys(cfg)
	if err != nil {
		return err
	}
	server := api.NewServer(api.Deps{
		Logger:   logger,
		Verifier: auth.NewVerifier(keys),
		Database: db,
		Temporal: temporalPinger{tc},
		Webhooks: db,
	}, api.Options{MaxPayloadBytes: cfg.MaxPayloadBytes, AllowInsecureURLs: cfg.AllowInsecureURLs})
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (HOOKFLOW_HTTP_ADDR): %w", cfg.HTTPAddr, err)
	}
	logger.Info("api listening", "addr", ln.Addr().String())
	return api.Serve(ctx, ln, server, drainTimeout)
}

func migrate(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	db, err := storage.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrations.Up(ctx, db.Pool(), logger)
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

// temporalPinger lets the health check probe the Temporal frontend.
type temporalPinger struct{ c client.Client }

func (p temporalPinger) Ping(ctx context.Context) error {
	if _, err := p.c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("temporal health: %w", err)
	}
	return nil
}
