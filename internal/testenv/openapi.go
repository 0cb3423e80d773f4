package testenv

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/hookflow/hookflow/api/openapi"
)

// OpenAPISpec loads Hookflow's OpenAPI document as kin-openapi sees it.
func OpenAPISpec(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := openapi3.NewLoader().LoadFromData(doc.JSON)
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI document: %v", err)
	}
	return spec
}

// CheckedAgainstOpenAPI wraps h so that every answer to a route of the
// OpenAPI document is checked against it: its status must be documented for
// the operation and its body must match the documented schema. A mismatch
// fails t. Requests to routes the document does not list (the unknown-route
// 404s) pass unchecked.
func CheckedAgainstOpenAPI(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	router, err := legacy.NewRouter(OpenAPISpec(t))
	if err != nil {
		t.Fatalf("route the OpenAPI document: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		checkResponse(t, router, r, rec)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func checkResponse(t testing.TB, router routers.Router, r *http.Request, rec *httptest.ResponseRecorder) {
	route, params, err := router.FindRoute(r)
	if err != nil {
		return // not a documented route: nothing to hold the answer to
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(r.Context(), input); err != nil {
		body := rec.Body.String()
		if len(body) > 500 {
			body = body[:500] + "..."
		}
		t.Errorf("%s %s answered %d, which the OpenAPI document does not allow: %v\nbody: %s", r.Method, r.URL.Path, rec.Code, err, body)
	}
}
