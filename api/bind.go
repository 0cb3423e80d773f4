package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

// The one binding layer. A body, a query or a set of headers is read once
// into raw JSON values (an object of strings, numbers as json.Number,
// arrays and objects), the request struct's rules run over those values
// (rules.go), and only when every rule passes are the values copied into
// the struct's typed fields. Handlers read typed fields and never see the
// raw values.

// binder reads requests into typed request structs.
type binder struct {
	rules    *rules
	maxBytes int64 // the largest body read
}

// extraRule is a rule over the whole object that tags cannot say, such as
// one that needs two fields or data from the path; it returns its
// failures' messages, reported after the fields' own.
type extraRule func(obj map[string]any) []string

// binding is how one request is bound; bindOptions set it.
type binding struct {
	mode    checkMode
	extra   []extraRule
	prepare func(obj map[string]any)
	// brackets reads a query parameter name[] as name, the form of
	// qs-style clients (the public v2 surface).
	brackets bool
}

// bindOption tunes one binding.
type bindOption func(*binding)

// allowing gives the `in`, `each_in` and `max_allowed` rules their values.
func allowing(values fieldValues) bindOption {
	return func(b *binding) { b.mode.values = values }
}

// alsoAllowing lets the `in` and `each_in` rules accept values their
// messages do not list.
func alsoAllowing(values fieldValues) bindOption {
	return func(b *binding) { b.mode.unlisted = values }
}

// alsoChecking adds rules over the whole object.
func alsoChecking(extra ...extraRule) bindOption {
	return func(b *binding) { b.extra = append(b.extra, extra...) }
}

// partially skips absent fields, as a PATCH of the public surface does.
func partially() bindOption {
	return func(b *binding) { b.mode.partial = true }
}

// preparing rewrites the raw values before the rules run: a leniency the
// seeds grant, such as a number spelled as a string.
func preparing(prepare func(obj map[string]any)) bindOption {
	return func(b *binding) { b.prepare = prepare }
}

// withBrackets reads query parameters name[] as name.
func withBrackets() bindOption {
	return func(b *binding) { b.brackets = true }
}

func newBinding(opts []bindOption) binding {
	var b binding
	for _, o := range opts {
		o(&b)
	}
	return b
}

// bindJSON reads the request's JSON object body into a T.
func bindJSON[T any](c *gin.Context, b *binder, opts ...bindOption) (T, error) {
	obj, err := b.readObject(c)
	if err != nil {
		var zero T
		return zero, err
	}
	return decode[T](c, b, obj, opts...)
}

// bindQuery reads the request's query parameters into a T: a slice field
// from every value of its parameter, any other from the first.
func bindQuery[T any](c *gin.Context, b *binder, opts ...bindOption) (T, error) {
	bd := newBinding(opts)
	arrays := map[string]bool{}
	for _, f := range fieldsOf(reflect.TypeFor[T]()) {
		arrays[f.name] = f.typ.Kind() == reflect.Slice
	}
	obj := map[string]any{}
	for key, values := range c.Request.URL.Query() {
		name := key
		if bd.brackets {
			name = strings.TrimSuffix(key, "[]")
		}
		if !arrays[name] {
			obj[name] = values[0]
			continue
		}
		items, _ := obj[name].([]any)
		for _, v := range values {
			items = append(items, v)
		}
		obj[name] = items
	}
	return decode[T](c, b, obj, opts...)
}

// bindHeaders reads the headers a T names (those present and not empty)
// into a T; other headers are not the request struct's business.
func bindHeaders[T any](c *gin.Context, b *binder, opts ...bindOption) (T, error) {
	obj := map[string]any{}
	for _, f := range fieldsOf(reflect.TypeFor[T]()) {
		if v := c.GetHeader(f.name); v != "" {
			obj[f.name] = v
		}
	}
	return decode[T](c, b, obj, append(opts, func(bd *binding) { bd.mode.ignoreUnknown = true })...)
}

