package inbox

import (
	"context"
	"strings"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
)

// Archiving is Parley's own metadata: no platform exposes an archive state
// through its API. The next customer message makes an archived conversation
// active again: the store clears the mark as it notes the message (in the
// same statement), and a view that sees the platform show a message newer
// than the archiving before that already reads it as active.

// archived reports whether a conversation archived at archivedAt (zero: not
// archived) still is, the customer's last message being at lastInbound.
func archived(archivedAt, lastInbound time.Time) bool {
	return !archivedAt.IsZero() && !lastInbound.After(archivedAt)
}

func statusOf(archivedAt, lastInbound time.Time) string {
	if archived(archivedAt, lastInbound) {
		return apitype.ConversationArchived
	}
	return apitype.ConversationActive
}

// conversationStatus checks a status given as a filter or an update;
// def answers an empty one ("" makes it required).
func conversationStatus(s, def string) (string, error) {
	switch s = strings.TrimSpace(s); s {
	case apitype.ConversationActive, apitype.ConversationArchived:
		return s, nil
	case "":
		if def != "" {
			return def, nil
		}
		return "", apierr.Required("status").With("allowed", []string{apitype.ConversationActive, apitype.ConversationArchived})
	}
	return "", apierr.Invalid("status", "status must be active or archived").
		With("allowed", []string{apitype.ConversationActive, apitype.ConversationArchived})
}

// archivedAmong reads which of the fetched conversations are archived, in
// one query for a whole page across accounts.
func (s *Inbox) archivedAmong(ctx context.Context, orgID string, sources []Source[platform.Conversation]) (map[[2]string]time.Time, error) {
	var threads []string
	for _, src := range sources {
		for _, c := range src.Items {
			threads = append(threads, c.ThreadID)
		}
	}
	return s.store.ArchivedThreads(ctx, orgID, threads)
}

// UpdateConversation archives a conversation ({"status": "archived"}) or
// brings it back ("active"), and answers it as it is now.
func (s *Inbox) UpdateConversation(ctx context.Context, c domain.Caller, id string, in apitype.ConversationUpdate) (apitype.Conversation, error) {
	status, err := conversationStatus(in.Status, "")
	if err != nil {
		return apitype.Conversation{}, err
	}
	h, thread, err := s.conversation(ctx, c, id)
	if err != nil {
		return apitype.Conversation{}, err
	}
	// The platform confirms the thread exists (a made-up thread id of one
	// of the caller's accounts is a 404, as on GET).
	pc, err := h.adapter.GetConversation(ctx, h.acct, thread)
	if err != nil {
		return apitype.Conversation{}, s.platformErr(ctx, h, err)
	}
	var at time.Time
	if status == apitype.ConversationArchived {
		// What the platform shows is noted first (syncMeta), so that a
		// message the user could see now is not taken later for a new one.
		meta := s.syncMeta(ctx, h, pc)
		// Archived as of now, or of the last message known if the
		// platform's clock runs ahead of ours: archiving hides what is
		// there.
		at = s.now()
		if meta.LastInboundAt.After(at) {
			at = meta.LastInboundAt
		}
	}
	if err := s.store.SetArchived(ctx, h.row.OrgID, h.row.ID, thread, at); err != nil {
		return apitype.Conversation{}, err
	}
	return s.conversationView(ctx, h, pc), nil
}
