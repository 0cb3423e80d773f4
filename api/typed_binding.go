package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"

	"github.com/hookflow/hookflow"
)

// Typed request binding: a request struct declares each field's JSON name,
// Go type and `validate` rules once. The raw JSON object is checked against
// the rules first (so a wrong type is one more failed rule, reported with
// all the others), then decoded into the struct, so handlers read typed
// fields instead of asserting `any`. Struct fields (and slices of structs)
// are validated as nested bodies, their messages prefixed with the path
// ("items.0.name must be a string"); embedded structs share their fields.

// fieldValues gives the `in` and `each_in` rules their allowed values per
// field path, so two fields of one body can each have their own list.
// Paths leave out array indexes: "items.kind" serves every item.
type fieldValues map[string][]string

// typedMessages words the rules this file adds, class-validator style.
var typedMessages = map[string]string{
	"not_empty":     "{field} should not be empty",
	"boolean":       "{field} must be a boolean value",
	"int":           "{field} must be an integer number",
	"url_address":   "{field} must be a URL address",
	"category_code": "{field} must match /" + categoryCodePattern + "/ regular expression",
	"event_code":    "{field} must match /" + eventCodePattern + "/ regular expression",
	"version":       "{field} must match /" + versionPattern + "/ regular expression",
}

const (
	categoryCodePattern = `^[a-z][a-z0-9-]*$`
	eventCodePattern    = `^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$`
	versionPattern      = `^v[0-9]+$`
)

// registerTypedRules adds the rules of typed bodies to val.
func (val *Validator) registerTypedRules() {
	must := func(err error) {
		if err != nil {
			panic(fmt.Sprintf("register validation: %v", err)) // a programming error, caught by every test
		}
	}
	must(val.v.RegisterValidation("not_empty", func(fl validator.FieldLevel) bool {
		v := value(fl)
		s, isString := v.(string)
		return v != nil && (!isString || s != "")
	}, true))
	must(val.v.RegisterValidation("boolean", func(fl validator.FieldLevel) bool { _, ok := value(fl).(bool); return ok }, true))
	must(val.v.RegisterValidation("int", func(fl validator.FieldLevel) bool {
		var s string
		switch n := value(fl).(type) {
		case json.Number:
			s = n.String()
		case string:
			s = n
		default:
			return false
		}
		_, err := strconv.ParseInt(s, 10, 64)
		return err == nil
	}, true))
	must(val.v.RegisterValidation("url_address", func(fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		return ok && isURLAddress(s)
	}, true))
	for tag, pattern := range map[string]string{"category_code": categoryCodePattern, "event_code": eventCodePattern, "version": versionPattern} {
		re := regexp.MustCompile(pattern)
		must(val.v.RegisterValidation(tag, func(fl validator.FieldLevel) bool {
			s, ok := value(fl).(string)
			return ok && re.MatchString(s)
		}, true))
	}
}

// typedField is one field of a request struct, flattened out of embedded structs.
type typedField struct {
	name  string
	typ   reflect.Type
	rules []string
}

func typedFields(t reflect.Type) []typedField {
	var out []typedField
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, typedFields(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		var rules []string
		if tag := f.Tag.Get("validate"); tag != "" {
			rules = strings.Split(tag, ",")
		}
		out = append(out, typedField{name: name, typ: f.Type, rules: rules})
	}
	return out
}

