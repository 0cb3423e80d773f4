package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// prodStack is the production-shaped stack of scripts/prod-stack.sh (`make
// prod-up`): the Temporal server built from its module on a PostgreSQL
// cluster of its own, its frontend behind mutual TLS. `-stack prod` runs the
// scenarios there instead of on a dev server, with the exports of
// `scripts/prod-stack.sh env` in the environment.
type prodStack struct {
	temporal    string
	databaseURL string // Hookflow's cluster, where each scenario gets a database
	temporalDB  string // Temporal's cluster, counted with PostgreSQL's CPU
	tls         *tls.Config
	env         []string // Hookflow's HOOKFLOW_TEMPORAL_TLS_* settings
	serverPID   int
}

func loadProdStack() (*prodStack, error) {
	v := map[string]string{}
	for _, name := range []string{"HOOKFLOW_PROD_TEMPORAL_ADDRESS", "HOOKFLOW_PROD_DATABASE_URL", "HOOKFLOW_PROD_TEMPORAL_DATABASE_URL",
		"HOOKFLOW_PROD_TLS_CA_FILE", "HOOKFLOW_PROD_TLS_CERT_FILE", "HOOKFLOW_PROD_TLS_KEY_FILE", "HOOKFLOW_PROD_TLS_SERVER_NAME", "HOOKFLOW_PROD_DATA_DIR"} {
		if v[name] = os.Getenv(name); v[name] == "" {
			return nil, fmt.Errorf("-stack prod: %s is not set; run `make prod-up` and eval \"$(scripts/prod-stack.sh env)\" (make bench-prod does)", name)
		}
	}
	pem, err := os.ReadFile(v["HOOKFLOW_PROD_TLS_CA_FILE"])
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", v["HOOKFLOW_PROD_TLS_CA_FILE"])
	}
	cert, err := tls.LoadX509KeyPair(v["HOOKFLOW_PROD_TLS_CERT_FILE"], v["HOOKFLOW_PROD_TLS_KEY_FILE"])
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(v["HOOKFLOW_PROD_DATA_DIR"], "temporal-server.pid"))
	if err != nil {
		return nil, fmt.Errorf("-stack prod: the Temporal server's pid: %w", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	return &prodStack{
		temporal:    v["HOOKFLOW_PROD_TEMPORAL_ADDRESS"],
		databaseURL: v["HOOKFLOW_PROD_DATABASE_URL"],
		temporalDB:  v["HOOKFLOW_PROD_TEMPORAL_DATABASE_URL"],
		tls: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, Certificates: []tls.Certificate{cert},
			ServerName: v["HOOKFLOW_PROD_TLS_SERVER_NAME"]},
		env: []string{
			"HOOKFLOW_TEMPORAL_TLS_CA_FILE=" + v["HOOKFLOW_PROD_TLS_CA_FILE"],
			"HOOKFLOW_TEMPORAL_TLS_CERT_FILE=" + v["HOOKFLOW_PROD_TLS_CERT_FILE"],
			"HOOKFLOW_TEMPORAL_TLS_KEY_FILE=" + v["HOOKFLOW_PROD_TLS_KEY_FILE"],
			"HOOKFLOW_TEMPORAL_TLS_SERVER_NAME=" + v["HOOKFLOW_PROD_TLS_SERVER_NAME"],
		},
		serverPID: pid,
	}, nil
}

// temporalPostmaster is the postmaster of Temporal's own cluster, 0 when it
// cannot tell.
func (p *prodStack) temporalPostmaster(ctx context.Context) int {
	admin, err := adminURL(p.temporalDB)
	if err != nil {
		return 0
	}
	return findPostmaster(ctx, admin)
}
