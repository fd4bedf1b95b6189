package liemu

import (
	"errors"
	"time"
)

// WebhookTimeout bounds one webhook POST.
const WebhookTimeout = 5 * time.Second

// ErrWebhook wraps every failure to deliver a webhook: the target was
// unreachable, timed out or answered other than 2xx. The message is recorded
// regardless.
var ErrWebhook = errors.New("liemu: webhook delivery failed")

// Webhook notification shapes. The envelope {"type", "notifications"} and
// the notificationId/organizationalEntity/action/lastModifiedAt fields are
// LinkedIn's DOCUMENTED push shape for organisation social actions
// (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications);
// the message notification itself is ASSUMED, exactly as the adapter's
// internal/platform/linkedin/assumptions.go ("Webhooks") defines it.
const (
	webhookTypeMessages         = "ORGANIZATION_MESSAGE_NOTIFICATIONS" // ASSUMED
	webhookActionMessageCreated = "MESSAGE_CREATED"                    // ASSUMED
)

type wireNotifications struct {
	Type          string                    `json:"type"`
	Notifications []wireMessageNotification `json:"notifications"`
}

type wireMessageNotification struct {
	NotificationID       int64            `json:"notificationId"`
	OrganizationalEntity string           `json:"organizationalEntity"`
	Action               string           `json:"action"`
	LastModifiedAt       int64            `json:"lastModifiedAt"`
	Message              wireMessage      `json:"message"`
	DecoratedAuthor      *wireParticipant `json:"decoratedAuthor,omitempty"`
}

// SetWebhook makes the emulator POST a message notification to url each
// time a member writes (Inbound), signed in X-LI-Signature with
// clientSecret: hex HMAC-SHA256 over "hmacsha256=" + body
// (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation).
// An empty url turns delivery off.
func (e *Emulator) SetWebhook(url, clientSecret string) { e.kit.SetWebhook(url, clientSecret) }

// WebhookBody builds the (ASSUMED-shape) notification LinkedIn would push
// for message m of a thread, with the author's display fields.
func (e *Emulator) WebhookBody(m Message) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.threads[m.ThreadURN]
	if !ok {
		return nil, ErrUnknownThread
	}
	var stored *Message
	for _, sm := range t.msgs {
		if sm.ID == m.ID {
			stored = sm
			break
		}
	}
	if stored == nil {
		return nil, ErrUnknownThread
	}
	// A counter of its own, so notifying never shifts thread or message ids.
	e.noteSeq++
	n := wireMessageNotification{
		NotificationID:       7300000000000000000 + e.noteSeq,
		OrganizationalEntity: t.org,
		Action:               webhookActionMessageCreated,
		LastModifiedAt:       stored.CreatedAt.UnixMilli(),
		Message:              toWireMessage(t, stored),
	}
	if stored.Author != t.org {
		p := e.personLocked(stored.Author)
		n.DecoratedAuthor = &wireParticipant{Participant: p.URN, LocalizedFirstName: p.FirstName, LocalizedLastName: p.LastName, ProfilePicture: p.PictureURL}
	}
	return marshal(wireNotifications{Type: webhookTypeMessages, Notifications: []wireMessageNotification{n}})
}

// notify posts m's notification when a target is set. Must be called
// without e.mu held: the receiver may call the emulator before it answers.
func (e *Emulator) notify(m Message) error {
	return e.kit.Notify(func() ([]byte, error) { return e.WebhookBody(m) })
}
