// Package auth verifies and mints the bearer JWTs that callers of the API
// present, and turns their claims into a Principal.
package auth

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookflow/hookflow"
)

// Role grants a family of operations.
type Role string

// Roles of the contract.
const (
	RoleIntegrator Role = "integrator"
	RolePublisher  Role = "publisher"
	RoleSupport    Role = "support"
	RoleAdmin      Role = "admin"
)

// Claims is the JWT body Hookflow reads.
type Claims struct {
	jwt.RegisteredClaims
	ClientID   string   `json:"client_id,omitempty"`
	Facilities []string `json:"facilities,omitempty"`
	OrgID      string   `json:"org_id,omitempty"`
	Roles      []Role   `json:"roles,omitempty"`
}

// Principal is the authenticated caller.
type Principal struct {
	Subject    string
	ClientID   string
	Facilities []string
	OrgID      string
	Roles      []Role
}

// Has reports whether the principal holds role; admin holds every role.
func (p Principal) Has(role Role) bool {
	return slices.Contains(p.Roles, role) || slices.Contains(p.Roles, RoleAdmin)
}

// HasAny reports whether the principal holds at least one of roles.
func (p Principal) HasAny(roles ...Role) bool {
	for _, r := range roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// MayUseFacility reports whether the facility is in the principal's claim.
func (p Principal) MayUseFacility(facility string) bool {
	return slices.Contains(p.Facilities, facility) || slices.Contains(p.Roles, RoleAdmin)
}

// ErrInvalidToken covers every reason a token is refused; callers only learn 401.
var ErrInvalidToken = errors.New("invalid token")

// Keys holds what verifies (and, with a secret, mints) tokens.
type Keys struct {
	Secret    []byte           // HS256
	PublicKey crypto.PublicKey // RS256 or ES256, used instead of Secret when set
	Issuer    string
	Audience  string
}

// LoadPublicKey reads a PEM RSA or EC public key.
func LoadPublicKey(path string) (crypto.PublicKey, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read public key: %w", err)
	}
	if k, err := jwt.ParseRSAPublicKeyFromPEM(pem); err == nil {
		return k, nil
	}
	k, err := jwt.ParseECPublicKeyFromPEM(pem)
	if err != nil {
		return nil, fmt.Errorf("parse public key %s: not an RSA or EC PEM public key", path)
	}
	return k, nil
}

// Verifier checks bearer tokens.
type Verifier struct {
	keys   Keys
	parser *jwt.Parser
}

// NewVerifier builds a Verifier that accepts only the algorithms of its key.
func NewVerifier(keys Keys) *Verifier {
	algs := []string{jwt.SigningMethodHS256.Alg()}
	if keys.PublicKey != nil {
		algs = []string{jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg()}
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods(algs), jwt.WithExpirationRequired(), jwt.WithLeeway(5 * time.Second)}
	if keys.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(keys.Issuer))
	}
	if keys.Audience != "" {
		opts = append(opts, jwt.WithAudience(keys.Audience))
	}
	return &Verifier{keys: keys, parser: jwt.NewParser(opts...)}
}

// Verify parses and checks a token and returns its principal.
func (v *Verifier) Verify(token string) (Principal, error) {
	var claims Claims
	_, err := v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		if v.keys.PublicKey != nil {
			return v.keys.PublicKey, nil
		}
		return v.keys.Secret, nil
	})
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Subject == "" && claims.ClientID == "" {
		return Principal{}, fmt.Errorf("%w: no sub or client_id", ErrInvalidToken)
	}
	if err := checkClaims(&claims); err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	p := Principal{
		Subject:    claims.Subject,
		ClientID:   claims.ClientID,
		Facilities: claims.Facilities,
		OrgID:      claims.OrgID,
		Roles:      claims.Roles,
	}
	if p.ClientID == "" {
		p.ClientID = p.Subject
	}
	return p, nil
}

