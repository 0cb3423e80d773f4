package api

import (
	"embed"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

// The integrator portal: a page of plain JavaScript (no build step, no
// toolchain, nothing fetched from elsewhere) embedded in the binary. It
// reads a portal link's token from the URL fragment and calls the public
// API with it, so every rule of the API holds for it.

//go:embed portal/index.html portal/portal.js portal/health.js portal/portal.css
var portalAssets embed.FS

// portalPath is where the page is served; portal links point at it.
const portalPath = "/portal"

// PortalPolicy is the page's Content-Security-Policy: scripts, styles and
// API calls from this server only, no inline script or style, and no
// framing (the page holds a token).
const PortalPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// routePortal serves the page and its assets.
func (s *Server) routePortal() {
	asset := func(name, contentType string) gin.HandlerFunc {
		body, err := portalAssets.ReadFile("portal/" + name)
		if err != nil {
			// Embedded at build time: a missing file is a build mistake, caught by every test.
			panic(fmt.Sprintf("portal asset %s: %v", name, err))
		}
		return func(c *gin.Context) {
			c.Header("Content-Security-Policy", PortalPolicy)
			c.Header("X-Content-Type-Options", "nosniff")
			// The token rides in the fragment, never sent; no referrer either.
			c.Header("Referrer-Policy", "no-referrer")
			c.Header("Cache-Control", "no-cache")
			c.Data(http.StatusOK, contentType, body)
		}
	}
	s.get(portalPath, asset("index.html", "text/html; charset=utf-8"))
	s.get(portalPath+"/portal.js", asset("portal.js", "text/javascript; charset=utf-8"))
	s.get(portalPath+"/health.js", asset("health.js", "text/javascript; charset=utf-8"))
	s.get(portalPath+"/portal.css", asset("portal.css", "text/css; charset=utf-8"))
}
