package events

import (
	"context"
	"time"

	"github.com/parleyhq/parley/apitype"

	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/rules"
)

// DefaultWindowLead is how long before a reply window closes that
// conversation.window_closing is sent, unless configured.
const DefaultWindowLead = 2 * time.Hour

// NotifyClosingWindows publishes conversation.window_closing for every
// conversation whose window closes within the lead time with no reply since
// the customer's last message. Each window is announced once.
func (s *Events) NotifyClosingWindows(ctx context.Context) error {
	now := s.now()
	lead := s.windowLead
	// Meta and WhatsApp windows are all 24 h from the last inbound.
	from, to := now.Add(-rules.StandardWindow), now.Add(-rules.StandardWindow+lead)
	metas, err := s.store.AwaitingReply(ctx, from, to)
	if err != nil {
		return err
	}
	for _, m := range metas {
		a, err := s.store.GetAccount(ctx, m.OrgID, m.AccountID)
		if err != nil {
			continue // deleted meanwhile
		}
		switch platform.Name(a.Platform) {
		case platform.Instagram, platform.Messenger, platform.WhatsApp:
		default:
			continue
		}
		closes := m.LastInboundAt.Add(rules.StandardWindow).UTC()
		key := "window_closing:" + a.ID + ":" + m.ThreadID + ":" + m.LastInboundAt.UTC().Format(time.RFC3339Nano)
		data := apitype.WindowClosingEvent{AccountID: a.ID, Platform: a.Platform, ConversationID: convid.Encode(a.ID, m.ThreadID),
			ParticipantID: m.ParticipantID, ClosesAt: closes, SecondsLeft: int(closes.Sub(now).Seconds())}
		if err := s.Publish(ctx, m.OrgID, EventWindowClosing, key, data); err != nil {
			return err
		}
	}
	return nil
}
