package service

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/rules"
	"github.com/parleyhq/parley/internal/store"
)

// ConversationFilter narrows the inbox list (DESIGN §1).
type ConversationFilter struct {
	PageRequest
	AccountID string
	Platform  string
	BrandID   string
	Status    string
	Unread    *bool
}

// maxFanOut bounds how many accounts one list call reads from.
const maxFanOut = 200

// The inbox cursor's state and its merge live in package inbox.
type (
	inboxCursor = inbox.Cursor
	accountSeek = inbox.Seek
)

// The inbox cursor is sealed for the organisation (see cursor.go): it holds
// platform cursors that are passed on to the platforms.
func inboxScope(orgID string) string { return "inbox\x00" + orgID }

func (s *Service) encodeCursor(orgID string, c inboxCursor) (string, error) {
	return s.sealCursor(inboxScope(orgID), c.Encode())
}

func (s *Service) decodeCursor(orgID, cursor string) (inboxCursor, error) {
	b, err := s.openCursor(inboxScope(orgID), cursor)
	if err != nil {
		return inboxCursor{}, err
	}
	return parseInboxCursor(b)
}

// parseInboxCursor reads an opened cursor (see inbox.ParseCursor).
func parseInboxCursor(b []byte) (inboxCursor, error) { return inbox.ParseCursor(b) }

// accountHandle is an account resolved for a platform call.
type accountHandle struct {
	row     store.Account
	adapter platform.Adapter
	acct    platform.Account
}

// resolve loads an account in the caller's organisation and prepares its
// adapter. Platform-less and disconnected accounts answer structured errors.
func (s *Service) resolve(ctx context.Context, c Caller, accountID string) (accountHandle, error) {
	key := c.OrgID + "/" + accountID
	now := s.now()
	if h, ok := s.accountCache.Get(key, now); ok {
		return h, nil
	}
	row, err := s.store.GetAccount(ctx, c.OrgID, accountID)
	if err != nil {
		return accountHandle{}, domain.StoreErr(err, "account")
	}
	h, err := s.prepare(row)
	if err == nil {
		s.accountCache.Put(key, h, now)
	}
	return h, err
}

// forgetAccount drops a changed account's cached handle on this replica.
func (s *Service) forgetAccount(orgID, accountID string) {
	key := orgID + "/" + accountID
	s.accountCache.Forget(func(k string, _ accountHandle) bool { return k == key })
}

func (s *Service) prepare(row store.Account) (accountHandle, error) {
	p := platform.Name(row.Platform)
	if !platform.HasDMAPI(p) {
		return accountHandle{}, apierr.NotSupported("%s offers no direct-message API", p).With("platform", row.Platform)
	}
	switch row.Status {
	case store.AccountReauthRequired:
		return accountHandle{}, apierr.New(http.StatusConflict, "account.reauth_required",
			"the %s account must be reconnected: its token was rejected", p).With("account_id", row.ID)
	case store.AccountDisabled:
		return accountHandle{}, apierr.New(http.StatusConflict, "account.disabled", "the account is disabled").With("account_id", row.ID)
	}
	if p == platform.WhatsApp && row.VerifiedAt == nil {
		// A WhatsApp account's history is Parley's own journal of webhooks,
		// which the platform never checks a token against. An account
		// connected before tokens were verified may hold messages routed to
		// it on an unproven claim, so it stays closed until reconnected.
		return accountHandle{}, apierr.New(http.StatusConflict, "account.unverified",
			"the WhatsApp account was connected before tokens were verified; reconnect it with PATCH /v1/accounts/{id} and its access_token").
			With("account_id", row.ID)
	}
	ad, ok := s.adapters[p]
	if !ok {
		return accountHandle{}, apierr.New(http.StatusServiceUnavailable, "account.platform_unavailable",
			"no %s adapter is configured on this server", p).With("account_id", row.ID).With("platform", row.Platform)
	}
	token, err := s.keys.Open(row.Credentials, []byte(row.ID))
	if err != nil {
		s.log.Error("cannot open account credentials", "account_id", row.ID, "err", err)
		return accountHandle{}, apierr.New(http.StatusConflict, "account.reauth_required",
			"the account's stored credentials cannot be opened; reconnect it").With("account_id", row.ID)
	}
	return accountHandle{row: row, adapter: ad, acct: platform.Account{ID: row.ID, Platform: p, NativeID: row.NativeID,
		AccessToken: string(token), Variant: row.Variant, BusinessAccountID: row.BusinessAccountID}}, nil
}

