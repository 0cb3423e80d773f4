package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/signing"
)

// The one rule runner. A request struct declares each field's name, Go type
// and `validate` rules once; the rules run over the raw JSON (or query, or
// header) values before anything is typed, so a wrong type is one more
// failed rule, reported with all the others. Each rule runs on its own, so
// every failure is reported, in field order then rule order, unknown
// properties last. Struct fields (and slices of structs) are checked as
// nested objects, their messages prefixed with the path ("items.0.name
// must be a string"); embedded structs share their fields.

// ruleOptional as a field's first rule skips the field when it is absent or null.
const ruleOptional = "optional"

// fieldValues gives the `in`, `each_in` and `max_allowed` rules their
// allowed values per field path, so two fields of one body can each have
// their own list. Paths leave out array indexes: "items.kind" serves every item.
type fieldValues map[string][]string

type allowedValuesKey struct{}

// withAllowedValues puts the values the `each_in`/`in` rules accept into ctx.
func withAllowedValues(ctx context.Context, allowed []string) context.Context {
	return context.WithValue(ctx, allowedValuesKey{}, allowed)
}

func allowedValues(ctx context.Context) []string {
	v, _ := ctx.Value(allowedValuesKey{}).([]string)
	return v
}

// rules runs validator/v10 rules over raw request values.
type rules struct {
	v             *validator.Validate
	allowInsecure bool
	ports         hookflow.TargetPorts // the target_port rule's
}

// newRules registers Hookflow's rules. allowInsecure lets http:// URLs
// pass the https_url rule (development only); ports are the ports the
// target_port rule lets delivery targets use.
func newRules(allowInsecure bool, ports hookflow.TargetPorts) *rules {
	r := &rules{v: validator.New(), allowInsecure: allowInsecure, ports: ports}
	must := func(err error) {
		if err != nil {
			panic(fmt.Sprintf("register validation: %v", err)) // a programming error, caught by every test
		}
	}
	is := func(ok func(v any) bool) validator.Func {
		return func(fl validator.FieldLevel) bool { return ok(value(fl)) }
	}
	// A string rule on a value of another type passes: the type rule reports it.
	onString := func(ok func(s string) bool) validator.Func {
		return is(func(v any) bool { s, isString := v.(string); return !isString || ok(s) })
	}
	must(r.v.RegisterValidation("string", is(func(v any) bool { _, ok := v.(string); return ok }), true))
	must(r.v.RegisterValidation("https_url", r.httpsURL, true))
	must(r.v.RegisterValidation("array", is(func(v any) bool { _, ok := v.([]any); return ok }), true))
	// A value that is not an array is the `array` rule's to report; a
	// missing one fails every rule (see check), as the seeds list.
	must(r.v.RegisterValidation("min_items", func(fl validator.FieldLevel) bool {
		items, ok := value(fl).([]any)
		return !ok || len(items) >= paramInt(fl)
	}, true))
	must(r.v.RegisterValidation("max_items", func(fl validator.FieldLevel) bool {
		items, ok := value(fl).([]any)
		return !ok || len(items) <= paramInt(fl)
	}, true))
	must(r.v.RegisterValidation("each_string", eachItem(func(item any) bool { _, ok := item.(string); return ok }), true))
	must(r.v.RegisterValidation("each_secret", eachItem(func(item any) bool {
		s, ok := item.(string)
		if !ok {
			return true // each_string reports it
		}
		_, err := signing.DecodeSecret(s)
		return err == nil
	}), true))
	must(r.v.RegisterValidationCtx("each_in", func(ctx context.Context, fl validator.FieldLevel) bool {
		allowed := allowedValues(ctx)
		return eachItem(func(item any) bool { s, ok := item.(string); return ok && slices.Contains(allowed, s) })(fl)
	}, true))
	must(r.v.RegisterValidationCtx("in", func(ctx context.Context, fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		return ok && slices.Contains(allowedValues(ctx), s)
	}, true))
	must(r.v.RegisterValidation("object", is(func(v any) bool { _, ok := v.(map[string]any); return ok }), true))
	// Lengths count characters, as the messages say; a string that is not
	// UTF-8 counts its bytes and is the `text` rule's to report.
	must(r.v.RegisterValidation("max_length", func(fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		return !ok || utf8.RuneCountInString(s) <= paramInt(fl)
	}, true))
	must(r.v.RegisterValidation("min_length", func(fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		return !ok || utf8.RuneCountInString(s) >= paramInt(fl)
	}, true))
	must(r.v.RegisterValidation("each_max_length", func(fl validator.FieldLevel) bool {
		limit := paramInt(fl)
		return eachItem(func(item any) bool { s, ok := item.(string); return !ok || utf8.RuneCountInString(s) <= limit })(fl)
	}, true))
	must(r.v.RegisterValidation("text", onString(hookflow.IsText), true))
	must(r.v.RegisterValidation("each_text", eachItem(func(item any) bool { s, ok := item.(string); return !ok || hookflow.IsText(s) }), true))
	must(r.v.RegisterValidation("header_safe", onString(hookflow.IsHeaderSafeID), true))
	must(r.v.RegisterValidation("url_port", onString(validPort), true))
	must(r.v.RegisterValidation("target_port", onString(r.targetPort), true))
	must(r.v.RegisterValidationCtx("max_allowed", func(ctx context.Context, fl validator.FieldLevel) bool {
		items, ok := value(fl).([]any)
		return !ok || len(items) <= len(allowedValues(ctx))
	}, true))
	must(r.v.RegisterValidation("rfc3339", is(func(v any) bool {
		s, ok := v.(string)
		_, err := time.Parse(time.RFC3339Nano, s)
		return ok && err == nil
	}), true))
	must(r.v.RegisterValidation("iso8601", is(func(v any) bool { s, ok := v.(string); return ok && isISO8601(s) }), true))
	must(r.v.RegisterValidation("number", is(func(v any) bool { _, ok := number(v); return ok }), true))
	must(r.v.RegisterValidation("min_num", func(fl validator.FieldLevel) bool {
		n, ok := number(value(fl))
		return !ok || n >= float64(paramInt(fl))
	}, true))
	must(r.v.RegisterValidation("max_num", func(fl validator.FieldLevel) bool {
		n, ok := number(value(fl))
		return !ok || n <= float64(paramInt(fl))
	}, true))
	must(r.v.RegisterValidation("not_empty", is(func(v any) bool {
		s, isString := v.(string)
		return v != nil && (!isString || s != "")
	}), true))
	must(r.v.RegisterValidation("boolean", is(func(v any) bool { _, ok := v.(bool); return ok }), true))
	must(r.v.RegisterValidation("int", is(func(v any) bool { _, ok := integer(v); return ok }), true))
	must(r.v.RegisterValidation("url_address", is(func(v any) bool { s, ok := v.(string); return ok && isURLAddress(s) }), true))
	for tag, pattern := range map[string]string{"category_code": categoryCodePattern, "event_code": eventCodePattern, "version": versionPattern} {
		re := regexp.MustCompile(pattern)
		must(r.v.RegisterValidation(tag, is(func(v any) bool { s, ok := v.(string); return ok && re.MatchString(s) }), true))
	}
	return r
}

