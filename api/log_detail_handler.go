package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// logDetail is one delivery log with every attempt in order: what each try
// sent and got back.
type logDetail struct {
	logEntry
	History []attemptResponse `json:"history"`
}

// getLog answers one delivery with its attempts: its owner or support.
func (s *Server) getLog(c *gin.Context) {
	p := principal(c)
	e, err := s.deps.Logs.LogEntry(c, c.Param("logId"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if !p.HasAny(auth.RoleSupport) && e.Delivery.ClientID != p.ClientID {
		s.fail(c, hookflow.ErrLogNotFound)
		return
	}
	attempts, err := s.deps.Logs.Attempts(c, e.Delivery.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := logDetail{logEntry: toLogEntry(*e), History: make([]attemptResponse, 0, len(attempts))}
	for _, a := range attempts {
		out.History = append(out.History, toAttemptResponse(a))
	}
	c.JSON(http.StatusOK, dataEnvelope{Data: out})
}