// platformErr normalises an adapter error and marks the account when its
// token was refused.
func (s *Service) platformErr(ctx context.Context, h accountHandle, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return apierr.New(http.StatusGatewayTimeout, "platform."+h.row.Platform+".timeout", "%s did not answer in time", h.row.Platform)
	}
	e, ok := apierr.As(err)
	if !ok {
		s.log.ErrorContext(ctx, "adapter error", "platform", h.row.Platform, "account_id", h.row.ID, "err", err)
		return apierr.New(http.StatusBadGateway, "platform."+h.row.Platform+".unavailable", "%s could not be reached", h.row.Platform)
	}
	if e.Code == "account.reauth_required" {
		if serr := s.store.SetAccountStatus(ctx, h.row.OrgID, h.row.ID, store.AccountReauthRequired); serr != nil {
			s.log.ErrorContext(ctx, "mark account reauth_required", "account_id", h.row.ID, "err", serr)
		}
		s.forgetAccount(h.row.OrgID, h.row.ID)
		// One notice per disconnection: the key names the account's last update.
		if perr := s.Publish(ctx, h.row.OrgID, EventAccountDisconn, "disconnected:"+h.row.ID+":"+h.row.UpdatedAt.Format(time.RFC3339Nano),
			apitype.AccountStatusEvent{AccountID: h.row.ID, Platform: h.row.Platform, Status: store.AccountReauthRequired, Reason: e.Message}); perr != nil {
			s.log.ErrorContext(ctx, "publish account.disconnected", "account_id", h.row.ID, "err", perr)
		}
		return e.With("account_id", h.row.ID)
	}
	return e
}

func (s *Service) conversationView(ctx context.Context, h accountHandle, pc platform.Conversation) Conversation {
	v := Conversation{
		ID: convid.Encode(h.row.ID, pc.ThreadID), AccountID: h.row.ID, BrandID: h.row.BrandID, Platform: h.row.Platform,
		PlatformID: pc.ThreadID, ParticipantID: pc.ParticipantID, ParticipantName: pc.ParticipantName,
		ParticipantPicture: pc.ParticipantPicture, LastMessage: pc.LastMessage, UnreadCount: pc.UnreadCount, Status: "open",
	}
	if !pc.LastMessageAt.IsZero() {
		t := pc.LastMessageAt.UTC()
		v.LastMessageAt, v.UpdatedAt = &t, &t
	}
	meta := s.syncMeta(ctx, h, pc)
	if v.UnreadCount == 0 {
		v.UnreadCount = meta.UnreadCount // journalled platforms count unread from webhooks
	}
	v.ReplyWindow = rules.Window(platform.Name(h.row.Platform), ruleConv(meta), s.now())
	return v
}

