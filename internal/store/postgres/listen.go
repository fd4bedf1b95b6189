package postgres

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/internal/store/sqlstore"
)

// ListenEvents calls fn with the organisation and id of every event any
// replica records in the database at url (sqlstore.EventsChannel), until
// ctx ends. It holds one connection waiting on LISTEN (no polling) and
// reconnects after a failure, waiting up to 30 s between tries;
// notifications sent while it was disconnected are lost, which live pages
// survive (they catch up on their next event or reload). listening, when
// not nil, is called each time the LISTEN is in place.
func ListenEvents(ctx context.Context, url string, log *slog.Logger, listening func(), fn func(orgID, eventID string)) {
	wait := time.Second
	for ctx.Err() == nil {
		err := listenOnce(ctx, url, fn, func() {
			wait = time.Second
			if listening != nil {
				listening()
			}
		})
		if ctx.Err() != nil {
			return
		}
		log.Warn("listening for events failed; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func listenOnce(ctx context.Context, url string, fn func(orgID, eventID string), connected func()) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+sqlstore.EventsChannel); err != nil {
		return err
	}
	connected()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if org, id, ok := strings.Cut(n.Payload, " "); ok {
			fn(org, id)
		}
	}
}
