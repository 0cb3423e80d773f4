package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

func writePublicKey(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func claims(exp time.Time) jwt.MapClaims {
	return jwt.MapClaims{"sub": "u1", "client_id": "c1", "facilities": []string{"P-1"}, "org_id": "o1", "roles": []string{"integrator"}, "exp": exp.Unix(), "iss": "idp", "aud": "hookflow"}
}

func TestVerifyAcceptsRS256AndES256WithAPublicKey(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		method jwt.SigningMethod
		priv   any
		pub    any
	}{
		{"RS256", jwt.SigningMethodRS256, rsaKey, &rsaKey.PublicKey},
		{"ES256", jwt.SigningMethodES256, ecKey, &ecKey.PublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := auth.LoadPublicKey(writePublicKey(t, tt.pub))
			if err != nil {
				t.Fatal(err)
			}
			v := auth.NewVerifier(auth.Keys{PublicKey: pub, Issuer: "idp", Audience: "hookflow"})
			token, err := jwt.NewWithClaims(tt.method, claims(time.Now().Add(time.Hour))).SignedString(tt.priv)
			if err != nil {
				t.Fatal(err)
			}
			p, err := v.Verify(token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Subject != "u1" || p.ClientID != "c1" || p.OrgID != "o1" || !slices.Equal(p.Facilities, []string{"P-1"}) || !p.Has(auth.RoleIntegrator) {
				t.Errorf("principal = %+v", p)
			}
			// An HS256 token signed with the public key's bytes is the classic confusion attack.
			hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(time.Now().Add(time.Hour))).SignedString([]byte("anything"))
			if _, err := v.Verify(hs); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("HS256 token accepted by a public-key verifier: %v", err)
			}
		})
	}
}

func TestVerifyChecksIssuerAndAudienceWhenConfigured(t *testing.T) {
	secret := []byte("a-secret-that-is-at-least-thirty-two-bytes")
	v := auth.NewVerifier(auth.Keys{Secret: secret, Issuer: "idp", Audience: "hookflow"})
	sign := func(c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := v.Verify(sign(claims(time.Now().Add(time.Hour)))); err != nil {
		t.Errorf("matching issuer and audience refused: %v", err)
	}
	wrongIss := claims(time.Now().Add(time.Hour))
	wrongIss["iss"] = "someone-else"
	wrongAud := claims(time.Now().Add(time.Hour))
	wrongAud["aud"] = "another-service"
	for name, c := range map[string]jwt.MapClaims{"issuer": wrongIss, "audience": wrongAud} {
		if _, err := v.Verify(sign(c)); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("wrong %s accepted: %v", name, err)
		}
	}
}

func TestClientIDDefaultsToSubjectAndAdminHoldsEveryRole(t *testing.T) {
	keys := auth.Keys{Secret: []byte("a-secret-that-is-at-least-thirty-two-bytes")}
	token, err := auth.Mint(keys, auth.Principal{Subject: "u9", Roles: []auth.Role{auth.RoleAdmin}}, time.Minute, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p, err := auth.NewVerifier(keys).Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	if p.ClientID != "u9" || !p.Has(auth.RoleSupport) || !p.Has(auth.RolePublisher) || !p.MayUseFacility("any") {
		t.Errorf("principal = %+v", p)
	}
	if _, err := auth.Mint(auth.Keys{}, p, time.Minute, time.Now()); err == nil {
		t.Error("minting without a secret succeeded")
	}
}

func TestVerifyRefusesClaimsPastTheLimits(t *testing.T) {
	keys := auth.Keys{Secret: []byte("a-secret-that-is-at-least-thirty-two-bytes")}
	v := auth.NewVerifier(keys)
	sign := func(extra jwt.MapClaims) string {
		c := jwt.MapClaims{"sub": "u1", "roles": []string{"integrator"}, "facilities": []string{"P-1"}, "exp": time.Now().Add(time.Minute).Unix()}
		for k, val := range extra {
			c[k] = val
		}
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(keys.Secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "x"
		}
		return out
	}
	atLimit := strings.Repeat("é", hookflow.MaxIDLength) // characters, not bytes
	if _, err := v.Verify(sign(jwt.MapClaims{"sub": atLimit, "client_id": atLimit, "org_id": atLimit,
		"facilities": many(hookflow.MaxFacilities), "roles": many(hookflow.MaxRoles)})); err != nil {
		t.Fatalf("claims at the limits refused: %v", err)
	}
	tooLong := strings.Repeat("a", hookflow.MaxIDLength+1)
	for name, extra := range map[string]jwt.MapClaims{
		"sub with NUL":        {"sub": "u\x00"},
		"sub too long":        {"sub": tooLong},
		"client_id with NUL":  {"client_id": "\x00"},
		"client_id too long":  {"client_id": tooLong},
		"org_id too long":     {"org_id": tooLong},
		"org_id with NUL":     {"org_id": "o\x00"},
		"facility too long":   {"facilities": []string{"P-1", tooLong}},
		"facility with NUL":   {"facilities": []string{"P-\x001"}},
		"too many facilities": {"facilities": many(hookflow.MaxFacilities + 1)},
		"too many roles":      {"roles": many(hookflow.MaxRoles + 1)},
		"role too long":       {"roles": []string{"integrator", tooLong}},
		"role with NUL":       {"roles": []string{"integrator\x00"}},
	} {
		if _, err := v.Verify(sign(extra)); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("%s: Verify = %v, want ErrInvalidToken", name, err)
		}
	}
}

func TestMintPortalHoldsOnlyTheIntegratorRoleOfOneClient(t *testing.T) {
	keys := auth.Keys{Secret: []byte("a-secret-that-is-long-enough-for-hs256"), Issuer: "hookflow", Audience: "portal-test"}
	v := auth.NewVerifier(keys)
	now := time.Now().Truncate(time.Second) // exp has whole seconds
	tok, err := v.MintPortal("client-a", []string{"P-1", "P-2"}, 30*time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("the server refuses its own portal token: %v", err)
	}
	if p.ClientID != "client-a" || !slices.Equal(p.Facilities, []string{"P-1", "P-2"}) || !slices.Equal(p.Roles, []auth.Role{auth.RoleIntegrator}) {
		t.Fatalf("principal = %+v, want only integrator of client-a on P-1, P-2", p)
	}
	var c auth.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil {
		t.Fatal(err)
	}
	if got := c.ExpiresAt.Sub(now); got != 30*time.Minute {
		t.Errorf("token lives %s, want 30m", got)
	}
	if _, err := v.MintPortal("client-a", []string{"P-1"}, auth.MaxPortalTTL+time.Second, now); err == nil {
		t.Error("a portal token longer than MaxPortalTTL was minted")
	}
}

func TestMintPortalRefusesWithAPublicKey(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// The development secret may still be configured; it must not sign tokens the verifier would refuse.
	v := auth.NewVerifier(auth.Keys{Secret: []byte("a-secret-that-is-long-enough-for-hs256"), PublicKey: &ecKey.PublicKey})
	if _, err := v.MintPortal("client-a", []string{"P-1"}, time.Hour, time.Now()); !errors.Is(err, auth.ErrCannotMint) {
		t.Fatalf("MintPortal with a public key = %v, want ErrCannotMint", err)
	}
	if _, err := v.MintOrganizationPortal("org-a", time.Hour, time.Now()); !errors.Is(err, auth.ErrCannotMint) {
		t.Fatalf("MintOrganizationPortal with a public key = %v, want ErrCannotMint", err)
	}
}