// ListConversations lists conversations across the caller's accounts. Each
// account is read concurrently under its own deadline; results merge by
// last_message_at, newest first. An account that fails is reported in
// List.Partial while the others still answer.
func (s *Service) ListConversations(ctx context.Context, c Caller, f ConversationFilter) (List[Conversation], error) {
	// The platforms expose no archive state through their APIs, so every
	// conversation is "open"; say so rather than answer an empty list.
	if f.Status != "" && f.Status != "open" {
		return List[Conversation]{}, apierr.Invalid("status", "status must be open: platforms do not expose archived conversations").With("allowed", []string{"open"})
	}
	var cur inboxCursor
	if f.Cursor != "" {
		var err error
		if cur, err = s.decodeCursor(c.OrgID, f.Cursor); err != nil {
			return List[Conversation]{}, err
		}
	}
	var rows []store.Account
	if f.AccountID != "" {
		a, err := s.store.GetAccount(ctx, c.OrgID, f.AccountID)
		if err != nil {
			return List[Conversation]{}, domain.StoreErr(err, "account")
		}
		rows = []store.Account{a}
	} else {
		var err error
		rows, err = s.store.ListAccounts(ctx, c.OrgID, store.AccountFilter{Page: store.Page{Limit: maxFanOut}, BrandID: f.BrandID, Platform: f.Platform})
		if err != nil {
			return List[Conversation]{}, err
		}
		if len(rows) > maxFanOut {
			rows = rows[:maxFanOut]
		}
	}
	handles := make([]accountHandle, 0, len(rows))
	sources := make([]inbox.Source[platform.Conversation], 0, len(rows))
	for _, row := range rows {
		if (f.BrandID != "" && row.BrandID != f.BrandID) || (f.Platform != "" && row.Platform != f.Platform) || !platform.HasDMAPI(platform.Name(row.Platform)) {
			continue
		}
		seek, ok := inbox.Resume(cur, row.ID)
		if !ok {
			continue // not part of this listing, or exhausted
		}
		handles = append(handles, accountHandle{row: row})
		sources = append(sources, inbox.Source[platform.Conversation]{AccountID: row.ID, Seek: seek})
	}
	errs := make([]error, len(sources))
	var wg sync.WaitGroup
	for i := range sources {
		src := &sources[i]
		h, err := s.prepare(handles[i].row)
		if err != nil {
			errs[i], src.Failed = err, true
			continue
		}
		handles[i] = h
		wg.Add(1)
		go func() {
			defer wg.Done()
			actx, cancel := context.WithTimeout(ctx, s.accountTimeout)
			defer cancel()
			page, err := h.adapter.ListConversations(actx, h.acct, src.Seek.Cursor, f.Limit+src.Seek.Skip)
			if err != nil {
				errs[i], src.Failed = s.platformErr(ctx, h, err), true
				return
			}
			src.Items, src.Next = page.Items, page.NextCursor
		}()
	}
	wg.Wait()

	out := List[Conversation]{Limit: f.Limit, Data: []Conversation{}}
	for i, err := range errs {
		if err == nil {
			continue
		}
		e, ok := apierr.As(err)
		if !ok {
			e = apierr.Internal()
		}
		row := handles[i].row
		out.Partial = append(out.Partial, AccountFailure{AccountID: row.ID, Platform: row.Platform, Code: e.Code, Message: e.Message, Meta: e.Meta})
	}
	page := inbox.Merge(sources, f.Limit,
		func(c platform.Conversation) time.Time { return c.LastMessageAt },
		func(c platform.Conversation) bool { return f.Unread == nil || (c.UnreadCount > 0) == *f.Unread })
	for _, p := range page.Items {
		out.Data = append(out.Data, s.conversationView(ctx, handles[p.Source], p.Item))
	}
	if page.HasMore {
		out.HasMore = true
		var err error
		if out.NextCursor, err = s.encodeCursor(c.OrgID, page.Next); err != nil {
			return List[Conversation]{}, err
		}
	}
	return out, nil
}

// conversation resolves a public conversation id within the caller's
// organisation. Any id that does not resolve is a plain 404.
func (s *Service) conversation(ctx context.Context, c Caller, id string) (accountHandle, string, error) {
	accountID, thread, err := convid.Decode(id)
	if err != nil {
		return accountHandle{}, "", apierr.NotFound("conversation")
	}
	h, err := s.resolve(ctx, c, accountID)
	if apierr.HasCode(err, "resource.not_found") {
		return accountHandle{}, "", apierr.NotFound("conversation")
	}
	return h, thread, err
}

