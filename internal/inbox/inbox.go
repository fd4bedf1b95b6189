package inbox

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/journal"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/rules"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
)

// Config builds Inbox.
type Config struct {
	// Adapters reach each platform's API.
	Adapters platform.Registry
	// AccountTimeout bounds each account's platform call when listing
	// across accounts, so one slow platform cannot stall the list; 0
	// means 10 s.
	AccountTimeout time.Duration
	// Journal keeps WhatsApp history; nil disables journalling of sends.
	Journal *journal.Journal
	// Publish records an event and enqueues its deliveries (message.sent,
	// account.disconnected); nil records nothing.
	Publish func(ctx context.Context, orgID, typ, dedupeKey string, data any) error
	// Hold counts a send against the organisation's plan before any
	// platform call (plans.Plans.Hold); nil applies no plan.
	Hold Hold
	// AuthFailed, when set, is the one hook told that a platform refused an
	// account's token: it marks the account reauth_required and emits
	// account.reauth_required with a reason (package connect).
	AuthFailed func(ctx context.Context, orgID, accountID string, err error)
	// Media resolves attachments sent by media id; nil answers them 404.
	Media MediaFiles
}

// Hold reserves one interaction of an organisation's plan, or refuses
// (402); the send then calls done with whether it reached the platform's
// send call and what it answers, which gives the interaction back when the
// message did not go out.
type Hold func(ctx context.Context, orgID string) (done func(reached bool, err error), err error)

// Inbox is the capability. It is safe for concurrent use.
type Inbox struct {
	store          store.Store
	keys           *secrets.KeyRing
	adapters       platform.Registry
	log            *slog.Logger
	now            func() time.Time
	accountTimeout time.Duration
	journal        *journal.Journal
	publish        func(ctx context.Context, orgID, typ, dedupeKey string, data any) error
	hold           Hold
	authFailed     func(ctx context.Context, orgID, accountID string, err error)
	media          MediaFiles

	accountCache domain.TTLCache[string, accountHandle] // by org id + "/" + account id

	tmplMu    sync.Mutex
	tmplCache map[string]templateEntry
}

// New returns Inbox over the shared dependencies.
func New(d domain.Deps, cfg Config) *Inbox {
	d = d.WithDefaults()
	s := &Inbox{store: d.Store, keys: d.Keys, adapters: cfg.Adapters, log: d.Log, now: d.Now, accountTimeout: cfg.AccountTimeout,
		journal: cfg.Journal, publish: cfg.Publish, authFailed: cfg.AuthFailed, hold: cfg.Hold, media: cfg.Media, tmplCache: map[string]templateEntry{}}
	if s.accountTimeout == 0 {
		s.accountTimeout = domain.DefaultAccountTimeout
	}
	if s.adapters == nil {
		s.adapters = platform.Registry{}
	}
	if s.publish == nil {
		s.publish = func(context.Context, string, string, string, any) error { return nil }
	}
	if s.hold == nil {
		s.hold = func(context.Context, string) (func(bool, error), error) { return func(bool, error) {}, nil }
	}
	return s
}

// AccountChanged drops what this replica cached about an account that
// changed or was deleted (its prepared handle and template list).
func (s *Inbox) AccountChanged(orgID, accountID string) {
	s.forgetAccount(orgID, accountID)
	s.tmplMu.Lock()
	delete(s.tmplCache, accountID)
	s.tmplMu.Unlock()
}

// ConversationFilter narrows the inbox list (DESIGN §1).
type ConversationFilter struct {
	domain.PageRequest
	AccountID string
	Platform  string
	BrandID   string
	Status    string
	Unread    *bool
}

// maxFanOut bounds how many accounts one list call reads from.
const maxFanOut = 200

// The inbox cursor is sealed for the organisation (see cursor.go): it holds
// platform cursors that are passed on to the platforms.
func inboxScope(orgID string) string { return "inbox\x00" + orgID }

