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

func (h *portalHandlers) createLink(c *gin.Context) {
	body, err := bindJSON[portalLinkBody](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	ttl := auth.DefaultPortalTTL
	if body.ExpiresIn != nil {
		ttl = time.Duration(*body.ExpiresIn) * time.Second
	}
	now := h.now().UTC().Truncate(time.Second) // a JWT's exp has whole seconds
	token, err := h.minter.MintPortal(body.ClientID, dedupe(body.Facilities), ttl, now)
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
