package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/auth"
)

// PortalMinter signs the short-lived integrator tokens of portal links
// (*auth.Verifier, which holds the server's key).
type PortalMinter interface {
	MintPortal(clientID string, facilities []string, ttl time.Duration, now time.Time) (string, error)
	MintOrganizationPortal(orgID string, ttl time.Duration, now time.Time) (string, error)
}

// portalHandlers mint portal links: a platform (publisher or admin) hands
// one integrator a link to /portal carrying a token scoped to that
// integrator, and the page calls the public API with it.
type portalHandlers struct {
	minter PortalMinter
	bind   *binder
	now    func() time.Time
}

func newPortalHandlers(minter PortalMinter, bind *binder) *portalHandlers {
	return &portalHandlers{minter: minter, bind: bind, now: time.Now}
}

// portalLinkBody is the body of POST /api/v2/portal/links; expiresIn is in
// seconds, between a minute and auth.MaxPortalTTL.
type portalLinkBody struct {
	ClientID   string   `json:"clientId" validate:"string,not_empty,text,max_length=MaxIDLength"`
	Facilities []string `json:"facilities" validate:"array,min_items=1,max_items=MaxFacilities,each_string,each_text,each_max_length=MaxIDLength"`
	ExpiresIn  *int     `json:"expiresIn" validate:"optional,int,min_num=60,max_num=86400"`
}

// orgPortalLinkBody is the other form of the body: a link for an
// organization's admins to its subscriptions.
type orgPortalLinkBody struct {
	OrganizationID string `json:"organizationId" validate:"string,not_empty,text,max_length=MaxIDLength"`
	ExpiresIn      *int   `json:"expiresIn" validate:"optional,int,min_num=60,max_num=86400"`
}

// oneForm refuses a body that mixes the two forms.
func oneForm(obj map[string]any) []string {
	_, client := obj["clientId"]
	_, facilities := obj["facilities"]
	if client || facilities {
		return []string{"Give either organizationId, or clientId and facilities, not both"}
	}
	return nil
}

type portalLinkView struct {
	URL       string    `json:"url"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// errCannotMint answers a link request on a server that verifies with a
// public key: the identity provider mints there, not Hookflow.
var errCannotMint = errorBody{
	Message:    "Portal links need HOOKFLOW_JWT_SECRET: this server verifies tokens with a public key and cannot sign them",
	Error:      "Not Implemented",
	StatusCode: http.StatusNotImplemented,
}

// createLink mints an integrator's link (clientId and facilities) or an
// organization's (organizationId): the body's keys say which.
func (h *portalHandlers) createLink(c *gin.Context) {
	obj, err := h.bind.readObject(c)
	if err != nil {
		fail(c, err)
		return
	}
	now := h.now().UTC().Truncate(time.Second) // a JWT's exp has whole seconds
	var token string
	var ttl time.Duration
	if _, org := obj["organizationId"]; org {
		body, bindErr := decode[orgPortalLinkBody](c, h.bind, obj, alsoChecking(oneForm))
		if bindErr != nil {
			fail(c, bindErr)
			return
		}
		ttl = portalTTL(body.ExpiresIn)
		token, err = h.minter.MintOrganizationPortal(body.OrganizationID, ttl, now)
	} else {
		body, bindErr := decode[portalLinkBody](c, h.bind, obj)
		if bindErr != nil {
			fail(c, bindErr)
			return
		}
		ttl = portalTTL(body.ExpiresIn)
		token, err = h.minter.MintPortal(body.ClientID, dedupe(body.Facilities), ttl, now)
	}
	if errors.Is(err, auth.ErrCannotMint) {
		c.AbortWithStatusJSON(http.StatusNotImplemented, errCannotMint)
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, dataEnvelope{Data: portalLinkView{
		URL:       requestOrigin(c) + portalPath + "#token=" + token,
		Token:     token,
		ExpiresAt: now.Add(ttl),
	}})
}

// portalTTL is a link's life: expiresIn seconds, else auth.DefaultPortalTTL.
func portalTTL(expiresIn *int) time.Duration {
	if expiresIn == nil {
		return auth.DefaultPortalTTL
	}
	return time.Duration(*expiresIn) * time.Second
}

// requestOrigin is the scheme and host the caller reached this server at,
// so the link works from where the platform called. A TLS-terminating proxy
// says https in X-Forwarded-Proto.
func requestOrigin(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}