// decode checks obj against T's rules and the extra rules, every failure
// reported at once, and when all pass copies it into a T.
func decode[T any](ctx context.Context, b *binder, obj map[string]any, opts ...bindOption) (T, error) {
	var out T
	bd := newBinding(opts)
	if bd.prepare != nil {
		bd.prepare(obj)
	}
	failures := b.rules.check(ctx, reflect.TypeFor[T](), obj, bd.mode, "")
	for _, rule := range bd.extra {
		failures = append(failures, rule(obj)...)
	}
	if len(failures) > 0 {
		return out, hookflow.Invalid(failures...)
	}
	if err := fill(reflect.ValueOf(&out).Elem(), obj); err != nil {
		// The rules admitted something the struct cannot hold: a rule is missing.
		return out, fmt.Errorf("bind %T: %w", out, err)
	}
	return out, nil
}

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	numberType     = reflect.TypeFor[json.Number]()
)

// fill copies the checked raw values of obj into the struct v.
func fill(v reflect.Value, obj map[string]any) error {
	for _, f := range fieldsOf(v.Type()) {
		raw := obj[f.name]
		if raw == nil {
			continue
		}
		if err := setValue(v.FieldByIndex(f.index), raw); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}

// setValue sets dst, a typed field, from a raw value its rules checked.
func setValue(dst reflect.Value, raw any) error {
	switch t := dst.Type(); {
	case t == rawMessageType:
		// The value as JSON: compact, object keys in order, numbers as sent.
		b, err := json.Marshal(raw)
		if err != nil {
			return err
		}
		dst.SetBytes(b)
		return nil
	case t == numberType:
		switch n := raw.(type) {
		case json.Number:
			dst.SetString(n.String())
			return nil
		case string:
			if _, ok := number(n); ok {
				dst.SetString(n)
				return nil
			}
		}
	case t.Kind() == reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := setValue(p.Elem(), raw); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	case t.Kind() == reflect.String:
		if s, ok := raw.(string); ok {
			dst.SetString(s)
			return nil
		}
	case t.Kind() == reflect.Bool:
		if b, ok := raw.(bool); ok {
			dst.SetBool(b)
			return nil
		}
	case t.Kind() == reflect.Int:
		if n, ok := integer(raw); ok {
			dst.SetInt(n)
			return nil
		}
	case t.Kind() == reflect.Struct:
		if obj, ok := raw.(map[string]any); ok {
			return fill(dst, obj)
		}
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		if obj, ok := raw.(map[string]any); ok {
			m := reflect.MakeMapWithSize(t, len(obj))
			for k, item := range obj {
				v := reflect.New(t.Elem()).Elem()
				if err := setValue(v, item); err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
				m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), v)
			}
			dst.Set(m)
			return nil
		}
	case t.Kind() == reflect.Slice:
		if items, ok := raw.([]any); ok {
			s := reflect.MakeSlice(t, len(items), len(items))
			for i, item := range items {
				if err := setValue(s.Index(i), item); err != nil {
					return fmt.Errorf("%d: %w", i, err)
				}
			}
			dst.Set(s)
			return nil
		}
	}
	return fmt.Errorf("a %T cannot be a %s", raw, dst.Type())
}

// Body reading.

var (
	errTooLarge      = &hookflow.Error{Code: hookflow.ETOOLARGE, Message: "Request body is too large"}
	errNotJSON       = hookflow.Invalid("Request body is not valid JSON")
	errNotUTF8       = hookflow.Invalid("Request body must be valid UTF-8")
	errNUL           = hookflow.Invalid("Request body must not contain NUL characters")
	errNumberOutside = hookflow.Invalid("Request body must not contain numbers outside the range of a 64-bit float")
)

// readObject reads a JSON object body of at most b.maxBytes.
func (b *binder) readObject(c *gin.Context) (map[string]any, error) {
	raw, err := b.readJSON(c, "application/json")
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

// readJSON reads a body of at most b.maxBytes, of one of mediaTypes, that
// is exactly one JSON value in valid UTF-8; numbers stay json.Number.
func (b *binder) readJSON(c *gin.Context, mediaTypes ...string) (any, error) {
	mediaType, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || !slices.Contains(mediaTypes, mediaType) {
		return nil, hookflow.Invalid("Content-Type must be " + strings.Join(mediaTypes, " or "))
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, b.maxBytes))
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
	return decodeJSON(body)
}

// decodeJSON decodes exactly one JSON value; numbers stay json.Number.
func decodeJSON(body []byte) (any, error) {
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

// dedupe drops repeated values, keeping the first place of each: a list
// naming an event or a facility twice means the same as naming it once.
func dedupe(values []string) []string {
	out := make([]string, 0, len(values))
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
