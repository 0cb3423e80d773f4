package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

type seedDataVersionView struct {
	Version     string    `json:"version"`
	Description string    `json:"description"`
	AppliedAt   time.Time `json:"appliedAt"`
}

// listSeedDataVersions answers a bare array, as seed 003 shows.
func (h *samplePayloadHandlers) listSeedDataVersions(c *gin.Context) {
	versions, err := h.payloads.SeedDataVersions(c)
	if err != nil {
		fail(c, err)
		return
	}
	out := listOf(versions, len(versions), func(v hookflow.SeedDataVersion) seedDataVersionView {
		return seedDataVersionView{Version: v.Version, Description: v.Description, AppliedAt: v.AppliedAt.UTC()}
	})
	c.JSON(http.StatusOK, out.Data)
}
