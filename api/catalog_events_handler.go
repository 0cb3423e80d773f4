package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

// catalogEventBody is the create body of an event and what a patch must leave.
type catalogEventBody struct {
	Name        string  `json:"name" validate:"not_empty,string,text,max_length=255"`
	Code        string  `json:"code" validate:"not_empty,string,event_code,max_length=255"`
	Description *string `json:"description" validate:"optional,string,text,max_length=2000"`
	Version     string  `json:"version" validate:"not_empty,string,version,max_length=20"`
}

func (b catalogEventBody) input() hookflow.CatalogEventInput {
	return hookflow.CatalogEventInput{Code: b.Code, Name: b.Name, Description: b.Description, Version: b.Version}
}

var catalogEventEditable = []string{"/name", "/code", "/description", "/version"}

type categoryRefView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Code string `json:"code"`
}

type catalogEventView struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Description     *string         `json:"description"`
	Version         string          `json:"version"`
	Code            string          `json:"code"`
	ArchiveInfo     archiveInfoView `json:"archiveInfo"`
	AuditInfo       auditInfoView   `json:"auditInfo"`
	ActiveInfo      activeInfoView  `json:"activeInfo"`
	WebhookCategory categoryRefView `json:"webhookCategory"`
}

func toCatalogEventView(e hookflow.CatalogEvent) catalogEventView {
	return catalogEventView{ID: e.ID, Name: e.Name, Description: e.Description, Version: e.Version, Code: e.Code,
		ArchiveInfo: archiveView(e.Lifecycle), AuditInfo: auditView(e.Audit), ActiveInfo: activeView(e.Lifecycle),
		WebhookCategory: categoryRefView{ID: e.Category.ID, Name: e.Category.Name, Code: e.Category.Code}}
}

// codeInCategory is the rule that needs the category: an event's code
// starts with its category's code and a dot.
func codeInCategory(categoryCode string) extraRule {
	prefix := categoryCode + "."
	return func(obj map[string]any) []string {
		if code, ok := obj["code"].(string); ok && code != "" && !strings.HasPrefix(code, prefix) {
			return []string{"code must start with " + prefix}
		}
		return nil
	}
}

func (s *Server) createCatalogEvent(c *gin.Context) {
	cat, err := s.deps.Catalog.Category(c, c.Param("webhookCategoryId"))
	if err != nil {
		s.fail(c, err)
		return
	}
	body, err := bindJSON[catalogEventBody](s, c, nil, codeInCategory(cat.Code))
	if err != nil {
		s.fail(c, err)
		return
	}
	created, err := s.deps.Catalog.CreateCatalogEvent(c, cat.ID, body.input(), principal(c).Subject)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toCatalogEventView(*created))
}

func (s *Server) listCatalogEvents(c *gin.Context) {
	q, err := bindQueryInto[listQuery](s, c, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, total, err := s.deps.Catalog.CatalogEvents(c, c.Param("webhookCategoryId"), q.page())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(items, total, toCatalogEventView))
}

// pathEvent loads the event that the path names, under its category.
func (s *Server) pathEvent(c *gin.Context) (*hookflow.CatalogEvent, error) {
	return s.deps.Catalog.CatalogEvent(c, c.Param("webhookCategoryId"), c.Param("webhookEventId"))
}

func (s *Server) getCatalogEvent(c *gin.Context) {
	e, err := s.pathEvent(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCatalogEventView(*e))
}

func (s *Server) patchCatalogEvent(c *gin.Context) {
	e, err := s.pathEvent(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	doc := map[string]any{"name": e.Name, "code": e.Code, "description": e.Description, "version": e.Version}
	body, err := patchAs[catalogEventBody](s, c, doc, catalogEventEditable, nil, codeInCategory(e.Category.Code))
	if err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.deps.Catalog.UpdateCatalogEvent(c, e.Category.ID, e.ID, body.input(), principal(c).Subject)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCatalogEventView(*updated))
}

func (s *Server) catalogEventLifecycle(c *gin.Context, action hookflow.LifecycleAction) error {
	return s.deps.Catalog.CatalogEventLifecycle(c, c.Param("webhookCategoryId"), c.Param("webhookEventId"), action, principal(c).Subject)
}
