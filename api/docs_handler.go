package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/api/openapi"
)

// routeDocs serves the OpenAPI document and the page rendering it, assets
// included, so that /docs works with no internet.
func (s *Server) routeDocs() {
	doc, err := openapi.Load()
	if err != nil {
		// The document is embedded and checked by every test of this package.
		panic(fmt.Sprintf("load the OpenAPI document: %v", err))
	}
	serve := func(contentType string, body []byte) gin.HandlerFunc {
		return func(c *gin.Context) { c.Data(http.StatusOK, contentType, body) }
	}
	s.get("/openapi.json", serve("application/json", doc.JSON))
	s.get("/openapi.yaml", serve("application/yaml", doc.YAML))
	page := serve("text/html; charset=utf-8", openapi.DocsPage())
	s.get("/docs", func(c *gin.Context) {
		c.Header("Content-Security-Policy", openapi.DocsPolicy)
		page(c)
	})
	s.get("/docs/docs.js", serve("text/javascript; charset=utf-8", openapi.DocsScript()))
	s.get("/docs/redoc.standalone.js", serve("text/javascript; charset=utf-8", openapi.RedocScript()))
}
