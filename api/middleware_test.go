package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestPanicAnswersA500ThatLeaksNothing(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	s := NewServer(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Options{})
	s.engine.GET("/boom", func(*gin.Context) { panic("database password is hunter2") })
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	if got, want := rec.Body.String(), `{"message":"Internal server error","statusCode":500}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if strings.Contains(rec.Body.String(), "hunter2") {
		t.Error("the panic's value leaked")
	}
}
