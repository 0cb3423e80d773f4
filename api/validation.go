package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/signing"
)

// Request fields are decoded as raw JSON values (any) so that a wrong type is
// one more failed rule, not a decoding error that hides the others. Each rule
// of a field's `validate` tag runs on its own, so every failure is reported,
// in field order then tag order, and messages come from one table.

// ruleOptional as a field's first rule skips the field when it is absent or null.
const ruleOptional = "optional"

type allowedValuesKey struct{}

// withAllowedValues puts the values the `each_in`/`in` rules accept into ctx.
func withAllowedValues(ctx context.Context, allowed []string) context.Context {
	return context.WithValue(ctx, allowedValuesKey{}, allowed)
}

func allowedValues(ctx context.Context) []string {
	v, _ := ctx.Value(allowedValuesKey{}).([]string)
	return v
}

// messages holds the seeds' wording per rule: {field} is the field name,
// {param} the rule's parameter, {values} the allowed values.
var messages = map[string]string{
	"string":          "{field} must be a string",
	"https_url":       "should be a secure URL with HTTPS",
	"array":           "{field} must be an array",
	"min_items":       "{field} must contain at least {param} elements",
	"max_items":       "{field} must contain no more than {param} elements",
	"each_string":     "each value in {field} must be a string",
	"each_in":         "each value in {field} must be one of the following values: {values}",
	"each_secret":     "each value in {field} must be a valid secret: base64 of 24 to 64 bytes, optionally prefixed with whsec_",
	"in":              "{field} must be one of the following values: {values}",
	"rfc3339":         "{field} must be RFC 3339 date",
	"iso8601":         "{field} must be a valid ISO 8601 date string",
	"number":          "{field} must be a number conforming to the specified constraints",
	"oneof":           "{field} must be one of the following values: {param}",
	"object":          "{field} must be an object",
	"max_length":      "{field} must be shorter than or equal to {param} characters",
	"min_length":      "{field} must be longer than or equal to {param} characters",
	"each_max_length": "each value in {field} must be shorter than or equal to {param} characters",
	"text":            "{field} must be valid UTF-8 without NUL characters",
	"each_text":       "each value in {field} must be valid UTF-8 without NUL characters",
	"header_safe":     "{field} must contain only the characters " + hookflow.IDCharacters,
	"url_port":        "{field} must have a port between 1 and 65535",
	"max_allowed":     "{field} must contain no more than {count} elements",
	"min_num":         "{field} must not be less than {param}",
	"max_num":         "{field} must not be greater than {param}",
}

// Validator runs validator/v10 rules over raw request values.
type Validator struct {
	v             *validator.Validate
	allowInsecure bool
}