func (s *Inbox) encodeCursor(orgID string, c Cursor) (string, error) {
	return s.sealCursor(inboxScope(orgID), c.Encode())
}

func (s *Inbox) decodeCursor(orgID, cursor string) (Cursor, error) {
	b, err := s.openCursor(inboxScope(orgID), cursor)
	if err != nil {
		return Cursor{}, err
	}
	return ParseCursor(b)
}

// accountHandle is an account resolved for a platform call.
type accountHandle struct {
	row     store.Account
	adapter platform.Adapter
	acct    platform.Account
}

// resolve loads an account in the caller's organisation and prepares its
// adapter. Platform-less and disconnected accounts answer structured errors.
func (s *Inbox) resolve(ctx context.Context, c domain.Caller, accountID string) (accountHandle, error) {
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
func (s *Inbox) forgetAccount(orgID, accountID string) {
	key := orgID + "/" + accountID
	s.accountCache.Forget(func(k string, _ accountHandle) bool { return k == key })
}

// ResolveThread finds the native thread a participant's event belongs to,
// asking the account's platform when its webhooks name only the
// participant; on other platforms the participant is the thread.
func (s *Inbox) ResolveThread(ctx context.Context, a store.Account, participantID string) (string, error) {
	h, err := s.prepare(a)
	if err != nil {
		return "", err
	}
	r, ok := h.adapter.(platform.ThreadResolver)
	if !ok {
		return participantID, nil
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	thread, err := r.ResolveThread(rctx, h.acct, participantID)
	if err != nil {
		return "", s.platformErr(ctx, h, err)
	}
	return thread, nil
}

func (s *Inbox) prepare(row store.Account) (accountHandle, error) {
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
func (s *Inbox) platformErr(ctx context.Context, h accountHandle, err error) error {
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
		if s.authFailed != nil {
			s.authFailed(ctx, h.row.OrgID, h.row.ID, e)
		} else if serr := s.store.SetAccountStatus(ctx, h.row.OrgID, h.row.ID, store.AccountReauthRequired); serr != nil {
			s.log.ErrorContext(ctx, "mark account reauth_required", "account_id", h.row.ID, "err", serr)
		}
		s.forgetAccount(h.row.OrgID, h.row.ID)
		// One notice per disconnection: the key names the account's last update.
		if perr := s.publish(ctx, h.row.OrgID, events.EventAccountDisconn, "disconnected:"+h.row.ID+":"+h.row.UpdatedAt.Format(time.RFC3339Nano),
			apitype.AccountStatusEvent{AccountID: h.row.ID, Platform: h.row.Platform, Status: store.AccountReauthRequired, Reason: e.Message}); perr != nil {
			s.log.ErrorContext(ctx, "publish account.disconnected", "account_id", h.row.ID, "err", perr)
		}
		return e.With("account_id", h.row.ID)
	}
	return e
}

func (s *Inbox) conversationView(ctx context.Context, h accountHandle, pc platform.Conversation) apitype.Conversation {
	v := apitype.Conversation{
		ID: convid.Encode(h.row.ID, pc.ThreadID), AccountID: h.row.ID, BrandID: h.row.BrandID, Platform: h.row.Platform,
		PlatformID: pc.ThreadID, ParticipantID: pc.ParticipantID, ParticipantName: pc.ParticipantName,
		ParticipantPicture: pc.ParticipantPicture, LastMessage: pc.LastMessage, UnreadCount: pc.UnreadCount,
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
	v.Status = statusOf(meta.ArchivedAt, meta.LastInboundAt)
	return v
}

// ListConversations lists conversations across the caller's accounts. Each
// account is read concurrently under its own deadline; results merge by
// last_message_at, newest first. An account that fails is reported in
// List.Partial while the others still answer.
func (s *Inbox) ListConversations(ctx context.Context, c domain.Caller, f ConversationFilter) (domain.List[apitype.Conversation], error) {
	status, err := conversationStatus(f.Status, apitype.ConversationActive)
	if err != nil {
		return domain.List[apitype.Conversation]{}, err
	}
	f.Platform = string(platform.Canonical(f.Platform))
	var cur Cursor
	if f.Cursor != "" {
		var err error
		if cur, err = s.decodeCursor(c.OrgID, f.Cursor); err != nil {
			return domain.List[apitype.Conversation]{}, err
		}
	}
	var rows []store.Account
	if f.AccountID != "" {
		a, err := s.store.GetAccount(ctx, c.OrgID, f.AccountID)
		if err != nil {
			return domain.List[apitype.Conversation]{}, domain.StoreErr(err, "account")
		}
		rows = []store.Account{a}
	} else {
		var err error
		rows, err = s.store.ListAccounts(ctx, c.OrgID, store.AccountFilter{Page: store.Page{Limit: maxFanOut}, BrandID: f.BrandID, Platform: f.Platform})
		if err != nil {
			return domain.List[apitype.Conversation]{}, err
		}
		if len(rows) > maxFanOut {
			rows = rows[:maxFanOut]
		}
	}
	handles := make([]accountHandle, 0, len(rows))
	sources := make([]Source[platform.Conversation], 0, len(rows))
	for _, row := range rows {
		if (f.BrandID != "" && row.BrandID != f.BrandID) || (f.Platform != "" && row.Platform != f.Platform) || !platform.HasDMAPI(platform.Name(row.Platform)) {
			continue
		}
		seek, ok := Resume(cur, row.ID)
		if !ok {
			continue // not part of this listing, or exhausted
		}
		handles = append(handles, accountHandle{row: row})
		sources = append(sources, Source[platform.Conversation]{AccountID: row.ID, Seek: seek})
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

	out := domain.List[apitype.Conversation]{Limit: f.Limit, Data: []apitype.Conversation{}}
	for i, err := range errs {
		if err == nil {
			continue
		}
		e, ok := apierr.As(err)
		if !ok {
			e = apierr.Internal()
		}
		row := handles[i].row
		out.Partial = append(out.Partial, apitype.AccountFailure{AccountID: row.ID, Platform: row.Platform, Code: e.Code, Message: e.Message, Meta: e.Meta})
	}
	archivedAt, err := s.archivedAmong(ctx, c.OrgID, sources)
	if err != nil {
		return domain.List[apitype.Conversation]{}, err
	}
	page := Merge(sources, f.Limit,
		func(c platform.Conversation) time.Time { return c.LastMessageAt },
		func(pc platform.Conversation, src int) bool {
			return (f.Unread == nil || (pc.UnreadCount > 0) == *f.Unread) &&
				statusOf(archivedAt[[2]string{sources[src].AccountID, pc.ThreadID}], pc.LastInboundAt) == status
		})
	for _, p := range page.Items {
		out.Data = append(out.Data, s.conversationView(ctx, handles[p.Source], p.Item))
	}
	if page.HasMore {
		out.HasMore = true
		var err error
		if out.NextCursor, err = s.encodeCursor(c.OrgID, page.Next); err != nil {
			return domain.List[apitype.Conversation]{}, err
		}
	}
	return out, nil
}

// conversation resolves a public conversation id within the caller's
// organisation. Any id that does not resolve is a plain 404.
func (s *Inbox) conversation(ctx context.Context, c domain.Caller, id string) (accountHandle, string, error) {
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
func (s *Inbox) GetConversation(ctx context.Context, c domain.Caller, id string) (apitype.Conversation, error) {
	h, thread, err := s.conversation(ctx, c, id)
	if err != nil {
		return apitype.Conversation{}, err
	}
	pc, err := h.adapter.GetConversation(ctx, h.acct, thread)
	if err != nil {
		return apitype.Conversation{}, s.platformErr(ctx, h, err)
	}
	return s.conversationView(ctx, h, pc), nil
}

// ListMessages reads a conversation's history live from the platform, newest
// first. The cursor wraps the platform's own, sealed for this conversation.
func (s *Inbox) ListMessages(ctx context.Context, c domain.Caller, id string, p domain.PageRequest) (domain.List[apitype.Message], error) {
	h, thread, err := s.conversation(ctx, c, id)
	if err != nil {
		return domain.List[apitype.Message]{}, err
	}
	scope := "messages\x00" + h.row.ID + "\x00" + thread
	var native string
	if p.Cursor != "" {
		b, err := s.openCursor(scope, p.Cursor)
		if err != nil {
			return domain.List[apitype.Message]{}, err
		}
		native = string(b)
	}
	page, err := h.adapter.ListMessages(ctx, h.acct, thread, native, p.Limit)
	if err != nil {
		return domain.List[apitype.Message]{}, s.platformErr(ctx, h, err)
	}
	if err := s.withReceipts(ctx, c, h, thread, page.Items); err != nil {
		return domain.List[apitype.Message]{}, err
	}
	out := domain.List[apitype.Message]{Limit: p.Limit, Data: make([]apitype.Message, 0, len(page.Items)), HistoryTruncated: page.Truncated}
	if page.NextCursor != "" {
		if out.NextCursor, err = s.sealCursor(scope, []byte(page.NextCursor)); err != nil {
			return domain.List[apitype.Message]{}, err
		}
		out.HasMore = true
	}
	for _, m := range page.Items {
		out.Data = append(out.Data, MessageView(id, m))
	}
	return out, nil
}

// MessageView is a platform message as the API shows it, in conversation
// convID.
func MessageView(convID string, m platform.Message) apitype.Message {
	att := m.Attachments
	if att == nil {
		att = []platform.Attachment{}
	}
	v := apitype.Message{ID: m.PlatformID, ConversationID: convID, PlatformID: m.PlatformID, Direction: m.Direction, SenderID: m.SenderID,
		SenderName: m.SenderName, Text: m.Text, Attachments: att, CreatedAt: m.CreatedAt.UTC(), Status: m.Status,
		ReplyToMessageID: m.ReplyToID, Choice: m.Choice, QuickReplies: m.QuickReplies, Buttons: m.Buttons, Cards: m.Cards}
	if len(att) > 0 {
		// The hosted DM APIs' flat shape: the first attachment.
		v.AttachmentType, v.AttachmentURL = att[0].Type, att[0].URL
	}
	switch {
	case !m.StatusAt.IsZero():
		t := m.StatusAt.UTC()
		v.StatusUpdatedAt = &t
	case m.Status == "sent" && !m.CreatedAt.IsZero():
		// A message no receipt has moved yet: its status dates from the send.
		v.StatusUpdatedAt = &v.CreatedAt
	}
	return v
}

// MarkRead marks a conversation as read on the platform.
func (s *Inbox) MarkRead(ctx context.Context, c domain.Caller, id string) error {
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
func (s *Inbox) syncMeta(ctx context.Context, h accountHandle, pc platform.Conversation) store.ConversationMeta {
	meta, err := s.store.ConversationMeta(ctx, h.row.OrgID, h.row.ID, pc.ThreadID)
	if err != nil {
		s.log.WarnContext(ctx, "read conversation metadata", "account_id", h.row.ID, "err", err)
	}
	if pc.LastInboundAt.After(meta.LastInboundAt) {
		meta.LastInboundAt = pc.LastInboundAt.UTC()
		meta.ParticipantID = pc.ParticipantID
		if err := s.store.NoteInbound(ctx, meta, 0); err != nil {
			s.log.WarnContext(ctx, "record inbound time", "account_id", h.row.ID, "err", err)
		} else {
			meta.ArchivedAt = time.Time{} // noting a customer message unarchives (store.SetArchived)
		}
	}
	return meta
}

func ruleConv(m store.ConversationMeta) rules.Conversation {
	return rules.Conversation{LastInboundAt: m.LastInboundAt, LastOutboundAt: m.LastOutboundAt, ReferralAt: m.ReferralAt,
		EntryPointReplyAt: m.EntryPointReplyAt}
}
