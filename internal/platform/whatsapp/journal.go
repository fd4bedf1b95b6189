package whatsapp

import (
	"context"
	"encoding/base64"
	"errors"
	"sort"
	"strconv"
	"sync"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// Journal is where WhatsApp history comes from. The Cloud API has no history
// endpoint, so Parley journals the messages its webhook receives (and the ones
// it sends); the store implements this interface over that journal.
//
// A conversation is keyed by Parley's account id (never the phone-number id:
// two organisations may connect the same number, and neither may read the
// other's journal) and the customer's wa_id, which is also the
// conversation's ThreadID and ParticipantID.
// Cursors are opaque to the adapter: it passes them through unchanged.
// Lists are newest first. A missing conversation is reported with
// ErrNotFound (or an *apierr.Error, passed through as is).
type Journal interface {
	// ListConversations pages through the conversations of a business number,
	// most recent activity first.
	ListConversations(ctx context.Context, accountID, cursor string, limit int) (platform.Page[platform.Conversation], error)
	// GetConversation reads one conversation by the customer's wa_id.
	GetConversation(ctx context.Context, accountID, waID string) (platform.Conversation, error)
	// ListMessages pages through one conversation's messages, newest first.
	ListMessages(ctx context.Context, accountID, waID, cursor string, limit int) (platform.Page[platform.Message], error)
}

// ErrNotFound is what a Journal returns for a conversation it does not hold.
var ErrNotFound = errors.New("whatsapp: conversation not found in journal")

// MemJournal is an in-memory Journal for tests and the sandbox. Safe for
// concurrent use.
type MemJournal struct {
	mu    sync.Mutex
	convs map[string]*memConv // by phone-number id + "|" + wa_id
}

type memConv struct {
	phoneNumberID string
	conv          platform.Conversation
	msgs          []platform.Message // oldest first
}

// NewMemJournal returns an empty journal.
func NewMemJournal() *MemJournal { return &MemJournal{convs: map[string]*memConv{}} }

// Append records a message of the conversation between the business number
// and waID (the customer's profile name, when known, updates the
// conversation). Incoming messages move LastInboundAt and count as unread.
func (j *MemJournal) Append(phoneNumberID, waID, name string, m platform.Message) {
	j.mu.Lock()
	defer j.mu.Unlock()
	k := phoneNumberID + "|" + waID
	c := j.convs[k]
	if c == nil {
		c = &memConv{phoneNumberID: phoneNumberID, conv: platform.Conversation{ThreadID: waID, ParticipantID: waID}}
		j.convs[k] = c
	}
	if name != "" {
		c.conv.ParticipantName = name
	}
	c.msgs = append(c.msgs, m)
	sort.SliceStable(c.msgs, func(a, b int) bool { return c.msgs[a].CreatedAt.Before(c.msgs[b].CreatedAt) })
	if !m.CreatedAt.Before(c.conv.LastMessageAt) {
		c.conv.LastMessageAt = m.CreatedAt
		c.conv.LastMessage = m.Text
	}
	if m.Direction == "incoming" {
		if m.CreatedAt.After(c.conv.LastInboundAt) {
			c.conv.LastInboundAt = m.CreatedAt
		}
		c.conv.UnreadCount++
	}
}

// MarkRead zeroes a conversation's unread count.
func (j *MemJournal) MarkRead(phoneNumberID, waID string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if c := j.convs[phoneNumberID+"|"+waID]; c != nil {
		c.conv.UnreadCount = 0
	}
}

// ListConversations implements Journal.
func (j *MemJournal) ListConversations(_ context.Context, phoneNumberID, cursor string, limit int) (platform.Page[platform.Conversation], error) {
	off, err := decodeOffset(cursor)
	if err != nil {
		return platform.Page[platform.Conversation]{}, err
	}
	j.mu.Lock()
	var all []platform.Conversation
	for _, c := range j.convs {
		if c.phoneNumberID == phoneNumberID {
			all = append(all, c.conv)
		}
	}
	j.mu.Unlock()
	sort.Slice(all, func(a, b int) bool {
		if !all[a].LastMessageAt.Equal(all[b].LastMessageAt) {
			return all[a].LastMessageAt.After(all[b].LastMessageAt)
		}
		return all[a].ThreadID < all[b].ThreadID
	})
	return pageOf(all, off, limit), nil
}

// GetConversation implements Journal.
func (j *MemJournal) GetConversation(_ context.Context, phoneNumberID, waID string) (platform.Conversation, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	c := j.convs[phoneNumberID+"|"+waID]
	if c == nil {
		return platform.Conversation{}, ErrNotFound
	}
	return c.conv, nil
}

// ListMessages implements Journal.
func (j *MemJournal) ListMessages(_ context.Context, phoneNumberID, waID, cursor string, limit int) (platform.Page[platform.Message], error) {
	off, err := decodeOffset(cursor)
	if err != nil {
		return platform.Page[platform.Message]{}, err
	}
	j.mu.Lock()
	c := j.convs[phoneNumberID+"|"+waID]
	if c == nil {
		j.mu.Unlock()
		return platform.Page[platform.Message]{}, ErrNotFound
	}
	all := make([]platform.Message, 0, len(c.msgs))
	for i := len(c.msgs) - 1; i >= 0; i-- {
		all = append(all, c.msgs[i])
	}
	j.mu.Unlock()
	return pageOf(all, off, limit), nil
}

func pageOf[T any](all []T, off, limit int) platform.Page[T] {
	if limit <= 0 {
		limit = 25
	}
	if off > len(all) {
		off = len(all)
	}
	end := min(off+limit, len(all))
	p := platform.Page[T]{Items: append([]T(nil), all[off:end]...)}
	if end < len(all) {
		p.NextCursor = encodeOffset(end)
	}
	return p
}

// The MemJournal cursor is an offset, base64url-encoded so callers treat it
// as opaque.
func encodeOffset(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o" + strconv.Itoa(n)))
}

func decodeOffset(c string) (int, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(b) > 1 && b[0] == 'o' {
		if n, err := strconv.Atoi(string(b[1:])); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, apierr.Invalid("cursor", "cursor is not valid")
}
