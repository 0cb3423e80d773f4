// Package testenv gives integration tests a fresh PostgreSQL database and a
// Temporal client on the real services that `make test` starts.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/migrations"
	"github.com/hookflow/hookflow/sealing"
	"github.com/hookflow/hookflow/storage"
)

const hint = "integration tests need the services `make test` starts (HOOKFLOW_TEST_DATABASE_URL, HOOKFLOW_TEST_TEMPORAL_ADDRESS)"

// Database is a migrated database of its own, dropped by Drop.
type Database struct {
	DB *storage.DB
	// Stores are the per-aggregate stores on DB, for fixtures and wiring.
	Stores storage.Stores
	// Ring seals the secrets of Stores: TestEncryptionKeys.
	Ring  *sealing.KeyRing
	URL   string
	admin string
	name  string
}

// NewDatabase creates and migrates a database named after prefix.
func NewDatabase(ctx context.Context, prefix string) (*Database, error) {
	base := os.Getenv("HOOKFLOW_TEST_DATABASE_URL")
	if base == "" {
		return nil, fmt.Errorf("HOOKFLOW_TEST_DATABASE_URL is not set: %s", hint)
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("parse HOOKFLOW_TEST_DATABASE_URL: %w", err)
	}
	name := fmt.Sprintf("%s_%s", strings.ToLower(prefix), RandomID(6))
	admin := *u
	admin.Path = "/postgres"
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		return nil, fmt.Errorf("connect to test PostgreSQL (%s): %w", hint, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create test database: %w", err)
	}
	dbURL := *u
	dbURL.Path = "/" + name
	db, err := storage.Open(ctx, dbURL.String())
	if err != nil {
		return nil, err
	}
	if err := migrations.Up(ctx, db.Pool(), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		db.Close()
		return nil, err
	}
	ring := KeyRing()
	return &Database{DB: db, Stores: db.Stores(ring), Ring: ring, URL: dbURL.String(), admin: admin.String(), name: name}, nil
}

// TestEncryptionKeys is the HOOKFLOW_ENCRYPTION_KEYS of tests: one key,
// "test", neither the development key nor a production one.
const TestEncryptionKeys = "test:dGVzdC1lbmNyeXB0aW9uLWtleS1vZi1ob29rZmxvdyE="

// KeyRing is the ring of TestEncryptionKeys.
func KeyRing() *sealing.KeyRing {
	ring, err := sealing.ParseKeyRing(TestEncryptionKeys)
	if err != nil {
		panic(err) // a constant
	}
	return ring
}

// Drop closes the pool and removes the database.
func (d *Database) Drop(ctx context.Context) error {
	d.DB.Close()
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return fmt.Errorf("connect to drop test database: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop test database: %w", err)
	}
	return nil
}

// TemporalAddress is the dev server's address.
func TemporalAddress() (string, error) {
	addr := os.Getenv("HOOKFLOW_TEST_TEMPORAL_ADDRESS")
	if addr == "" {
		return "", fmt.Errorf("HOOKFLOW_TEST_TEMPORAL_ADDRESS is not set: %s", hint)
	}
	return addr, nil
}

// NewTemporalClient connects to the dev server's default namespace.
func NewTemporalClient(ctx context.Context) (client.Client, error) {
	addr, err := TemporalAddress()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: addr, Namespace: "default", Logger: quietTemporalLogger()})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", addr, err)
	}
	return c, nil
}

// RandomID returns n random bytes in hex, for names that must not collide.
func RandomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Setup prepares more of a package's environment and returns its cleanup.
type Setup func(ctx context.Context) (cleanup func(), err error)

// Main runs a package's tests with a database of its own, set in *db, and
// drops it afterwards; setups run after the database exists. Use it from
// TestMain.
func Main(m *testing.M, prefix string, db **Database, setups ...Setup) int {
	ctx := context.Background()
	d, err := NewDatabase(ctx, prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	*db = d
	defer func() {
		if err := d.Drop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
		}
	}()
	for _, setup := range setups {
		cleanup, err := setup(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		defer cleanup()
	}
	return m.Run()
}

// NewNamespace registers a namespace of the caller's own and waits until the
// server's caches know it, so a test's writes stay out of "default".
func NewNamespace(ctx context.Context, c client.Client, prefix string) (string, error) {
	ns := prefix + "-" + RandomID(4)
	_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)})
	if err != nil {
		return "", fmt.Errorf("register namespace %s: %w", ns, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
		if err == nil {
			return ns, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("namespace %s never became ready: %w", ns, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// WithTemporal is a Setup that connects *c to the dev server for the
// package's tests and closes it after them.
func WithTemporal(c *client.Client) Setup {
	return func(ctx context.Context) (func(), error) {
		tc, err := NewTemporalClient(ctx)
		if err != nil {
			return nil, err
		}
		*c = tc
		return tc.Close, nil
	}
}

// Token mints an hour-long token for p; the subject defaults to the client.
func Token(t testing.TB, keys auth.Keys, p auth.Principal) string {
	t.Helper()
	if p.Subject == "" {
		p.Subject = p.ClientID
	}
	tok, err := auth.Mint(keys, p, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
