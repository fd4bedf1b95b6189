package linkedin

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/parleyhq/parley/internal/platform"
)

// ErrNotLinkedInWebhook is returned by ParseWebhook when the body is not a
// LinkedIn notification envelope.
var ErrNotLinkedInWebhook = errors.New("linkedin: not a LinkedIn webhook payload")

// ParseWebhook normalises a LinkedIn push body into events. The message
// notification shape is ASSUMED (see assumptions.go, "Webhooks"): LinkedIn
// documents the envelope {"type", "notifications"} for organisation social
// actions only. A message authored by the organisation is an EventEcho
// (ParticipantID then unknown, left empty); any other author is the
// participant. ThreadID is the messagingThread URN. Other notification types
// (e.g. ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS) and actions yield no
// events; a malformed notification skips only itself. It fails only when
// the body is not a JSON object with a string `type`.
func ParseWebhook(body []byte) ([]platform.InboundEvent, error) {
	var env wireNotifications
	if err := json.Unmarshal(body, &env); err != nil {
		var probe struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(body, &probe) != nil || probe.Type == "" {
			return nil, ErrNotLinkedInWebhook
		}
		return nil, nil
	}
	if env.Type == "" {
		return nil, ErrNotLinkedInWebhook
	}
	if env.Type != WebhookTypeMessages {
		return nil, nil
	}
	var out []platform.InboundEvent
	for _, raw := range env.Notifications {
		var n wireMessageNotification
		if json.Unmarshal(raw, &n) != nil || n.Action != WebhookActionMessageCreated || n.Message == nil {
			continue
		}
		w := *n.Message
		org := n.OrganizationalEntity
		if org == "" {
			org = w.Owner
		}
		if org == "" || w.ID == "" || w.Author == "" {
			continue
		}
		m := toMessage(org, w)
		if m.CreatedAt.IsZero() {
			m.CreatedAt = fromMillis(n.LastModifiedAt)
		}
		ev := platform.InboundEvent{
			Kind:            platform.EventMessage,
			Platform:        platform.LinkedIn,
			AccountNativeID: org,
			ThreadID:        w.Thread,
			ParticipantID:   w.Author,
			MessageID:       w.ID,
			At:              m.CreatedAt,
		}
		if w.Author == org {
			ev.Kind, ev.ParticipantID = platform.EventEcho, ""
		} else if a := n.DecoratedAuthor; a != nil {
			m.SenderName = strings.TrimSpace(a.LocalizedFirstName + " " + a.LocalizedLastName)
			if m.SenderName == "" {
				m.SenderName = a.LocalizedName
			}
		}
		ev.Message = m
		out = append(out, ev)
	}
	return out, nil
}