// GetConversation reads one conversation, with its reply window.
func (s *Service) GetConversation(ctx context.Context, c Caller, id string) (Conversation, error) {
	h, thread, err := s.conversation(ctx, c, id)
	if err != nil {
		return Conversation{}, err
	}
	pc, err := h.adapter.GetConversation(ctx, h.acct, thread)
	if err != nil {
		return Conversation{}, s.platformErr(ctx, h, err)
	}
	return s.conversationView(ctx, h, pc), nil
}

// ListMessages reads a conversation's history live from the platform, newest
// first. The cursor wraps the platform's own, sealed for this conversation.
func (s *Service) ListMessages(ctx context.Context, c Caller, id string, p PageRequest) (List[Message], error) {
	h, thread, err := s.conversation(ctx, c, id)
	if err != nil {
		return List[Message]{}, err
	}
	scope := "messages\x00" + h.row.ID + "\x00" + thread
	var native string
	if p.Cursor != "" {
		b, err := s.openCursor(scope, p.Cursor)
		if err != nil {
			return List[Message]{}, err
		}
		native = string(b)
	}
	page, err := h.adapter.ListMessages(ctx, h.acct, thread, native, p.Limit)
	if err != nil {
		return List[Message]{}, s.platformErr(ctx, h, err)
	}
	out := List[Message]{Limit: p.Limit, Data: make([]Message, 0, len(page.Items)), HistoryTruncated: page.Truncated}
	if page.NextCursor != "" {
		if out.NextCursor, err = s.sealCursor(scope, []byte(page.NextCursor)); err != nil {
			return List[Message]{}, err
		}
		out.HasMore = true
	}
	for _, m := range page.Items {
		out.Data = append(out.Data, messageView(id, m))
	}
	return out, nil
}

func messageView(convID string, m platform.Message) Message {
	att := m.Attachments
	if att == nil {
		att = []platform.Attachment{}
	}
	return Message{ID: m.PlatformID, ConversationID: convID, PlatformID: m.PlatformID, Direction: m.Direction, SenderID: m.SenderID,
		SenderName: m.SenderName, Text: m.Text, Attachments: att, CreatedAt: m.CreatedAt.UTC(), Status: m.Status}
}

// MarkRead marks a conversation as read on the platform.
func (s *Service) MarkRead(ctx context.Context, c Caller, id string) error {
	h, thread, err := s.conversation(ctx, c, id)
	if err != nil {
		return err
	}
	pc, err := h.adapter.GetConversation(ctx, h.acct, thread)
	if err != nil {
		return s.platformErr(ctx, h, err)
	}
	if err := h.adapter.MarkRead(ctx, h.acct, pc); err != nil {
		return s.platformErr(ctx, h, err)
	}
	return s.store.ClearUnread(ctx, h.row.OrgID, h.row.ID, thread)
}

// syncMeta merges what the platform just told us with the metadata we keep,
// persisting a newer inbound time so windows survive platforms that only
// show recent history. A store failure degrades to the platform's view.
func (s *Service) syncMeta(ctx context.Context, h accountHandle, pc platform.Conversation) store.ConversationMeta {
	meta, err := s.store.ConversationMeta(ctx, h.row.OrgID, h.row.ID, pc.ThreadID)
	if err != nil {
		s.log.WarnContext(ctx, "read conversation metadata", "account_id", h.row.ID, "err", err)
	}
	if pc.LastInboundAt.After(meta.LastInboundAt) {
		meta.LastInboundAt = pc.LastInboundAt.UTC()
		meta.ParticipantID = pc.ParticipantID
		if err := s.store.NoteInbound(ctx, meta, 0); err != nil {
			s.log.WarnContext(ctx, "record inbound time", "account_id", h.row.ID, "err", err)
		}
	}
	return meta
}

func ruleConv(m store.ConversationMeta) rules.Conversation {
	return rules.Conversation{LastInboundAt: m.LastInboundAt, LastOutboundAt: m.LastOutboundAt, ReferralAt: m.ReferralAt,
		EntryPointReplyAt: m.EntryPointReplyAt}
}
