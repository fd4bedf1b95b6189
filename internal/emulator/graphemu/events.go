package graphemu

import (
	"errors"
	"fmt"

	"github.com/parleyhq/parley/internal/platform"
)

// Webhook kinds beyond messages: what the person on the other side does
// to a thread (their app delivers and reads the business's messages,
// reacts, edits, unsends, taps a button, comes back through a link), each
// sent in Meta's shape and signed like a message webhook. Shapes (checked
// 2026-11-30):
//
//   - delivery {mids, watermark}: message_deliveries, "Only available for
//     Messenger conversations";
//   - read {watermark} (Messenger message_reads) and read {mid} (Instagram
//     messaging_seen);
//   - reaction {mid, action, reaction, emoji}: message_reactions, both;
//     an unreact carries only mid and action;
//   - message_edit {mid, text, num_edit}: message_edits, "Only available
//     for Messenger conversations" (the person can edit five times, a
//     client-side limit);
//   - postback {mid, title, payload}: messaging_postbacks;
//   - referral {ref, source, type}: messaging_referrals for a thread that
//     already exists;
//   - message {mid, is_deleted: true}: an unsent message (Instagram; on
//     Messenger the same item).
//
// Field list and availability: Webhook Events Reference
// (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events,
// updated Jun 26 2024) and Instagram webhook fields
// (https://developers.facebook.com/documentation/instagram-platform/webhooks/fields,
// updated Oct 28 2026). Shapes: the per-event pages under
// .../messenger-platform/webhooks/webhook-events/ (message-reactions,
// message-edits, message-deliveries, message-reads, standby).
//
// While a thread is on standby (SetStandby: another app owns it under the
// handover protocol), every item goes in entry[].standby[] instead of
// entry[].messaging[], and postbacks lose their payload
// (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/standby,
// updated Sep 25 2024).

// MaxEdits is how often a person can edit one message (Messenger's
// client-side limit, message_edits reference).
const MaxEdits = 5

// ErrNotOnPlatform is returned when the platform sends no webhook of the
// kind asked for (delivery and edit notifications on Instagram).
var ErrNotOnPlatform = errors.New("graphemu: this platform sends no such webhook")

// ErrTooManyEdits is returned by Edit after MaxEdits edits.
var ErrTooManyEdits = errors.New("graphemu: a message can be edited at most 5 times")

// SetStandby puts a thread on the standby channel (on) or back on the
// primary one: from then on its webhooks arrive in entry[].standby[].
func (e *Emulator) SetStandby(threadID string, on bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.threads[threadID]
	if !ok {
		return ErrNotFound
	}
	t.standby = on
	return nil
}

// Deliver reports the business's messages not yet delivered in a thread
// as delivered now: one delivery item naming their mids, with the newest
// one's time as watermark. Messenger only; nothing undelivered sends
// nothing.
func (e *Emulator) Deliver(threadID string) error {
	return e.emit(threadID, func(t *thread) (string, any, error) {
		if t.acct.Platform != platform.Messenger {
			return "", nil, ErrNotOnPlatform
		}
		var mids []string
		var mark int64
		for _, m := range t.msgs {
			if !m.Inbound && !m.Delivered {
				m.Delivered = true
				mids = append(mids, m.ID)
				mark = max(mark, m.At.UnixMilli())
			}
		}
		if len(mids) == 0 {
			return "", nil, nil
		}
		return "delivery", map[string]any{"mids": mids, "watermark": mark}, nil
	})
}

// Read reports that the person has read the thread up to now: Messenger's
// read {watermark} (every business message at or before it is read), or
// Instagram's read {mid} naming the newest business message. A thread with
// no business message sends nothing.
func (e *Emulator) Read(threadID string) error {
	return e.emit(threadID, func(t *thread) (string, any, error) {
		var last *Message
		for _, m := range t.msgs {
			if !m.Inbound {
				m.Delivered, m.Read = true, true
				last = m
			}
		}
		if last == nil {
			return "", nil, nil
		}
		if t.acct.Platform == platform.Instagram {
			return "read", map[string]any{"mid": last.ID}, nil
		}
		return "read", map[string]any{"watermark": e.opts.Now().UnixMilli()}, nil
	})
}

