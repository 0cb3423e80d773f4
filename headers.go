package hookflow

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Custom headers are name → value pairs an integrator sets on a webhook or
// subscription; every attempt sends them beside Hookflow's own headers,
// which always win. They are stored sealed, like secrets, since they often
// carry a credential (an Authorization bearer token for the receiver).

// reservedHeaders may not be set: Hookflow's own (the Standard Webhooks
// headers and what the HTTP client sets) and the hop-by-hop ones of
// RFC 7230 §6.1, which would change how the request travels rather than
// what it says. Authorization is allowed on purpose: a receiver's bearer
// token is what integrators most often need.
var reservedHeaders = []string{
	"content-type", "content-length", "host", "user-agent", "transfer-encoding",
	"connection", "te", "upgrade", "trailer", "keep-alive",
}

// reservedHeaderPrefixes are reserved families of names.
var reservedHeaderPrefixes = []string{"webhook-", "proxy-"}

// IsReservedHeader reports whether name, in any case, is one a webhook may
// not set.
func IsReservedHeader(name string) bool {
	lower := strings.ToLower(name)
	if slices.Contains(reservedHeaders, lower) {
		return true
	}
	for _, p := range reservedHeaderPrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return false
}

// isTokenChar reports whether c may appear in an RFC 7230 token (tchar).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isToken reports whether s is a non-empty RFC 7230 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// HeaderField is how a message names the custom header name: as written
// when it is a plain token, else quoted (and cut short), so a hostile name
// cannot forge or flood the message.
func HeaderField(name string) string {
	if isToken(name) && len(name) <= MaxHeaderNameLength {
		return "headers." + name
	}
	if r := []rune(name); len(r) > MaxHeaderNameLength {
		name = string(r[:MaxHeaderNameLength]) + "…"
	}
	return "headers." + strconv.Quote(name)
}

// CustomHeaderProblem words what is wrong with one custom header, or
// returns "" when nothing is. The message names the header.
func CustomHeaderProblem(name, value string) string {
	field := HeaderField(name)
	switch {
	case len(name) > MaxHeaderNameLength:
		return fmt.Sprintf("%s must have a name shorter than or equal to %d characters", field, MaxHeaderNameLength)
	case strings.ContainsAny(name, "\r\n"):
		return field + " must not contain CR or LF characters"
	case !isToken(name):
		return field + " must have a name that is an HTTP token (letters, digits and !#$%&'*+-.^_`|~)"
	case IsReservedHeader(name):
		return field + " is reserved"
	case len(value) > MaxHeaderValueLength:
		return fmt.Sprintf("%s must be shorter than or equal to %d characters", field, MaxHeaderValueLength)
	case strings.ContainsAny(value, "\r\n"):
		return field + " must not contain CR or LF characters"
	case !isVisibleASCII(value):
		return field + " must contain only visible ASCII characters and spaces"
	}
	return ""
}

// isVisibleASCII reports whether s holds only visible ASCII and spaces:
// no control characters (NUL, tab, CR, LF) and nothing past ASCII.
func isVisibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// ErrTooManyHeaders is the message of a set of more than MaxCustomHeaders.
var ErrTooManyHeaders = fmt.Sprintf("headers must contain no more than %d entries", MaxCustomHeaders)

// CheckCustomHeaders returns every problem of a set of custom headers, in
// name order, or nil. Names differing only in case are one header twice.
func CheckCustomHeaders(headers map[string]string) []string {
	var problems []string
	if len(headers) > MaxCustomHeaders {
		problems = append(problems, ErrTooManyHeaders)
	}
	seen := make(map[string]string, len(headers))
	for _, name := range slices.Sorted(maps.Keys(headers)) { // a stable order of messages
		if p := CustomHeaderProblem(name, headers[name]); p != "" {
			problems = append(problems, p)
			continue
		}
		lower := strings.ToLower(name)
		if first, ok := seen[lower]; ok {
			problems = append(problems, HeaderField(name)+" repeats "+HeaderField(first)+": header names are case-insensitive")
		}
		seen[lower] = name
	}
	return problems
}
