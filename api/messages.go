package api

import (
	"errors"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/hookflow/hookflow"
)

// messages holds the seeds' wording per rule, class-validator style:
// {field} is the field's path, {param} the rule's parameter, {values} the
// allowed values and {count} how many there are. It is the one table every
// request's failures are worded from.
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
	"target_port":     "{field} must use port {ports}", // {ports}: the configured ones (rules.check)
	"max_allowed":     "{field} must contain no more than {count} elements",
	"min_num":         "{field} must not be less than {param}",
	"max_num":         "{field} must not be greater than {param}",
	"not_empty":       "{field} should not be empty",
	"boolean":         "{field} must be a boolean value",
	"int":             "{field} must be an integer number",
	"url_address":     "{field} must be a URL address",
	"category_code":   "{field} must match /" + categoryCodePattern + "/ regular expression",
	"event_code":      "{field} must match /" + eventCodePattern + "/ regular expression",
	"version":         "{field} must match /" + versionPattern + "/ regular expression",
}

// Patterns of the catalog's codes and versions, named in their messages.
const (
	categoryCodePattern = `^[a-z][a-z0-9-]*$`
	eventCodePattern    = `^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$`
	versionPattern      = `^v[0-9]+$`
)

// message words the failure err of field; allowed are the field's allowed values.
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
	case "MaxFilterLength":
		return strconv.Itoa(hookflow.MaxFilterLength)
	case "MaxLogOffset":
		return strconv.Itoa(hookflow.MaxLogOffset)
	case "MaxRateLimit":
		return strconv.Itoa(hookflow.MaxRateLimit)
	}
	return param
}
