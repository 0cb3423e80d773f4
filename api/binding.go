package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

var errTooLarge = &hookflow.Error{Code: hookflow.ETOOLARGE, Message: "Request body is too large"}

// readJSONObject reads a JSON object body of at most maxBytes.
func readJSONObject(c *gin.Context, maxBytes int64) (map[string]any, error) {
	raw, err := readJSON(c, maxBytes, "application/json")
	if err != nil {
		return nil, err
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, hookflow.Invalid("Request body must be a JSON object")
	}
	if err := checkStorable(obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// readJSON reads a body of at most maxBytes, of one of mediaTypes, that is
// exactly one JSON value in valid UTF-8; numbers stay json.Number.
func readJSON(c *gin.Context, maxBytes int64, mediaTypes ...string) (any, error) {
	mediaType, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || !slices.Contains(mediaTypes, mediaType) {
		return nil, hookflow.Invalid("Content-Type must be " + strings.Join(mediaTypes, " or "))
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errTooLarge
		}
		return nil, hookflow.Invalid("Request body could not be read")
	}
	// encoding/json would silently replace invalid UTF-8 with U+FFFD.
	if !utf8.Valid(body) {
		return nil, errNotUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, errNotJSON
	}
	// Exactly one JSON value: anything after it but whitespace is garbage.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errNotJSON
	}
	return raw, nil
}

var (
	errNotJSON       = hookflow.Invalid("Request body is not valid JSON")
	errNotUTF8       = hookflow.Invalid("Request body must be valid UTF-8")
	errNUL           = hookflow.Invalid("Request body must not contain NUL characters")
	errNumberOutside = hookflow.Invalid("Request body must not contain numbers outside the range of a 64-bit float")
)

// checkStorable walks every key and value at any depth and refuses what
// PostgreSQL's jsonb cannot hold: NUL characters (\u0000) and numbers past
// its numeric range. Bounding numbers to a float64 keeps them portable to
// every receiver's JSON parser too.
func checkStorable(v any) error {
	switch x := v.(type) {
	case string:
		if strings.ContainsRune(x, 0) {
			return errNUL
		}
	case json.Number:
		if !isFiniteFloat(x.String()) {
			return errNumberOutside
		}
	case []any:
		for _, item := range x {
			if err := checkStorable(item); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, item := range x {
			if strings.ContainsRune(k, 0) {
				return errNUL
			}
			if err := checkStorable(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// isFiniteFloat reports whether a JSON number is within float64 range: it
// neither overflows nor underflows to zero unless it is a zero.
func isFiniteFloat(n string) bool {
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return false
	}
	if f != 0 {
		return true
	}
	mantissa, _, _ := strings.Cut(strings.ToLower(n), "e")
	return strings.Trim(mantissa, "-+0.") == ""
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
	known := map[string][]int{}
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
			rv.FieldByIndex(i).Set(reflect.ValueOf(v))
		}
	}
	sort.Strings(unknown)
	msgs := make([]string, 0, len(unknown))
	for _, k := range unknown {
		msgs = append(msgs, "property "+k+" should not exist")
	}
	return msgs
}

// stringsOf converts a validated array of strings. Repeats are dropped,
// keeping the first place of each: a webhook listing an event or a facility
// twice means the same as listing it once.
func stringsOf(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	seen := make(map[string]bool, len(items))
	for _, item := range items {
		if s, ok := item.(string); ok && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
