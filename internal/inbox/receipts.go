package inbox

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
)

// ApplyReceipts sets the status of the business's messages from the
// customer's receipt watermarks: every outgoing message sent at or before
// read is "read", at or before delivered "delivered". Meta reports
// receipts as watermarks ("all messages that were sent before or at this
// timestamp", Messenger message-deliveries and message-reads references)
// and its history carries no status, so Parley keeps them per conversation
// (store.NoteReceipt). A status the platform gave (failed, read) stays
// unless a watermark says more. StatusAt becomes the time of the receipt
// that set the status (status_updated_at).
func ApplyReceipts(msgs []platform.Message, delivered, read time.Time) {
	rank := map[string]int{"": 0, "sent": 1, "delivered": 2, "read": 3}
	for i := range msgs {
		m := &msgs[i]
		r, known := rank[m.Status]
		if m.Direction != "outgoing" || !known {
			continue // incoming, or failed: a watermark does not undo a failure
		}
		switch {
		case !read.IsZero() && !m.CreatedAt.After(read) && r < 3:
			m.Status, m.StatusAt = "read", read
		case !delivered.IsZero() && !m.CreatedAt.After(delivered) && r < 2:
			m.Status, m.StatusAt = "delivered", delivered
		}
	}
}

// withReceipts applies the conversation's stored watermarks to a page of
// its history (platforms whose history has no status: not WhatsApp, whose
// journal keeps each message's own).
func (s *Inbox) withReceipts(ctx context.Context, c domain.Caller, h accountHandle, thread string, msgs []platform.Message) error {
	if h.acct.Platform == platform.WhatsApp {
		return nil
	}
	outgoing := false
	for _, m := range msgs {
		outgoing = outgoing || m.Direction == "outgoing"
	}
	if !outgoing {
		return nil
	}
	meta, err := s.store.ConversationMeta(ctx, c.OrgID, h.row.ID, thread)
	if err != nil {
		return err
	}
	ApplyReceipts(msgs, meta.DeliveredAt, meta.ReadAt)
	return nil
}