// checkObject runs the rules of struct type t over obj and reports every
// failure, unknown properties last, as the seeds do. prefix is the path of
// a nested body ("" at the top).
func (val *Validator) checkObject(ctx context.Context, t reflect.Type, obj map[string]any, allowed fieldValues, prefix string) []string {
	var failures []string
	fields := typedFields(t)
	known := make(map[string]bool, len(fields))
	for _, f := range fields {
		known[f.name] = true
		path := prefix + f.name
		raw := obj[f.name]
		rules := f.rules
		if len(rules) > 0 && rules[0] == ruleOptional {
			if raw == nil {
				continue
			}
			rules = rules[1:]
		}
		values := allowed[withoutIndexes(path)]
		fctx := withAllowedValues(ctx, values)
		for _, rule := range rules {
			// A missing value has no elements or length to speak of.
			if raw == nil && (strings.HasPrefix(rule, "each_") || boundRules[ruleName(rule)]) {
				continue
			}
			if err := val.v.VarCtx(fctx, raw, rule); err != nil {
				failures = append(failures, typedMessage(err, path, values))
			}
		}
		failures = append(failures, val.checkNested(ctx, f.typ, raw, allowed, path)...)
	}
	var unknown []string
	for k := range obj {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		failures = append(failures, prefix+"property "+k+" should not exist")
	}
	return failures
}

// checkNested validates a struct-typed field's object, or a slice of
// structs' objects, as bodies of their own.
func (val *Validator) checkNested(ctx context.Context, t reflect.Type, raw any, allowed fieldValues, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct:
		if obj, ok := raw.(map[string]any); ok {
			return val.checkObject(ctx, t, obj, allowed, path+".")
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		items, _ := raw.([]any)
		var failures []string
		for i, item := range items {
			if obj, ok := item.(map[string]any); ok {
				failures = append(failures, val.checkObject(ctx, t.Elem(), obj, allowed, path+"."+strconv.Itoa(i)+".")...)
			}
		}
		return failures
	}
	return nil
}

// withoutIndexes drops the array indexes of a field path.
func withoutIndexes(path string) string {
	parts := strings.Split(path, ".")
	kept := parts[:0]
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ".")
}

func typedMessage(err error, field string, allowed []string) string {
	var verrs validator.ValidationErrors
	if errors.As(err, &verrs) && len(verrs) > 0 {
		if tmpl, ok := typedMessages[verrs[0].Tag()]; ok {
			return strings.ReplaceAll(tmpl, "{field}", field)
		}
	}
	return message(err, field, allowed)
}

// extraRule is a rule over the whole body that tags cannot say, such as one
// that needs data from the path; it returns its failures' messages.
type extraRule func(obj map[string]any) []string

// decodeValid checks obj against T's rules and the extra rules and, when
// all pass, decodes it into a T.
func decodeValid[T any](ctx context.Context, val *Validator, obj map[string]any, allowed fieldValues, extra ...extraRule) (T, error) {
	var out T
	failures := val.checkObject(ctx, reflect.TypeFor[T](), obj, allowed, "")
	for _, rule := range extra {
		failures = append(failures, rule(obj)...)
	}
	if len(failures) > 0 {
		return out, hookflow.Invalid(failures...)
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return out, fmt.Errorf("re-encode validated body: %w", err)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		// The rules admitted something the struct cannot hold: a rule is missing.
		return out, fmt.Errorf("decode validated body into %T: %w", out, err)
	}
	return out, nil
}

// bindJSON reads the request's JSON object body into a T, validated.
func bindJSON[T any](s *Server, c *gin.Context, allowed fieldValues, extra ...extraRule) (T, error) {
	obj, err := readJSONObject(c, s.opts.MaxPayloadBytes)
	if err != nil {
		var zero T
		return zero, err
	}
	return decodeValid[T](c, s.validator, obj, allowed, extra...)
}

// bindQueryInto reads the request's query parameters (the first value of
// each) into a T of string fields, validated.
func bindQueryInto[T any](s *Server, c *gin.Context, allowed fieldValues) (T, error) {
	obj := map[string]any{}
	for key, values := range c.Request.URL.Query() {
		obj[key] = values[0]
	}
	return decodeValid[T](c, s.validator, obj, allowed)
}

// isURLAddress accepts an absolute http or https URL with a host, no user
// information and a port, if any, from 1 to 65535.
func isURLAddress(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return false
	}
	return validPort(s)
}
