package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

// PATCH bodies of the ECG module are JSON Patch documents (RFC 6902),
// applied by evanphx/json-patch to a document of the entity's editable
// fields only. The handler then validates the patched document like a
// create body and stores it.

// patchOperation is one operation's shape, checked before it is applied.
type patchOperation struct {
	Op    string          `json:"op" validate:"string,oneof=add remove replace move copy test"`
	Path  string          `json:"path" validate:"string"`
	From  *string         `json:"from" validate:"optional,string"`
	Value json.RawMessage `json:"value"`
}

// maxPatchOperations bounds a patch document; an entity has a handful of
// editable fields.
const maxPatchOperations = 100

var patchMediaTypes = []string{"application/json-patch+json", "application/json"}

// patchAs applies the request's JSON Patch to doc (editable paths only) and
// binds the result like a create body of type B, with the binding options
// of one.
func patchAs[B any](c *gin.Context, b *binder, doc map[string]any, editable []string, opts ...bindOption) (B, error) {
	patched, err := b.applyJSONPatch(c, doc, editable)
	if err != nil {
		var zero B
		return zero, err
	}
	return decode[B](c, b, patched, opts...)
}

// applyJSONPatch applies the request's JSON Patch to doc, whose paths in
// editable (and below them) may change, and returns the patched document.
func (b *binder) applyJSONPatch(c *gin.Context, doc map[string]any, editable []string) (map[string]any, error) {
	ops, err := b.readPatch(c, editable)
	if err != nil {
		return nil, err
	}
	current, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode patch target: %w", err)
	}
	options := jsonpatch.NewApplyOptions()
	options.AccumulatedCopySizeLimit = b.maxBytes
	// One operation at a time, so a failure names the operation.
	for i, op := range ops {
		patch, err := jsonpatch.DecodePatch(op)
		if err == nil {
			var next []byte
			if next, err = patch.ApplyWithOptions(current, options); err == nil {
				// Copies must not grow the document past what a body may be.
				if int64(len(next)) > b.maxBytes {
					return nil, errTooLarge
				}
				current = next
				continue
			}
		}
		var parsed patchOperation
		_ = json.Unmarshal(op[1:len(op)-1], &parsed)
		if errors.Is(err, jsonpatch.ErrTestFailed) {
			return nil, hookflow.Errorf(hookflow.ECONFLICT, "JSON Patch test failed: %s does not hold the given value", parsed.Path)
		}
		return nil, hookflow.Invalid(fmt.Sprintf("operation %d (%s %s) cannot be applied", i, parsed.Op, parsed.Path))
	}
	dec := json.NewDecoder(bytes.NewReader(current))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decode patched document: %w", err)
	}
	return out, nil
}

// readPatch reads and checks the JSON Patch document: every operation well
// formed and touching only editable paths, every problem reported at once.
// It returns each operation as a one-operation patch document.
func (b *binder) readPatch(c *gin.Context, editable []string) ([][]byte, error) {
	raw, err := b.readJSON(c, patchMediaTypes...)
	if err != nil {
		return nil, err
	}
	items, ok := raw.([]any)
	if !ok {
		return nil, hookflow.Invalid("Request body must be a JSON Patch document: an array of operations")
	}
	if err := checkStorable(items); err != nil {
		return nil, err
	}
	// Each operation is applied on its own; a bound keeps that cheap.
	if len(items) > maxPatchOperations {
		return nil, hookflow.Invalid(fmt.Sprintf("JSON Patch document must contain no more than %d operations", maxPatchOperations))
	}
	var failures []string
	ops := make([][]byte, 0, len(items))
	for i, item := range items {
		obj, ok := item.(map[string]any)
		if !ok {
			failures = append(failures, strconv.Itoa(i)+" must be a JSON Patch operation object")
			continue
		}
		failures = append(failures, b.checkOperation(c, i, obj, editable)...)
		raw, err := json.Marshal([]any{obj})
		if err != nil {
			return nil, fmt.Errorf("re-encode patch operation: %w", err)
		}
		ops = append(ops, raw)
	}
	if len(failures) > 0 {
		return nil, hookflow.Invalid(failures...)
	}
	return ops, nil
}

func (b *binder) checkOperation(ctx context.Context, i int, obj map[string]any, editable []string) []string {
	prefix := strconv.Itoa(i) + "."
	failures := b.rules.check(ctx, reflect.TypeFor[patchOperation](), obj, checkMode{}, prefix)
	op, _ := obj["op"].(string)
	if _, has := obj["value"]; !has && (op == "add" || op == "replace" || op == "test") {
		failures = append(failures, prefix+"value must be present for "+op)
	}
	if _, has := obj["from"]; !has && (op == "move" || op == "copy") {
		failures = append(failures, prefix+"from must be present for "+op)
	}
	if from, ok := obj["from"].(string); ok && !editablePath(from, editable) {
		failures = append(failures, "path "+from+" cannot be patched")
	}
	if path, ok := obj["path"].(string); ok && !editablePath(path, editable) {
		failures = append(failures, "path "+path+" cannot be patched")
	}
	return failures
}

// editablePath reports whether path is an editable field or lies below one.
func editablePath(path string, editable []string) bool {
	for _, e := range editable {
		if path == e || strings.HasPrefix(path, e+"/") {
			return true
		}
	}
	return false
}