// React records the person's reaction to a message of the thread (emoji ""
// takes it back: action unreact) and sends message_reactions. name is
// Meta's category for the emoji (love, like, smile, wow, sad, angry,
// dislike, other); "" sends "other".
func (e *Emulator) React(messageID, emoji, name string) error {
	return e.emitOn(messageID, func(t *thread, m *Message) (string, any, error) {
		if emoji == "" {
			m.Reaction = ""
			return "reaction", map[string]any{"mid": m.ID, "action": "unreact"}, nil
		}
		if name == "" {
			name = "other"
		}
		m.Reaction = emoji
		return "reaction", map[string]any{"mid": m.ID, "action": "react", "reaction": name, "emoji": emoji}, nil
	})
}

// Edit changes the text of one of the person's messages and sends
// message_edits. Messenger only; the business's own messages and a sixth
// edit are refused.
func (e *Emulator) Edit(messageID, text string) error {
	return e.emitOn(messageID, func(t *thread, m *Message) (string, any, error) {
		switch {
		case t.acct.Platform != platform.Messenger:
			return "", nil, ErrNotOnPlatform
		case !m.Inbound:
			return "", nil, fmt.Errorf("graphemu: %s was sent by the business; only the person edits their messages", m.ID)
		case m.Edits >= MaxEdits:
			return "", nil, ErrTooManyEdits
		}
		m.Text = text
		m.Edits++
		return "message_edit", map[string]any{"mid": m.ID, "text": text, "num_edit": m.Edits}, nil
	})
}

// Unsend removes one of the person's messages from the thread, as when they
// unsend it, and sends message {mid, is_deleted: true}.
func (e *Emulator) Unsend(messageID string) error {
	return e.emitOn(messageID, func(t *thread, m *Message) (string, any, error) {
		if !m.Inbound {
			return "", nil, fmt.Errorf("graphemu: %s was sent by the business; only the person unsends their messages", m.ID)
		}
		for i, x := range t.msgs {
			if x == m {
				t.msgs = append(t.msgs[:i:i], t.msgs[i+1:]...)
				break
			}
		}
		delete(e.messages, m.ID)
		return "message", map[string]any{"mid": m.ID, "is_deleted": true}, nil
	})
}

// Postback records the person tapping a button (its title becomes their
// message in the thread, as on Messenger) and sends messaging_postbacks
// with the button's payload (omitted on the standby channel).
func (e *Emulator) Postback(accountID, participantID, title, payload string) (Message, error) {
	m, err := e.recordInbound(accountID, Participant{ID: participantID}, title, nil)
	if err != nil {
		return m, err
	}
	return m, e.emit(m.ThreadID, func(t *thread) (string, any, error) {
		pb := map[string]any{"mid": m.ID, "title": title}
		if !t.standby {
			pb["payload"] = payload
		}
		return "postback", pb, nil
	})
}

// Referral sends messaging_referrals for a person who already has a thread
// and opens it again from an m.me link (source SHORTLINK), an ad (ADS) or
// another entry point, with ref the link's parameter.
func (e *Emulator) Referral(threadID, ref, source string) error {
	return e.emit(threadID, func(*thread) (string, any, error) {
		return "referral", map[string]any{"ref": ref, "source": source, "type": "OPEN_THREAD"}, nil
	})
}

// emitOn is emit for an event about one message.
func (e *Emulator) emitOn(messageID string, build func(*thread, *Message) (string, any, error)) error {
	e.mu.Lock()
	m, ok := e.messages[messageID]
	e.mu.Unlock()
	if !ok {
		return ErrNotFound
	}
	return e.emit(m.ThreadID, func(t *thread) (string, any, error) { return build(t, m) })
}

// emit updates a thread under the lock with build, which answers the
// messaging item's key and value ("" for nothing to send), then posts the
// item, signed, without the lock (the receiver may call back).
func (e *Emulator) emit(threadID string, build func(*thread) (string, any, error)) error {
	e.mu.Lock()
	t, ok := e.threads[threadID]
	if !ok {
		e.mu.Unlock()
		return ErrNotFound
	}
	key, val, err := build(t)
	if err != nil || key == "" {
		e.mu.Unlock()
		return err
	}
	item := map[string]any{
		"sender":    map[string]any{"id": t.who.ID},
		"recipient": map[string]any{"id": t.acct.ID},
		"timestamp": e.opts.Now().UnixMilli(),
		key:         val,
	}
	body, err := e.envelope(t, item)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	return e.kit.Notify(func() ([]byte, error) { return body, nil })
}
