package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

var errTooLarge = &hookflow.Error{Code: hookflow.ETOOLARGE, Message: "Request body is too large"}

// readJSONObject reads a JSON object body of at most maxBytes.
func readJSONObject(c *gin.Context, maxBytes int64) (map[string]any, error) {
	mediaType, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return nil, hookflow.Invalid("Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errTooLarge
		}
		return nil, hookflow.Invalid("Request body could not be read")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, hookflow.Invalid("Request body is not valid JSON")
	}
	if dec.More() {
		return nil, hookflow.Invalid("Request body is not valid JSON")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, hookflow.Invalid("Request body must be a JSON object")
	}
	return obj, nil
}

// bindBody decodes a JSON object into req, a pointer to a struct of `any`
// fields tagged with json names, and returns the unknown properties' messages.
func bindBody(c *gin.Context, maxBytes int64, req any) ([]string, error) {
	obj, err := readJSONObject(c, maxBytes)
	if err != nil {
		return nil, err
	}
	return assignFields(obj, req), nil
}

// assignFields copies known properties of obj into req's fields and reports
// the others as the seeds do.
func assignFields(obj map[string]any, req any) []string {
	rv := reflect.ValueOf(req).Elem()
	known := map[string]int{}
	for _, f := range rulesOf(rv.Type()) {
		known[f.name] = f.index
	}
	var unknown []string
	for k, v := range obj {
		i, ok := known[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		if v != nil {
			rv.Field(i).Set(reflect.ValueOf(v))
		}
	}
	sort.Strings(unknown)
	msgs := make([]string, 0, len(unknown))
	for _, k := range unknown {
		msgs = append(msgs, "property "+k+" should not exist")
	}
	return msgs
}

// stringsOf converts a validated array of strings.
func stringsOf(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, item := range items {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