// NewValidator registers Hookflow's rules. allowInsecure lets http:// URLs
// pass the https_url rule (development only).
func NewValidator(allowInsecure bool) *Validator {
	val := &Validator{v: validator.New(), allowInsecure: allowInsecure}
	must := func(err error) {
		if err != nil {
			panic(fmt.Sprintf("register validation: %v", err)) // a programming error, caught by every test
		}
	}
	must(val.v.RegisterValidation("string", func(fl validator.FieldLevel) bool { _, ok := value(fl).(string); return ok }, true))
	must(val.v.RegisterValidation("https_url", val.httpsURL, true))
	must(val.v.RegisterValidation("array", func(fl validator.FieldLevel) bool { _, ok := value(fl).([]any); return ok }, true))
	// A value that is not an array is the `array` rule's to report; a
	// missing one fails every rule (see Check), as the seeds list.
	must(val.v.RegisterValidation("min_items", func(fl validator.FieldLevel) bool {
		items, ok := value(fl).([]any)
		return !ok || len(items) >= paramInt(fl)
	}, true))
	must(val.v.RegisterValidation("max_items", func(fl validator.FieldLevel) bool {
		items, ok := value(fl).([]any)
		return !ok || len(items) <= paramInt(fl)
	}, true))
	must(val.v.RegisterValidation("each_string", eachItem(func(item any) bool { _, ok := item.(string); return ok }), true))
	must(val.v.RegisterValidation("each_secret", eachItem(func(item any) bool {
		s, ok := item.(string)
		if !ok {
			return true // each_string reports it
		}
		_, err := signing.DecodeSecret(s)
		return err == nil
	}), true))
	must(val.v.RegisterValidationCtx("each_in", func(ctx context.Context, fl validator.FieldLevel) bool {
		allowed := allowedValues(ctx)
		return eachItem(func(item any) bool { s, ok := item.(string); return ok && slices.Contains(allowed, s) })(fl)
	}, true))
	must(val.v.RegisterValidationCtx("in", func(ctx context.Context, fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		return ok && slices.Contains(allowedValues(ctx), s)
	}, true))
	must(val.v.RegisterValidation("object", func(fl validator.FieldLevel) bool { _, ok := value(fl).(map[string]any); return ok }, true))
	// Lengths count characters, as the messages say; a string that is not
	// UTF-8 counts its bytes and is the `text` rule's to report.
	must(val.v.RegisterValidation("max_length", func(fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		return !ok || utf8.RuneCountInString(s) <= paramInt(fl)
	}, true))
	must(val.v.RegisterValidation("min_length", func(fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		return !ok || utf8.RuneCountInString(s) >= paramInt(fl)
	}, true))
	must(val.v.RegisterValidation("each_max_length", func(fl validator.FieldLevel) bool {
		limit := paramInt(fl)
		return eachItem(func(item any) bool { s, ok := item.(string); return !ok || utf8.RuneCountInString(s) <= limit })(fl)
	}, true))
	must(val.v.RegisterValidation("text", func(fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		return !ok || hookflow.IsText(s)
	}, true))
	must(val.v.RegisterValidation("each_text", eachItem(func(item any) bool { s, ok := item.(string); return !ok || hookflow.IsText(s) }), true))
	must(val.v.RegisterValidation("header_safe", func(fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		return !ok || hookflow.IsHeaderSafeID(s)
	}, true))
	must(val.v.RegisterValidation("url_port", func(fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		return !ok || validPort(s)
	}, true))
	must(val.v.RegisterValidationCtx("max_allowed", func(ctx context.Context, fl validator.FieldLevel) bool {
		items, ok := value(fl).([]any)
		return !ok || len(items) <= len(allowedValues(ctx))
	}, true))
	must(val.v.RegisterValidation("rfc3339", func(fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		_, err := time.Parse(time.RFC3339Nano, s)
		return ok && err == nil
	}, true))
	must(val.v.RegisterValidation("iso8601", func(fl validator.FieldLevel) bool {
		s, ok := value(fl).(string)
		return ok && isISO8601(s)
	}, true))
	must(val.v.RegisterValidation("number", func(fl validator.FieldLevel) bool { _, ok := number(value(fl)); return ok }, true))
	must(val.v.RegisterValidation("min_num", func(fl validator.FieldLevel) bool {
		n, ok := number(value(fl))
		return !ok || n >= float64(paramInt(fl))
	}, true))
	must(val.v.RegisterValidation("max_num", func(fl validator.FieldLevel) bool {
		n, ok := number(value(fl))
		return !ok || n <= float64(paramInt(fl))
	}, true))
	return val
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

// resolveParam lets a rule's parameter name a limit of limits.go
// (`max_length=MaxIDLength`), so the constant is the one source of the
// number in both the check and its message.
func resolveParam(param string) string {
	switch param {
	case "MaxIDLength":
		return strconv.Itoa(hookflow.MaxIDLength)
	case "MaxIdempotencyKeyLength":
		return strconv.Itoa(hookflow.MaxIdempotencyKeyLength)
	case "MaxURLLength":
		return strconv.Itoa(hookflow.MaxURLLength)
	case "MaxFacilities":
		return strconv.Itoa(hookflow.MaxFacilities)
	case "MaxLogLimit":
		return strconv.Itoa(hookflow.MaxLogLimit)
	case "MaxLogOffset":
		return strconv.Itoa(hookflow.MaxLogOffset)
	}
	return param
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

func (val *Validator) httpsURL(fl validator.FieldLevel) bool {
	s, ok := value(fl).(string)
	if !ok {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || (val.allowInsecure && u.Scheme == "http")
}

// fieldRules describes one validated field of a request struct.
type fieldRules struct {
	name  string // the JSON or query name
	index []int  // for reflect.Value.FieldByIndex
	rules []string
}

// rulesOf lists the fields of a request struct in order; the fields of an
// embedded struct (a shared part such as pageQuery) take its place.
func rulesOf(t reflect.Type) []fieldRules {
	var out []fieldRules
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for _, inner := range rulesOf(f.Type) {
				inner.index = append([]int{i}, inner.index...)
				out = append(out, inner)
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		var rules []string
		if tag := f.Tag.Get("validate"); tag != "" {
			rules = strings.Split(tag, ",")
		}
		out = append(out, fieldRules{name: name, index: []int{i}, rules: rules})
	}
	return out
}

// Check runs every rule of every field of req (a pointer to a struct of
// `any` fields) and returns the seeds' messages for those that fail.
// allowed feeds the `in` and `each_in` rules. partial (PATCH) skips every
// absent field, as if each were optional.
func (val *Validator) Check(ctx context.Context, req any, allowed []string, partial bool) []string {
	ctx = withAllowedValues(ctx, allowed)
	rv := reflect.ValueOf(req).Elem()
	var failures []string
	for _, f := range rulesOf(rv.Type()) {
		fv := rv.FieldByIndex(f.index).Interface()
		rules := f.rules
		optional := len(rules) > 0 && rules[0] == ruleOptional
		if optional {
			rules = rules[1:]
		}
		if fv == nil && (optional || partial) {
			continue
		}
		for _, rule := range rules {
			// validator/v10 fails every rule on a missing value without running
			// it; the per-element rules have no elements to speak of then,
			// and a bound has no value to bound (the seeds list neither).
			if fv == nil && (strings.HasPrefix(rule, "each_") || boundRules[ruleName(rule)]) {
				continue
			}
			if err := val.v.VarCtx(ctx, fv, rule); err != nil {
				failures = append(failures, message(err, f.name, allowed))
			}
		}
	}
	return failures
}

// boundRules limit a value that is there; a missing one is reported by
// the field's type rule alone.
var boundRules = map[string]bool{
	"max_length": true, "min_length": true, "max_items": true, "max_allowed": true, "max_num": true,
	"text": true, "header_safe": true, "url_port": true,
}

func ruleName(rule string) string {
	name, _, _ := strings.Cut(rule, "=")
	return name
}

func message(err error, field string, allowed []string) string {
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) || len(verrs) == 0 {
		return field + " is invalid"
	}
	fe := verrs[0]
	tmpl, ok := messages[fe.Tag()]
	if !ok {
		return field + " is invalid"
	}
	param := resolveParam(fe.Param())
	if fe.Tag() == "oneof" {
		param = strings.Join(strings.Fields(param), ", ")
	}
	return strings.NewReplacer("{field}", field, "{param}", param, "{values}", strings.Join(allowed, ", "),
		"{count}", strconv.Itoa(len(allowed))).Replace(tmpl)
}