// checkClaims refuses claims Hookflow could not store or use as ids: each
// string valid UTF-8 without NUL and at most hookflow.MaxIDLength
// characters, at most hookflow.MaxFacilities facilities and
// hookflow.MaxRoles roles. A signed token is no reason to trust its size.
func checkClaims(c *Claims) error {
	if len(c.Facilities) > hookflow.MaxFacilities {
		return fmt.Errorf("%d facilities, at most %d", len(c.Facilities), hookflow.MaxFacilities)
	}
	if len(c.Roles) > hookflow.MaxRoles {
		return fmt.Errorf("%d roles, at most %d", len(c.Roles), hookflow.MaxRoles)
	}
	for name, v := range map[string]string{"sub": c.Subject, "client_id": c.ClientID, "org_id": c.OrgID} {
		if !isClaimText(v) {
			return fmt.Errorf("claim %s is not text of at most %d characters", name, hookflow.MaxIDLength)
		}
	}
	for _, f := range c.Facilities {
		if !isClaimText(f) {
			return fmt.Errorf("a facilities entry is not text of at most %d characters", hookflow.MaxIDLength)
		}
	}
	for _, r := range c.Roles {
		if !isClaimText(string(r)) {
			return fmt.Errorf("a roles entry is not text of at most %d characters", hookflow.MaxIDLength)
		}
	}
	return nil
}

func isClaimText(s string) bool {
	return hookflow.IsText(s) && utf8.RuneCountInString(s) <= hookflow.MaxIDLength
}

// Mint signs an HS256 token for p that expires after ttl.
func Mint(keys Keys, p Principal, ttl time.Duration, now time.Time) (string, error) {
	if len(keys.Secret) == 0 {
		return "", errors.New("minting needs HOOKFLOW_JWT_SECRET (HS256); with a public key, mint with your identity provider")
	}
	if ttl <= 0 {
		return "", errors.New("ttl must be positive")
	}
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   p.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			Issuer:    keys.Issuer,
		},
		ClientID:   p.ClientID,
		Facilities: p.Facilities,
		OrgID:      p.OrgID,
		Roles:      p.Roles,
	}
	if keys.Audience != "" {
		claims.Audience = jwt.ClaimStrings{keys.Audience}
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(keys.Secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}

// Portal tokens: the short-lived tokens of portal links (POST /api/v2/portal/links).
const (
	DefaultPortalTTL = time.Hour      // a link's life when the platform names none
	MaxPortalTTL     = 24 * time.Hour // the longest a platform may ask for
)

// ErrCannotMint is returned when the server verifies tokens with a public
// key: it holds no key to sign with, and minting is the identity provider's.
var ErrCannotMint = errors.New("this server verifies tokens with a public key and cannot sign them")

// MintPortal signs, with the server's own HS256 key, a token that holds
// only the integrator role of clientID for facilities, expiring after ttl
// (at most MaxPortalTTL). It is the token a portal link carries, so the page
// can do exactly what that integrator's own token could.
func (v *Verifier) MintPortal(clientID string, facilities []string, ttl time.Duration, now time.Time) (string, error) {
	if v.keys.PublicKey != nil {
		return "", ErrCannotMint
	}
	if ttl > MaxPortalTTL {
		return "", fmt.Errorf("portal token ttl %s exceeds %s", ttl, MaxPortalTTL)
	}
	p := Principal{Subject: clientID, ClientID: clientID, Facilities: facilities, Roles: []Role{RoleIntegrator}}
	return Mint(v.keys, p, ttl, now)
}

// PortalSubject is the sub of an organization's portal token: what the
// subscriptions' audit fields show for changes made through the page.
const PortalSubject = "portal"

// MintOrganizationPortal signs, as MintPortal, a token for the admins of
// organization orgID: its org_id and no role at all, exactly what the
// organization routes (subscriptions, secrets, activity) take and nothing
// else (no integrator, publisher, support or admin route).
func (v *Verifier) MintOrganizationPortal(orgID string, ttl time.Duration, now time.Time) (string, error) {
	if v.keys.PublicKey != nil {
		return "", ErrCannotMint
	}
	if ttl > MaxPortalTTL {
		return "", fmt.Errorf("portal token ttl %s exceeds %s", ttl, MaxPortalTTL)
	}
	return Mint(v.keys, Principal{Subject: PortalSubject, OrgID: orgID}, ttl, now)
}
