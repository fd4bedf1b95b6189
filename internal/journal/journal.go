// Package journal is the WhatsApp history Parley keeps. The WhatsApp Cloud
// API has no endpoint to read past messages, so inbound webhooks and
// Parley's own sends are journalled, sealed at rest, and read back through
// the whatsapp adapter's Journal interface.
package journal

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
)

// DefaultRetention is how long journalled WhatsApp messages are kept
// unless configured otherwise.
const DefaultRetention = 90 * 24 * time.Hour

// Journal is the WhatsApp history Parley keeps: entries sealed at rest, read
// back through the whatsapp adapter's Journal interface.
type Journal struct {
	store     store.Store
	keys      *secrets.KeyRing
	retention time.Duration
	now       func() time.Time
}

// New returns a journal over st, sealing with keys.
func New(st store.Store, keys *secrets.KeyRing, retention time.Duration) *Journal {
	if retention <= 0 {
		retention = DefaultRetention
	}
	return &Journal{store: st, keys: keys, retention: retention, now: time.Now}
}

type journalBody struct {
	Text        string                `json:"t,omitempty"`
	SenderName  string                `json:"n,omitempty"`
	Attachments []platform.Attachment `json:"a,omitempty"`
	// The rich parts (issue 18): what the customer tapped and the message
	// answered, and what the business's own message offered.
	ReplyTo      string               `json:"r,omitempty"`
	Choice       *apitype.Choice      `json:"c,omitempty"`
	QuickReplies []apitype.QuickReply `json:"q,omitempty"`
	Buttons      []apitype.Button     `json:"b,omitempty"`
	Cards        []apitype.Card       `json:"k,omitempty"`
}

// Record journals one message of an account's thread with customer waID.
// It reports false for a wamid already journalled (platforms retry).
func (j *Journal) Record(ctx context.Context, accountID, waID string, m platform.Message) (bool, error) {
	return j.RecordIn(ctx, j.store, accountID, waID, m)
}

// RecordIn is Record through st, which may be a transaction.
func (j *Journal) RecordIn(ctx context.Context, st store.Store, accountID, waID string, m platform.Message) (bool, error) {
	e := store.JournalEntry{ID: journalID(accountID, m.PlatformID), AccountID: accountID, WaID: waID, WamID: m.PlatformID, Direction: m.Direction,
		Status: m.Status, CreatedAt: m.CreatedAt, ExpiresAt: m.CreatedAt.Add(j.retention)}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = j.now()
		e.ExpiresAt = e.CreatedAt.Add(j.retention)
	}
	body, _ := json.Marshal(journalBody{Text: m.Text, SenderName: m.SenderName, Attachments: m.Attachments,
		ReplyTo: m.ReplyToID, Choice: m.Choice, QuickReplies: m.QuickReplies, Buttons: m.Buttons, Cards: m.Cards})
	var err error
	if e.Sealed, err = j.keys.Seal(body, []byte(e.ID)); err != nil {
		return false, err
	}
	return st.AppendJournal(ctx, e)
}

// journalID is derived from the message, so a status webhook that arrives
// before its message can leave a placeholder under the same id.
func journalID(accountID, wamid string) string {
	h := sha256.Sum256([]byte(accountID + "\x00" + wamid))
	return "wam_" + hex.EncodeToString(h[:16])
}

// StatusIn records a delivery status through st (which may be a
// transaction), even before the message.
func (j *Journal) StatusIn(ctx context.Context, st store.Store, accountID, waID, wamid, status string, at time.Time) error {
	return st.SetJournalStatus(ctx, store.JournalEntry{ID: journalID(accountID, wamid), AccountID: accountID, WaID: waID,
		WamID: wamid, Direction: "outgoing", Status: status, CreatedAt: at, ExpiresAt: at.Add(j.retention), StatusAt: at})
}

func (j *Journal) open(e store.JournalEntry) platform.Message {
	m := platform.Message{PlatformID: e.WamID, Direction: e.Direction, CreatedAt: e.CreatedAt, Status: e.Status, StatusAt: e.StatusAt}
	if e.Direction == "incoming" {
		m.SenderID = e.WaID
	}
	pt, err := j.keys.Open(e.Sealed, []byte(e.ID))
	if err != nil {
		m.Text = "" // a key that left the ring: show the message without its body
		return m
	}
	var b journalBody
	if json.Unmarshal(pt, &b) == nil {
		m.Text, m.SenderName, m.Attachments = b.Text, b.SenderName, b.Attachments
		m.ReplyToID, m.Choice, m.QuickReplies, m.Buttons, m.Cards = b.ReplyTo, b.Choice, b.QuickReplies, b.Buttons, b.Cards
	}
	return m
}

func offsetCursor(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	n, err2 := strconv.Atoi(string(b))
	if err != nil || err2 != nil || n < 0 || n > 1_000_000 {
		return 0, apierr.BadCursor()
	}
	return n, nil
}

func nextOffset(offset, got, limit int) string {
	if got <= limit {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset + limit)))
}

// ListConversations implements whatsapp.Journal.
func (j *Journal) ListConversations(ctx context.Context, accountID, cursor string, limit int) (platform.Page[platform.Conversation], error) {
	off, err := offsetCursor(cursor)
	if err != nil {
		return platform.Page[platform.Conversation]{}, err
	}
	threads, err := j.store.JournalThreads(ctx, accountID, off, limit+1)
	if err != nil {
		return platform.Page[platform.Conversation]{}, err
	}
	page := platform.Page[platform.Conversation]{NextCursor: nextOffset(off, len(threads), limit)}
	for i, t := range threads {
		if i == limit {
			break
		}
		c, err := j.GetConversation(ctx, accountID, t.WaID)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, c)
	}
	return page, nil
}

// GetConversation implements whatsapp.Journal: the thread's newest message
// and its customer's newest inbound time, from at most one page of history.
func (j *Journal) GetConversation(ctx context.Context, accountID, waID string) (platform.Conversation, error) {
	entries, err := j.store.JournalMessages(ctx, accountID, waID, 0, 50)
	if err != nil {
		return platform.Conversation{}, err
	}
	if len(entries) == 0 {
		return platform.Conversation{}, apierr.NotFound("conversation")
	}
	c := platform.Conversation{ThreadID: waID, ParticipantID: waID}
	last := j.open(entries[0])
	c.LastMessage, c.LastMessageAt = last.Text, last.CreatedAt
	for _, e := range entries {
		if e.Direction != "incoming" {
			continue
		}
		c.LastInboundAt = e.CreatedAt
		c.ParticipantName = j.open(e).SenderName
		break
	}
	return c, nil
}

// ListMessages implements whatsapp.Journal.
func (j *Journal) ListMessages(ctx context.Context, accountID, waID, cursor string, limit int) (platform.Page[platform.Message], error) {
	off, err := offsetCursor(cursor)
	if err != nil {
		return platform.Page[platform.Message]{}, err
	}
	entries, err := j.store.JournalMessages(ctx, accountID, waID, off, limit+1)
	if err != nil {
		return platform.Page[platform.Message]{}, err
	}
	if off == 0 && len(entries) == 0 {
		return platform.Page[platform.Message]{}, apierr.NotFound("conversation")
	}
	page := platform.Page[platform.Message]{NextCursor: nextOffset(off, len(entries), limit)}
	for i, e := range entries {
		if i == limit {
			break
		}
		page.Items = append(page.Items, j.open(e))
	}
	return page, nil
}
