package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/eventschema"
)

// The JSON Schema of a catalog event (version): set, read and removed
// under the event's path. Published data of the event and its sample
// payload must satisfy it.

// readSchema reads a schema document: a JSON object of at most
// MaxEventSchemaBytes, that PostgreSQL can store.
func readSchema(c *gin.Context) (json.RawMessage, error) {
	if mediaType, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mediaType != "application/json" {
		return nil, hookflow.Invalid("Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, hookflow.MaxEventSchemaBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, eventschema.ErrTooLarge
		}
		return nil, hookflow.Invalid("Request body could not be read")
	}
	if !utf8.Valid(body) {
		return nil, errNotUTF8
	}
	doc, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, hookflow.Invalid("schema must be a JSON object")
	}
	if err := checkStorable(doc); err != nil {
		return nil, err
	}
	return body, nil
}

func (h *catalogHandlers) putEventSchema(c *gin.Context) {
	e, err := h.pathEvent(c)
	if err != nil {
		fail(c, err)
		return
	}
	doc, err := readSchema(c)
	if err != nil {
		fail(c, err)
		return
	}
	schema, err := eventschema.Compile(doc)
	if err != nil {
		fail(c, err)
		return
	}
	// The event's sample payload of its version must satisfy the schema too.
	check := func(sample json.RawMessage) error {
		return checkSample(schema, sample)
	}
	stored, err := h.catalog.SetEventSchema(c, e.Category.ID, e.ID, doc, check, principal(c).Subject)
	if err != nil {
		fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", stored)
}

// checkSample refuses a sample payload that does not satisfy the schema,
// listing the failures under samplePayload.
func checkSample(schema *eventschema.Schema, sample json.RawMessage) error {
	failures, err := schema.Check(sample, "samplePayload")
	if err != nil {
		return fmt.Errorf("check sample payload: %w", err)
	}
	if len(failures) > 0 {
		return hookflow.Invalid(failures...)
	}
	return nil
}

func (h *catalogHandlers) getEventSchema(c *gin.Context) {
	e, err := h.pathEvent(c)
	if err != nil {
		fail(c, err)
		return
	}
	schema, err := h.catalog.EventSchema(c, e.Category.ID, e.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", schema)
}

func (h *catalogHandlers) deleteEventSchema(c *gin.Context) {
	e, err := h.pathEvent(c)
	if err != nil {
		fail(c, err)
		return
	}
	if err := h.catalog.DeleteEventSchema(c, e.Category.ID, e.ID, principal(c).Subject); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, valueTrue)
}

// schemaCheck is what a sample payload's store calls with its event's
// schema (under a lock that keeps the schema from changing) when the
// payload is of the event's own version: it must satisfy the schema.
func schemaCheck(payload json.RawMessage) func(schema json.RawMessage) error {
	return func(doc json.RawMessage) error {
		schema, err := eventschema.Compile(doc)
		if err != nil {
			return fmt.Errorf("compile stored event schema: %w", err)
		}
		return checkSample(schema, payload)
	}
}
