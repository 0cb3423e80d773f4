package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

// logDetail is one delivery log with every attempt in order: what each try
// sent and got back.
type logDetail struct {
	logEntry
	History []attemptResponse `json:"history"`
}

// detail answers one delivery with its attempts: its owner or support.
func (h *logHandlers) detail(c *gin.Context) {
	p := principal(c)
	e, err := h.logs.LogEntry(c, c.Param("logId"))
	if err != nil {
		fail(c, err)
		return
	}
	if !mayRead(p, e.Delivery) {
		fail(c, hookflow.ErrLogNotFound)
		return
	}
	attempts, err := h.deliveries.Attempts(c, e.Delivery.ID)
	if err != nil {
		fail(c, err)
		return
	}
	out := logDetail{logEntry: toLogEntry(*e), History: make([]attemptResponse, 0, len(attempts))}
	owner := p.ClientID == e.Delivery.ClientID
	for _, a := range attempts {
		v := toAttemptResponse(a)
		v.Request = toAttemptRequest(a.Request, owner)
		out.History = append(out.History, v)
	}
	c.JSON(http.StatusOK, dataEnvelope{Data: out})
}
