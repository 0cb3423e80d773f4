package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

// catalogHandlers serve the catalog of seed 003: categories and their
// events (catalog_events_handler.go).
type catalogHandlers struct {
	catalog CatalogStore
	bind    *binder
}

func newCatalogHandlers(catalog CatalogStore, bind *binder) *catalogHandlers {
	return &catalogHandlers{catalog: catalog, bind: bind}
}

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

func (h *catalogHandlers) createCategory(c *gin.Context) {
	body, err := bindJSON[categoryBody](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	created, err := h.catalog.CreateCategory(c, body.input(), principal(c).Subject)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toCategoryView(*created))
}

func (h *catalogHandlers) listCategories(c *gin.Context) {
	q, err := bindQuery[skipTakePage](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	items, total, err := h.catalog.Categories(c, q.page())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(items, total, toCategoryView))
}

func (h *catalogHandlers) getCategory(c *gin.Context) {
	cat, err := h.catalog.Category(c, c.Param("webhookCategoryId"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCategoryView(*cat))
}

func (h *catalogHandlers) patchCategory(c *gin.Context) {
	cat, err := h.catalog.Category(c, c.Param("webhookCategoryId"))
	if err != nil {
		fail(c, err)
		return
	}
	if err := reserved(cat.Code, ""); err != nil {
		fail(c, err)
		return
	}
	body, err := patchAs[categoryBody](c, h.bind, map[string]any{"name": cat.Name, "code": cat.Code, "description": cat.Description}, categoryEditable)
	if err != nil {
		fail(c, err)
		return
	}
	updated, err := h.catalog.UpdateCategory(c, cat.ID, body.input(), principal(c).Subject)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCategoryView(*updated))
}

func (h *catalogHandlers) categoryLifecycle(c *gin.Context, action hookflow.LifecycleAction) error {
	cat, err := h.catalog.Category(c, c.Param("webhookCategoryId"))
	if err != nil {
		return err
	}
	if err := reserved(cat.Code, action); err != nil {
		return err
	}
	return h.catalog.CategoryLifecycle(c, c.Param("webhookCategoryId"), action, principal(c).Subject)
}

// reserved refuses a change to the operational events' category or its
// events (migration 00014): Hookflow publishes them and routes them by
// their codes. Activating or restoring them, which they already are, is
// let through as the no-op it is.
func reserved(categoryCode string, action hookflow.LifecycleAction) error {
	if categoryCode != hookflow.OperationalCategory || action == hookflow.ActionActivate || action == hookflow.ActionRestore {
		return nil
	}
	return hookflow.ErrReservedCategory
}
