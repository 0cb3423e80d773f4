package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/hookflow/hookflow/config"
)

// temporalTLS builds the client's TLS settings from HOOKFLOW_TEMPORAL_TLS_*,
// nil when TLS is off. A file that is missing or holds no usable PEM fails
// here, at start-up, naming its variable.
func temporalTLS(t config.TemporalTLS) (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("HOOKFLOW_TEMPORAL_TLS_CA_FILE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("HOOKFLOW_TEMPORAL_TLS_CA_FILE: %s holds no PEM certificate", t.CAFile)
		}
		conf.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("HOOKFLOW_TEMPORAL_TLS_CERT_FILE and HOOKFLOW_TEMPORAL_TLS_KEY_FILE: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}
