package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

// samplePayloadHandlers serve catalog events' sample payloads, the
// delivery bodies made from them and the seed data's versions.
type samplePayloadHandlers struct {
	payloads SamplePayloadStore
	catalog  CatalogEventReader
	bind     *binder
}

func newSamplePayloadHandlers(payloads SamplePayloadStore, catalog CatalogEventReader, bind *binder) *samplePayloadHandlers {
	return &samplePayloadHandlers{payloads: payloads, catalog: catalog, bind: bind}
}

// samplePayloadBody is the create body of a sample payload.
type samplePayloadBody struct {
	Payload json.RawMessage `json:"payload" validate:"not_empty,object"`
	Version *string         `json:"version" validate:"optional,string,version,max_length=20"`
}

// patchedSamplePayload is what a patch must leave: both fields.
type patchedSamplePayload struct {
	Payload json.RawMessage `json:"payload" validate:"not_empty,object"`
	Version string          `json:"version" validate:"not_empty,string,version,max_length=20"`
}

var samplePayloadEditable = []string{"/payload", "/version"}

// versionQuery is the required `version` of a sample payload's GET, PATCH and DELETE.
type versionQuery struct {
	Version string `json:"version" validate:"not_empty,text,max_length=20"` // query values are strings
}

type catalogEventRefView struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Code    string `json:"code"`
	Version string `json:"version"`
}

// samplePayloadView shows the payload as JSON text, as seed 003 does.
type samplePayloadView struct {
	ID        string              `json:"id"`
	Event     catalogEventRefView `json:"event"`
	Payload   string              `json:"payload"`
	Version   string              `json:"version"`
	AuditInfo auditInfoView       `json:"auditInfo"`
}

func toSamplePayloadView(p *hookflow.SamplePayload) samplePayloadView {
	return samplePayloadView{ID: p.ID, Event: catalogEventRefView{ID: p.Event.ID, Name: p.Event.Name, Code: p.Event.Code, Version: p.Event.Version},
		Payload: string(p.Payload), Version: p.Version, AuditInfo: auditView(p.Audit)}
}

func (h *samplePayloadHandlers) createSamplePayload(c *gin.Context) {
	e, err := pathEvent(c, h.catalog)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := bindJSON[samplePayloadBody](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	version := e.Version // a payload is of its event's version unless told
	if body.Version != nil {
		version = *body.Version
	}
	created, err := h.payloads.CreateSamplePayload(c, e.ID, version, body.Payload, schemaCheck(body.Payload), principal(c).Subject)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toSamplePayloadView(created))
}

// pathSamplePayload loads the sample payload of the path's event and the
// required `version` query parameter.
func (h *samplePayloadHandlers) pathSamplePayload(c *gin.Context) (*hookflow.SamplePayload, error) {
	e, err := pathEvent(c, h.catalog)
	if err != nil {
		return nil, err
	}
	q, err := bindQuery[versionQuery](c, h.bind)
	if err != nil {
		return nil, err
	}
	return h.payloads.SamplePayload(c, e.ID, q.Version)
}

func (h *samplePayloadHandlers) getSamplePayload(c *gin.Context) {
	p, err := h.pathSamplePayload(c)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toSamplePayloadView(p))
}

func (h *samplePayloadHandlers) patchSamplePayload(c *gin.Context) {
	p, err := h.pathSamplePayload(c)
	if err != nil {
		fail(c, err)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(p.Payload))
	dec.UseNumber()
	var payload any
	if err := dec.Decode(&payload); err != nil {
		fail(c, fmt.Errorf("decode stored sample payload %s: %w", p.ID, err))
		return
	}
	body, err := patchAs[patchedSamplePayload](c, h.bind, map[string]any{"payload": payload, "version": p.Version}, samplePayloadEditable)
	if err != nil {
		fail(c, err)
		return
	}
	updated, err := h.payloads.UpdateSamplePayload(c, p.Event.ID, p.Version, body.Version, body.Payload, schemaCheck(body.Payload), principal(c).Subject)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toSamplePayloadView(updated))
}

func (h *samplePayloadHandlers) deleteSamplePayload(c *gin.Context) {
	p, err := h.pathSamplePayload(c)
	if err != nil {
		fail(c, err)
		return
	}
	if err := h.payloads.DeleteSamplePayload(c, p.Event.ID, p.Version); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, valueTrue)
}
