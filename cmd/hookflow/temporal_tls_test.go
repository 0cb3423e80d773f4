package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/testenv"
)

// tlsProxy terminates TLS with a server certificate of the test CA (and,
// with clientCAs, requires a client certificate of it) and passes the bytes
// on to the Temporal dev server: Temporal behind TLS, as in a cluster.
func tlsProxy(t *testing.T, cert tls.Certificate, clientCAs *testenv.CA) *proxy {
	t.Helper()
	upstream, err := testenv.TemporalAddress()
	if err != nil {
		t.Skip(err)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12}
	if clientCAs != nil {
		conf.ClientAuth, conf.ClientCAs = tls.RequireAndVerifyClientCert, clientCAs.Pool
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			in := tls.Server(raw, conf)
			p.mu.Lock()
			p.conns = append(p.conns, in)
			p.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer in.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := in.HandshakeContext(ctx); err != nil {
					p.mu.Lock()
					p.refused = append(p.refused, err)
					p.mu.Unlock()
					return
				}
				out, err := net.Dial("tcp", upstream)
				if err != nil {
					return
				}
				defer out.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
				go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return p
}

type proxy struct {
	addr    string
	mu      sync.Mutex
	conns   []net.Conn
	refused []error // the handshakes the proxy refused
}

// refusedFor reports whether a handshake was refused with an error saying want.
func (p *proxy) refusedFor(want string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, err := range p.refused {
		if strings.Contains(err.Error(), want) {
			return true
		}
	}
	return false
}

// dialTemporal loads the configuration from env the way `hookflow` does and
// dials with temporalOptions.
func dialTemporal(t *testing.T, env map[string]string) (client.Client, error) {
	t.Helper()
	env["HOOKFLOW_ENV"] = config.EnvDevelopment
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	opts, err := temporalOptions(cfg, sdklog.NewStructuredLogger(testenv.DiscardLogger()), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tc, err := client.DialContext(ctx, opts)
	if err == nil {
		t.Cleanup(tc.Close)
	}
	return tc, err
}

// describe proves the connection carries calls: a health check and a
// namespace lookup.
func describe(t *testing.T, tc client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		t.Fatalf("CheckHealth over TLS: %v", err)
	}
	if _, err := tc.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"}); err != nil {
		t.Fatalf("DescribeNamespace over TLS: %v", err)
	}
}

func TestTemporalClientTrustsTheConfiguredCA(t *testing.T) {
	ca := testenv.NewCA(t)
	addr := tlsProxy(t, ca.Server(t, "temporal").TLS, nil).addr

	tc, err := dialTemporal(t, map[string]string{"HOOKFLOW_TEMPORAL_ADDRESS": addr, "HOOKFLOW_TEMPORAL_TLS_CA_FILE": ca.File})
	if err != nil {
		t.Fatalf("dial with the CA: %v", err)
	}
	describe(t, tc)

	// The system roots do not know the test CA.
	_, err = dialTemporal(t, map[string]string{"HOOKFLOW_TEMPORAL_ADDRESS": addr, "HOOKFLOW_TEMPORAL_TLS": "true"})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("dial without the CA: %v, want a certificate error", err)
	}
	// Nor does a plain-text client get through.
	if _, err := dialTemporal(t, map[string]string{"HOOKFLOW_TEMPORAL_ADDRESS": addr}); err == nil {
		t.Fatal("a plain-text client talked to a TLS server")
	}
}

func TestTemporalClientPresentsItsCertificateForMutualTLS(t *testing.T) {
	ca := testenv.NewCA(t)
	p := tlsProxy(t, ca.Server(t, "temporal").TLS, ca)
	addr := p.addr

	// Under TLS 1.3 the client may see the refusal as a broken pipe; the
	// server says why.
	if _, err := dialTemporal(t, map[string]string{"HOOKFLOW_TEMPORAL_ADDRESS": addr, "HOOKFLOW_TEMPORAL_TLS_CA_FILE": ca.File}); err == nil {
		t.Fatal("dial without a client certificate succeeded")
	}
	waitFor(t, 5*time.Second, "the proxy to refuse a handshake without a client certificate", func() bool { return p.refusedFor("didn't provide a certificate") })
	// A client certificate of another CA is refused too.
	stranger := testenv.NewCA(t).Client(t, "stranger")
	if _, err := dialTemporal(t, map[string]string{"HOOKFLOW_TEMPORAL_ADDRESS": addr, "HOOKFLOW_TEMPORAL_TLS_CA_FILE": ca.File,
		"HOOKFLOW_TEMPORAL_TLS_CERT_FILE": stranger.CertFile, "HOOKFLOW_TEMPORAL_TLS_KEY_FILE": stranger.KeyFile}); err == nil {
		t.Fatal("dial with another CA's client certificate succeeded")
	}
	waitFor(t, 5*time.Second, "the proxy to refuse a client certificate of another CA", func() bool { return p.refusedFor("unknown authority") })

	hookflow := ca.Client(t, "hookflow")
	tc, err := dialTemporal(t, map[string]string{"HOOKFLOW_TEMPORAL_ADDRESS": addr, "HOOKFLOW_TEMPORAL_TLS_CA_FILE": ca.File,
		"HOOKFLOW_TEMPORAL_TLS_CERT_FILE": hookflow.CertFile, "HOOKFLOW_TEMPORAL_TLS_KEY_FILE": hookflow.KeyFile})
	if err != nil {
		t.Fatalf("dial with the client certificate: %v", err)
	}
	describe(t, tc)
}

