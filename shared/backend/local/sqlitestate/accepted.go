package sqlitestate

import (
	"context"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/pipeline"
)

// Accepted lists the uploads whose bundle was accepted (routed or not), oldest first: the
// bundles the identifier index backfills.
func (u *Uploads) Accepted(ctx context.Context) ([]pipeline.Upload, error) {
	return sqlitedb.QueryAll(ctx, u.db, scanUpload, `SELECT `+uploadCols+` FROM uploads WHERE state IN (?, ?) ORDER BY received_at, bundle`,
		string(pipeline.UploadAccepted), string(pipeline.UploadRouted))
}
