package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// Each surface of the API is one route table (publicRoutes, ecgRoutes),
// mounted here behind authentication and each route's roles.

// route is one endpoint of a route table: method, path, handler and the
// roles it needs (anyToken: any valid token).
type route struct {
	method  string
	path    string
	handler gin.HandlerFunc
	roles   []auth.Role
}

var (
	anyToken  []auth.Role
	adminOnly = []auth.Role{auth.RoleAdmin}
)

// mount registers a route table behind authentication, the tenant's rate
// limit and each route's roles.
func (s *Server) mount(routes []route) {
	authenticate := authenticate(s.verifier)
	for _, r := range routes {
		handlers := []gin.HandlerFunc{authenticate}
		if limit := s.limits.forRoute(r.method, r.path); limit != nil {
			handlers = append(handlers, limit)
		}
		if r.roles != nil {
			handlers = append(handlers, requireRole(r.roles...))
		}
		s.handle(r.method, r.path, append(handlers, r.handler)...)
	}
}

// get registers a GET route outside the route tables.
func (s *Server) get(path string, handlers ...gin.HandlerFunc) {
	s.handle(http.MethodGet, path, handlers...)
}

// handle registers a route; a GET route answers HEAD too, as GET would
// but without a body (net/http drops a HEAD answer's body and keeps its
// Content-Length), for monitors that probe with HEAD.
func (s *Server) handle(method, path string, handlers ...gin.HandlerFunc) {
	s.engine.Handle(method, path, handlers...)
	if method == http.MethodGet {
		s.engine.Handle(http.MethodHead, path, handlers...)
	}
}

// valueTrue is the answer of lifecycle actions and deletes.
var valueTrue = gin.H{"value": true}

// lifecycleRoutes are the five admin routes that move the lifecycle of the
// entity at base, written once for every entity that has one; apply finds
// the entity from the path and moves it.
func lifecycleRoutes(base string, apply func(c *gin.Context, action hookflow.LifecycleAction) error) []route {
	handle := func(action hookflow.LifecycleAction) gin.HandlerFunc {
		return func(c *gin.Context) {
			if err := apply(c, action); err != nil {
				fail(c, err)
				return
			}
			c.JSON(http.StatusOK, valueTrue)
		}
	}
	return []route{
		{http.MethodPost, base + "/archive", handle(hookflow.ActionArchive), adminOnly},
		{http.MethodPost, base + "/restore", handle(hookflow.ActionRestore), adminOnly},
		{http.MethodPost, base + "/activate", handle(hookflow.ActionActivate), adminOnly},
		{http.MethodPost, base + "/deactivate", handle(hookflow.ActionDeactivate), adminOnly},
		{http.MethodDelete, base, handle(hookflow.ActionDelete), adminOnly},
	}
}