// number reads a JSON number or a numeric query string.
func number(v any) (float64, bool) {
	var s string
	switch n := v.(type) {
	case json.Number:
		s = n.String()
	case string:
		s = n
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil && s != "" && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// integer reads a JSON number or a query string that is a whole number.
func integer(v any) (int64, bool) {
	var s string
	switch n := v.(type) {
	case json.Number:
		s = n.String()
	case string:
		s = n
	default:
		return 0, false
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}

// isISO8601 accepts the ISO 8601 date and date-time forms clients send.
func isISO8601(s string) bool {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

func value(fl validator.FieldLevel) any {
	f := fl.Field()
	if f.Kind() == reflect.Interface && !f.IsNil() {
		f = f.Elem()
	}
	if !f.IsValid() {
		return nil
	}
	return f.Interface()
}

func paramInt(fl validator.FieldLevel) int {
	n, _ := strconv.Atoi(resolveParam(fl.Param()))
	return n
}

// validPort accepts a URL without a port or with one from 1 to 65535; a URL
// that does not parse is the https_url rule's to report.
func validPort(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Port() == "" {
		return true
	}
	n, err := strconv.Atoi(u.Port())
	return err == nil && n >= 1 && n <= 65535
}

// targetPort accepts a URL whose port, named or implied by its scheme, is
// one deliveries may use. A URL that does not parse, has no port or one out
// of range is the https_url, url_address and url_port rules' to report.
func (r *rules) targetPort(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !validPort(raw) {
		return true
	}
	port := hookflow.URLPort(u)
	return port == 0 || r.ports.Allows(port)
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

// eachItem applies ok to every element; a non-array passes, since the
// `array` rule reports it once.
func eachItem(ok func(any) bool) validator.Func {
	return func(fl validator.FieldLevel) bool {
		items, isArray := value(fl).([]any)
		if !isArray {
			return true
		}
		for _, item := range items {
			if !ok(item) {
				return false
			}
		}
		return true
	}
}

func (r *rules) httpsURL(fl validator.FieldLevel) bool {
	s, ok := value(fl).(string)
	if !ok {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || (r.allowInsecure && u.Scheme == "http")
}

// requestField is one field of a request struct, flattened out of embedded structs.
type requestField struct {
	name  string // the JSON, query or header name
	index []int  // for reflect.Value.FieldByIndex
	typ   reflect.Type
	rules []string
}

// fieldsOf lists the fields of a request struct in order; the fields of an
// embedded struct (a shared part such as skipTakePage) take its place.
func fieldsOf(t reflect.Type) []requestField {
	var out []requestField
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for _, inner := range fieldsOf(f.Type) {
				inner.index = append([]int{i}, inner.index...)
				out = append(out, inner)
			}
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
		out = append(out, requestField{name: name, index: []int{i}, typ: f.Type, rules: rules})
	}
	return out
}

// checkMode says how check treats one request.
type checkMode struct {
	values fieldValues
	// unlisted are values a field also accepts that its messages do not
	// list: the operational events a public webhook may name, which the
	// seeds' wording of the allowed events predates.
	unlisted fieldValues
	// partial (a PATCH of the public surface) skips every absent field, as
	// if each were optional.
	partial bool
	// ignoreUnknown leaves names the struct does not declare unreported
	// (headers: a request carries many).
	ignoreUnknown bool
}

// check runs the rules of struct type t over obj and reports every
// failure, unknown properties last, as the seeds do. prefix is the path of
// a nested object ("" at the top).
func (r *rules) check(ctx context.Context, t reflect.Type, obj map[string]any, mode checkMode, prefix string) []string {
	var failures []string
	fields := fieldsOf(t)
	known := make(map[string]bool, len(fields))
	for _, f := range fields {
		known[f.name] = true
		path := prefix + f.name
		raw := obj[f.name] // absent and null alike
		rules := f.rules
		optional := len(rules) > 0 && rules[0] == ruleOptional
		if optional {
			rules = rules[1:]
		}
		if raw == nil && (optional || mode.partial) {
			continue
		}
		values := mode.values[withoutIndexes(path)]
		accepted := values
		if extra := mode.unlisted[withoutIndexes(path)]; len(extra) > 0 {
			accepted = append(slices.Clone(values), extra...)
		}
		fctx := withAllowedValues(ctx, accepted)
		for _, rule := range rules {
			// validator/v10 fails every rule on a missing value without running
			// it; the per-element rules have no elements to speak of then,
			// and a bound has no value to bound (the seeds list neither).
			if raw == nil && (strings.HasPrefix(rule, "each_") || boundRules[ruleName(rule)]) {
				continue
			}
			if err := r.v.VarCtx(fctx, raw, rule); err != nil {
				failures = append(failures, strings.ReplaceAll(message(err, path, values), "{ports}", r.ports.String()))
			}
		}
		failures = append(failures, r.checkNested(ctx, f.typ, raw, mode, path)...)
	}
	if mode.ignoreUnknown {
		return failures
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

// boundRules limit a value that is there; a missing one is reported by
// the field's type rule alone.
var boundRules = map[string]bool{
	"max_length": true, "min_length": true, "max_items": true, "max_allowed": true, "max_num": true,
	"text": true, "header_safe": true, "url_port": true, "target_port": true,
}

func ruleName(rule string) string {
	name, _, _ := strings.Cut(rule, "=")
	return name
}

// checkNested checks a struct-typed field's object, or a slice of
// structs' objects, as objects of their own.
func (r *rules) checkNested(ctx context.Context, t reflect.Type, raw any, mode checkMode, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[customHeaders]():
		return checkCustomHeaders(raw)
	case t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Time]():
		if obj, ok := raw.(map[string]any); ok {
			return r.check(ctx, t, obj, mode, path+".")
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		items, _ := raw.([]any)
		var failures []string
		for i, item := range items {
			if obj, ok := item.(map[string]any); ok {
				failures = append(failures, r.check(ctx, t.Elem(), obj, mode, path+"."+strconv.Itoa(i)+".")...)
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