// fakeFrontend answers the one call a client makes on dialling and keeps the
// authorization metadata it came with.
type fakeFrontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	mu            sync.Mutex
	authorization []string
}

func (f *fakeFrontend) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.authorization = append(f.authorization, md.Get("authorization")...)
	f.mu.Unlock()
	return &workflowservice.GetSystemInfoResponse{}, nil
}

func TestTemporalAPIKeyTravelsAsABearerTokenOverTLS(t *testing.T) {
	ca := testenv.NewCA(t)
	server := ca.Server(t, "temporal-cloud")
	frontend := &fakeFrontend{}
	gs := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{server.TLS}, MinVersion: tls.VersionTLS12})))
	workflowservice.RegisterWorkflowServiceServer(gs, frontend)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(ln) }()
	t.Cleanup(gs.Stop)

	// The server speaks TLS only: the key turns TLS on by itself.
	if _, err := dialTemporal(t, map[string]string{"HOOKFLOW_TEMPORAL_ADDRESS": ln.Addr().String(), "HOOKFLOW_TEMPORAL_TLS_CA_FILE": ca.File,
		"HOOKFLOW_TEMPORAL_API_KEY": "tcld-key-1"}); err != nil {
		t.Fatalf("dial with the API key: %v", err)
	}
	frontend.mu.Lock()
	defer frontend.mu.Unlock()
	if len(frontend.authorization) == 0 || frontend.authorization[0] != "Bearer tcld-key-1" {
		t.Errorf("authorization metadata = %q, want [Bearer tcld-key-1]", frontend.authorization)
	}
}

func TestTemporalTLSFilesFailNamingTheirVariable(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := testenv.NewCA(t)
	client := ca.Client(t, "hookflow")
	tests := []struct {
		name string
		tls  config.TemporalTLS
		want string
	}{
		{"missing CA", config.TemporalTLS{Enabled: true, CAFile: filepath.Join(dir, "absent.pem")}, "HOOKFLOW_TEMPORAL_TLS_CA_FILE"},
		{"CA that is not PEM", config.TemporalTLS{Enabled: true, CAFile: notPEM}, "HOOKFLOW_TEMPORAL_TLS_CA_FILE"},
		{"missing client key", config.TemporalTLS{Enabled: true, CertFile: client.CertFile, KeyFile: filepath.Join(dir, "absent.key")}, "HOOKFLOW_TEMPORAL_TLS_KEY_FILE"},
		{"key of another certificate", config.TemporalTLS{Enabled: true, CertFile: client.CertFile, KeyFile: ca.Server(t, "other").KeyFile}, "HOOKFLOW_TEMPORAL_TLS_CERT_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := temporalTLS(tt.tls)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("temporalTLS: %v, want an error naming %s", err, tt.want)
			}
		})
	}
	if conf, err := temporalTLS(config.TemporalTLS{}); conf != nil || err != nil {
		t.Errorf("TLS off: %v, %v", conf, err)
	}
}

func TestServeStopsAtStartUpOnABadTemporalCA(t *testing.T) {
	t.Setenv("HOOKFLOW_TEMPORAL_TLS_CA_FILE", filepath.Join(t.TempDir(), "absent.pem"))
	t.Setenv("HOOKFLOW_HTTP_ADDR", "127.0.0.1:0")
	_, err := execute(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "HOOKFLOW_TEMPORAL_TLS_CA_FILE") {
		t.Fatalf("serve: %v, want it stopped naming HOOKFLOW_TEMPORAL_TLS_CA_FILE", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve: %v, want the missing file as the cause", err)
	}
}
