package ingest

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store"
)

// RecordInbound notes a message a customer sent on an account's thread:
// journalled for WhatsApp (which has no history API), and the window
// metadata updated everywhere. referralAt is set when the message came from
// a Click-to-WhatsApp ad or Page call-to-action. It reports false for a
// message already recorded (platforms retry webhooks).
func (s *Ingest) RecordInbound(ctx context.Context, orgID, accountID, threadID string, m platform.Message, referralAt time.Time) (bool, error) {
	acct, err := s.store.GetAccount(ctx, orgID, accountID)
	if err != nil {
		return false, domain.StoreErr(err, "account")
	}
	if platform.Name(acct.Platform) == platform.WhatsApp && s.journal != nil {
		fresh, err := s.journal.Record(ctx, acct.ID, threadID, m)
		if err != nil || !fresh {
			return false, err
		}
	}
	meta := store.ConversationMeta{OrgID: orgID, AccountID: accountID, ThreadID: threadID, ParticipantID: m.SenderID,
		LastInboundAt: m.CreatedAt, ReferralAt: referralAt}
	return true, s.store.NoteInbound(ctx, meta, 1)
}
