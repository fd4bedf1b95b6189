package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/plans"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store"
)

// Ingest records normalised webhook events durably. For each account
// connected to the event's native id (in any organisation) with a token the
// platform verified and an active status, the event is
// de-duplicated, the conversation metadata updated (and, for WhatsApp, the
// message journalled) and its deliveries enqueued, all in one transaction.
// When Ingest returns nil everything is durable; an error asks the caller
// to retry. The webhook receivers use Accept, which answers sooner; the X
// poller, which has nobody to answer, calls Ingest.
func (s *Ingest) Ingest(ctx context.Context, events []platform.InboundEvent) error {
	return s.apply(ctx, "", events)
}

// unit is what one call of apply commits: the writes of its events and,
// for a queued webhook, the queue row to claim with them.
type unit struct {
	raw    string
	writes []func(store.Store, *sql.Tx) error
}

// apply does the events' reads and platform calls, then commits their
// writes in a group-committed transaction, which also claims the queued
// webhook raw (when not empty): if another replica claimed it first, its
// writes are skipped.
func (s *Ingest) apply(ctx context.Context, raw string, events []platform.InboundEvent) error {
	var writes []func(store.Store, *sql.Tx) error
	for _, ev := range events {
		accounts, err := s.accountsByNative(ctx, string(ev.Platform), ev.AccountNativeID)
		if err != nil {
			return err
		}
		if len(accounts) == 0 {
			s.log.InfoContext(ctx, "inbound event for an account no organisation connected with a verified, active token",
				"platform", ev.Platform, "native_id", ev.AccountNativeID)
			continue
		}
		for _, a := range accounts {
			w, err := s.prepareIngest(ctx, a, ev)
			if err != nil {
				return fmt.Errorf("ingest %s event for %s: %w", ev.Kind, a.ID, err)
			}
			if w != nil {
				writes = append(writes, w)
			}
		}
	}
	if len(writes) == 0 && raw == "" {
		return nil
	}
	return s.group.Commit(ctx, unit{raw: raw, writes: writes}, func(batch []unit) error {
		// The batch may hold other requests and outlive this one (the group
		// commit's next batches run with this function): its writes must not
		// end with this request.
		ctx := context.WithoutCancel(ctx)
		return s.store.InTx(ctx, func(st store.Store, tx *sql.Tx) error {
			var ids []string
			for _, u := range batch {
				if u.raw != "" {
					ids = append(ids, u.raw)
				}
			}
			// The claim comes first, so a second claimer waits here, not
			// after doing the writes for nothing.
			claimed, err := st.ClaimInbound(ctx, ids)
			if err != nil {
				return err
			}
			b := &batchStore{Store: st, endpoints: map[string][]store.Endpoint{}}
			for _, u := range batch {
				if u.raw != "" && !claimed[u.raw] {
					continue // recorded by another replica meanwhile
				}
				for _, w := range u.writes {
					if err := b.run(w, tx); err != nil {
						return err
					}
				}
			}
			var enqueue func([]river.InsertManyParams) error
			if s.jobs != nil {
				enqueue = func(d []river.InsertManyParams) error {
					_, err := s.jobs.InsertManyTx(ctx, tx, d)
					return err
				}
			}
			return b.flush(ctx, enqueue)
		})
	})
}

// threadOf finds the native thread of an event. With ParticipantFirst the
// thread already seen with the participant wins (a WhatsApp customer's
// business-scoped id outlives the phone number the thread began with).
func (s *Ingest) threadOf(ctx context.Context, a store.Account, ev platform.InboundEvent) (string, error) {
	if ev.ParticipantFirst && ev.ParticipantID != "" {
		thread, err := s.threadByParticipant(ctx, a.ID, ev.ParticipantID)
		if err != nil || thread != "" {
			return thread, err
		}
	}
	if ev.ThreadID != "" {
		return ev.ThreadID, nil
	}
	if ev.ParticipantID == "" {
		return "", nil
	}
	thread, err := s.threadByParticipant(ctx, a.ID, ev.ParticipantID)
	if err != nil || thread != "" {
		return thread, err
	}
	if s.resolveThread == nil {
		return ev.ParticipantID, nil
	}
	return s.resolveThread(ctx, a, ev.ParticipantID)
}

