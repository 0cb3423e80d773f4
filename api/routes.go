package api

import (
	"github.com/gin-gonic/gin"

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

// mount registers a route table behind authentication and each route's roles.
func (s *Server) mount(routes []route) {
	authenticate := s.authenticate()
	for _, r := range routes {
		handlers := []gin.HandlerFunc{authenticate}
		if r.roles != nil {
			handlers = append(handlers, s.requireRole(r.roles...))
		}
		s.engine.Handle(r.method, r.path, append(handlers, r.handler)...)
	}
}
