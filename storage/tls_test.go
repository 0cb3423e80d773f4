package storage_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/storage"
)

// tlsPostgres starts a PostgreSQL of the test's own that takes TLS with a
// server certificate of ca, and returns its host:port; it stops with the test.
func tlsPostgres(t *testing.T, ca *testenv.CA) string {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL server binaries under /usr/lib/postgresql")
	}
	sort.Strings(bins)
	bin := bins[len(bins)-1]
	// /var/tmp: the postgres user must reach the cluster's directory.
	base, err := os.MkdirTemp("/var/tmp", "hookflow-tls-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	dataDir := filepath.Join(base, "data")
	server := ca.Server(t, "postgres")
	for from, to := range map[string]string{server.CertFile: "server.crt", server.KeyFile: "server.key"} {
		raw, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		// PostgreSQL refuses a key others may read.
		if err := os.WriteFile(filepath.Join(base, to), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	asPostgres := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, name), args...)
		if os.Getuid() == 0 {
			cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
		cmd.Dir = "/"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	if os.Getuid() == 0 {
		if out, err := exec.Command("chown", "-R", "postgres:postgres", base).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v: %s", err, out)
		}
	}
	asPostgres("initdb", "-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s -c fsync=off -c ssl=on -c ssl_cert_file=%s -c ssl_key_file=%s",
		port, base, filepath.Join(base, "server.crt"), filepath.Join(base, "server.key"))
	asPostgres("pg_ctl", "-D", dataDir, "-w", "-t", "30", "-l", filepath.Join(base, "log"), "-o", opts, "start")
	t.Cleanup(func() { asPostgres("pg_ctl", "-D", dataDir, "-m", "immediate", "stop") })
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func TestOpenVerifiesTheServerCertificateWithTheConfiguredCA(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL of its own")
	}
	ca := testenv.NewCA(t)
	addr := tlsPostgres(t, ca)
	dsn := func(query url.Values) string {
		return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Host: addr, Path: "/postgres", RawQuery: query.Encode()}).String()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	db, err := storage.Open(ctx, dsn(url.Values{"sslmode": {"verify-full"}, "sslrootcert": {ca.File}}))
	if err != nil {
		t.Fatalf("verify-full with the CA: %v", err)
	}
	var ssl bool
	if err := db.Pool().QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil || !ssl {
		t.Errorf("connection encrypted = %v, %v; want TLS", ssl, err)
	}
	db.Close()

	// Without the CA, the system roots do not know the server's certificate.
	if db, err := storage.Open(ctx, dsn(url.Values{"sslmode": {"verify-full"}})); err == nil {
		db.Close()
		t.Fatal("verify-full without the CA connected")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("verify-full without the CA: %v, want a certificate error", err)
	}
	// A CA that did not sign the server's certificate is refused too.
	if db, err := storage.Open(ctx, dsn(url.Values{"sslmode": {"verify-full"}, "sslrootcert": {testenv.NewCA(t).File}})); err == nil {
		db.Close()
		t.Fatal("verify-full with another CA connected")
	}
}
