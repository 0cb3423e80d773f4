package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

// categoryBody is the create body of a category and what a patch must leave.
type categoryBody struct {
	Name        string  `json:"name" validate:"not_empty,string,text,max_length=255"`
	Code        string  `json:"code" validate:"not_empty,string,text,category_code,max_length=100"`
	Description *string `json:"description" validate:"optional,string,text,max_length=2000"`
}

func (b categoryBody) input() hookflow.CategoryInput {
	return hookflow.CategoryInput{Code: b.Code, Name: b.Name, Description: b.Description}
}

var categoryEditable = []string{"/name", "/code", "/description"}

type categoryView struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description *string         `json:"description"`
	Code        string          `json:"code"`
	ArchiveInfo archiveInfoView `json:"archiveInfo"`
	AuditInfo   auditInfoView   `json:"auditInfo"`
	ActiveInfo  activeInfoView  `json:"activeInfo"`
}

func toCategoryView(c hookflow.Category) categoryView {
	return categoryView{ID: c.ID, Name: c.Name, Description: c.Description, Code: c.Code,
		ArchiveInfo: archiveView(c.Lifecycle), AuditInfo: auditView(c.Audit), ActiveInfo: activeView(c.Lifecycle)}
}

func (s *Server) createCategory(c *gin.Context) {
	body, err := bindJSON[categoryBody](s, c, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	created, err := s.deps.Catalog.CreateCategory(c, body.input(), principal(c).Subject)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toCategoryView(*created))
}

func (s *Server) listCategories(c *gin.Context) {
	q, err := bindQueryInto[listQuery](s, c, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, total, err := s.deps.Catalog.Categories(c, q.page())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(items, total, toCategoryView))
}

func (s *Server) getCategory(c *gin.Context) {
	cat, err := s.deps.Catalog.Category(c, c.Param("webhookCategoryId"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCategoryView(*cat))
}

func (s *Server) patchCategory(c *gin.Context) {
	cat, err := s.deps.Catalog.Category(c, c.Param("webhookCategoryId"))
	if err != nil {
		s.fail(c, err)
		return
	}
	body, err := patchAs[categoryBody](s, c, map[string]any{"name": cat.Name, "code": cat.Code, "description": cat.Description}, categoryEditable, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.deps.Catalog.UpdateCategory(c, cat.ID, body.input(), principal(c).Subject)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCategoryView(*updated))
}

func (s *Server) categoryLifecycle(c *gin.Context, action hookflow.LifecycleAction) error {
	return s.deps.Catalog.CategoryLifecycle(c, c.Param("webhookCategoryId"), action, principal(c).Subject)
}
