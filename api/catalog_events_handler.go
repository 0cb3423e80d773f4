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

func (h *catalogHandlers) createCatalogEvent(c *gin.Context) {
	cat, err := h.catalog.Category(c, c.Param("webhookCategoryId"))
	if err != nil {
		fail(c, err)
		return
	}
	if err := reserved(cat.Code, ""); err != nil {
		fail(c, err)
		return
	}
	body, err := bindJSON[catalogEventBody](c, h.bind, alsoChecking(codeInCategory(cat.Code)))
	if err != nil {
		fail(c, err)
		return
	}
	created, err := h.catalog.CreateCatalogEvent(c, cat.ID, body.input(), principal(c).Subject)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toCatalogEventView(*created))
}

func (h *catalogHandlers) listCatalogEvents(c *gin.Context) {
	q, err := bindQuery[skipTakePage](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	items, total, err := h.catalog.CatalogEvents(c, c.Param("webhookCategoryId"), q.page())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(items, total, toCatalogEventView))
}

// pathEvent loads the event that the path names, under its category.
func (h *catalogHandlers) pathEvent(c *gin.Context) (*hookflow.CatalogEvent, error) {
	return pathEvent(c, h.catalog)
}

// pathEvent loads the event that the path names, under its category.
func pathEvent(c *gin.Context, catalog CatalogEventReader) (*hookflow.CatalogEvent, error) {
	return catalog.CatalogEvent(c, c.Param("webhookCategoryId"), c.Param("webhookEventId"))
}

func (h *catalogHandlers) getCatalogEvent(c *gin.Context) {
	e, err := h.pathEvent(c)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCatalogEventView(*e))
}

func (h *catalogHandlers) patchCatalogEvent(c *gin.Context) {
	e, err := h.pathEvent(c)
	if err != nil {
		fail(c, err)
		return
	}
	if err := reserved(e.Category.Code, ""); err != nil {
		fail(c, err)
		return
	}
	doc := map[string]any{"name": e.Name, "code": e.Code, "description": e.Description, "version": e.Version}
	body, err := patchAs[catalogEventBody](c, h.bind, doc, catalogEventEditable, alsoChecking(codeInCategory(e.Category.Code)))
	if err != nil {
		fail(c, err)
		return
	}
	updated, err := h.catalog.UpdateCatalogEvent(c, e.Category.ID, e.ID, body.input(), principal(c).Subject)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCatalogEventView(*updated))
}

func (h *catalogHandlers) catalogEventLifecycle(c *gin.Context, action hookflow.LifecycleAction) error {
	e, err := h.pathEvent(c)
	if err != nil {
		return err
	}
	if err := reserved(e.Category.Code, action); err != nil {
		return err
	}
	return h.catalog.CatalogEventLifecycle(c, c.Param("webhookCategoryId"), c.Param("webhookEventId"), action, principal(c).Subject)
}