// prepareIngest does an event's reads and platform calls (thread
// resolution) outside any transaction, and returns the writes that make it
// durable, to run in a group-committed transaction.
func (s *Ingest) prepareIngest(ctx context.Context, a store.Account, ev platform.InboundEvent) (func(store.Store, *sql.Tx) error, error) {
	thread, err := s.threadOf(ctx, a, ev)
	if err != nil {
		if e, ok := apierr.As(err); ok && (e.Status == http.StatusConflict || e.Status == http.StatusNotImplemented) {
			// A disconnected account: nothing to resolve against; drop it.
			s.log.WarnContext(ctx, "inbound event for an unusable account", "account_id", a.ID, "code", e.Code)
			return nil, nil
		}
		return nil, err
	}
	if thread == "" {
		return nil, nil
	}
	conv := convid.Encode(a.ID, thread)
	data := apitype.MessageEvent{AccountID: a.ID, Platform: a.Platform, ConversationID: conv, MessageID: ev.MessageID,
		PricingCategory: ev.PricingCategory, Billable: ev.Billable, ErrorCode: ev.ErrorCode, ErrorTitle: ev.ErrorTitle,
		ErrorDetails: ev.ErrorDetails, Standby: ev.Standby, ParticipantUsername: ev.ParticipantUsername}
	at := ev.At
	if at.IsZero() {
		at = s.now()
	}
	ctx = context.WithoutCancel(ctx)
	month := plans.Month(s.now()) // the month the message arrived in
	return func(st store.Store, tx *sql.Tx) error {
		switch ev.Kind {
		case platform.EventMessage:
			m := ev.Message
			if m.CreatedAt.IsZero() {
				m.CreatedAt = at
			}
			m.Direction = "incoming"
			mv := inbox.MessageView(conv, m)
			data.Message, data.MessageID = &mv, m.PlatformID
			_, fresh, err := s.events.PublishTx(ctx, st, tx, a.OrgID, events.EventMessageReceived, "received:"+a.ID+":"+m.PlatformID, data, "")
			if err != nil || !fresh {
				return err // a platform retry: already recorded
			}
			// Counted for the plan's usage, never limited (DESIGN §9).
			if err := st.CountInbound(ctx, a.OrgID, month); err != nil {
				return err
			}
			if platform.Name(a.Platform) == platform.WhatsApp && s.journal != nil {
				if _, err := s.journal.RecordIn(ctx, st, a.ID, thread, m); err != nil {
					return err
				}
			}
			var referral time.Time
			if ev.Referral {
				referral = m.CreatedAt
			}
			return st.NoteInbound(ctx, store.ConversationMeta{OrgID: a.OrgID, AccountID: a.ID, ThreadID: thread,
				ParticipantID: ev.ParticipantID, LastInboundAt: m.CreatedAt, ReferralAt: referral}, 1)
		case platform.EventEcho:
			m := ev.Message
			if m.CreatedAt.IsZero() {
				m.CreatedAt = at
			}
			m.Direction = "outgoing"
			mv := inbox.MessageView(conv, m)
			data.Message, data.MessageID = &mv, m.PlatformID
			// Shares its key with sends made through Parley: one event per message.
			if _, _, err := s.events.PublishTx(ctx, st, tx, a.OrgID, events.EventMessageSent, "sent:"+a.ID+":"+m.PlatformID, data, ""); err != nil {
				return err
			}
			return st.NoteOutbound(ctx, a.OrgID, a.ID, thread, m.CreatedAt, false)
		case platform.EventDelivered, platform.EventRead, platform.EventFailed:
			typ := map[string]string{platform.EventDelivered: events.EventMessageDelivered, platform.EventRead: events.EventMessageRead,
				platform.EventFailed: events.EventMessageFailed}[ev.Kind]
			data.Status = ev.Kind
			statusAt := at.UTC()
			data.StatusUpdatedAt = &statusAt
			if platform.Name(a.Platform) == platform.WhatsApp && ev.MessageID != "" && s.journal != nil {
				if err := s.journal.StatusIn(ctx, st, a.ID, thread, ev.MessageID, ev.Kind, at); err != nil {
					return err
				}
			} else if ev.Kind != platform.EventFailed {
				// Meta's receipts are watermarks its history does not
				// carry: kept per conversation, they set the status of
				// the business's messages (inbox.ApplyReceipts).
				if err := st.NoteReceipt(ctx, a.OrgID, a.ID, thread, ev.Kind == platform.EventRead, at); err != nil {
					return err
				}
			}
			_, _, err := s.events.PublishTx(ctx, st, tx, a.OrgID, typ, ev.Kind+":"+a.ID+":"+ev.MessageID+":"+at.UTC().Format(time.RFC3339Nano), data, "")
			return err
		}
		if typ, key, ok := change(ev, a.ID, at, &data); ok {
			_, _, err := s.events.PublishTx(ctx, st, tx, a.OrgID, typ, key, data, "")
			return err
		}
		// sent (WhatsApp), a standalone referral (a known customer back
		// through a link or ad, not writing yet: the referral that counts
		// rides on their next message) and unknown kinds: nothing to tell
		// users.
		return nil
	}, nil
}
