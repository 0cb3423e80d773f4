package api

import (
	"time"

	"github.com/hookflow/hookflow"
)

// The info blocks every ECG entity carries. Times are RFC 3339 in UTC;
// times and subjects are null where nothing happened yet.

type auditInfoView struct {
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy *string   `json:"createdBy"`
	UpdatedAt time.Time `json:"updatedAt"`
	UpdatedBy *string   `json:"updatedBy"`
}

type activeInfoView struct {
	IsActive  bool       `json:"isActive"`
	ChangedAt *time.Time `json:"changedAt"`
	ChangedBy *string    `json:"changedBy"`
}

type archiveInfoView struct {
	IsArchived bool       `json:"isArchived"`
	ArchivedAt *time.Time `json:"archivedAt"`
	ArchivedBy *string    `json:"archivedBy"`
}

func auditView(a hookflow.AuditInfo) auditInfoView {
	return auditInfoView{CreatedAt: a.CreatedAt.UTC(), CreatedBy: nullable(a.CreatedBy), UpdatedAt: a.UpdatedAt.UTC(), UpdatedBy: nullable(a.UpdatedBy)}
}

func activeView(l hookflow.Lifecycle) activeInfoView {
	return activeInfoView{IsActive: l.Active, ChangedAt: utc(l.ActiveChangedAt), ChangedBy: nullable(l.ActiveChangedBy)}
}

func archiveView(l hookflow.Lifecycle) archiveInfoView {
	return archiveInfoView{IsArchived: l.ArchivedAt != nil, ArchivedAt: utc(l.ArchivedAt), ArchivedBy: nullable(l.ArchivedBy)}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
