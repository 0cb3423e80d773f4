package storage

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookflow/hookflow"
)

// ErrUnstorable answers a value PostgreSQL refuses as data (a NUL in text
// or jsonb, bytes that are not UTF-8, a number past numeric's range, an
// index entry too large). The API's limits refuse such input first; this
// keeps anything they miss a 400 instead of a 500 or a 503 that invites a
// retry of the same input.
var ErrUnstorable = hookflow.Invalid("Request contains a value that cannot be stored")

// unstorable returns ErrUnstorable, wrapping err, when PostgreSQL refused
// the input itself: SQLSTATE class 22 (data exception) or 54 (program limit
// exceeded). Any other error is returned as it is.
func unstorable(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "54")) {
		return errors.Join(ErrUnstorable, err)
	}
	return err
}
