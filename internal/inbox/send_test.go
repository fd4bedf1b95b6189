package inbox

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// What an Idempotency-Key decides: a repeated request replays the first
// outcome without calling the platform again, a key reused for another
// request is refused, a request refused before the platform frees its key,
// and keys belong to one organisation.
func TestIdempotencyKeyDecisions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		plat := &fakePlatform{}
		e := setup(t, db, platform.Registry{platform.X: plat})
		acct := e.account(t, platform.X, "x-1")
		conv := convid.Encode(acct.ID, "thread-1")
		send := func(in apitype.SendInput) (apitype.Message, error) {
			return e.inbox.SendMessage(ctx, e.caller(), conv, in)
		}

		first, err := send(apitype.SendInput{Text: "hi", IdempotencyKey: "k1"})
		if err != nil || first.Replayed {
			t.Fatalf("first send: %+v %v", first, err)
		}
		again, err := send(apitype.SendInput{Text: "hi", IdempotencyKey: "k1"})
		if err != nil || !again.Replayed || again.ID != first.ID || plat.sent() != 1 {
			t.Fatalf("repeat: %+v %v after %d platform sends; want the first message replayed, one send", again, err, plat.sent())
		}

		if _, err := send(apitype.SendInput{Text: "something else", IdempotencyKey: "k1"}); !apierr.HasCode(err, "validation.idempotency_key_reused") {
			t.Fatalf("key reused for another body: %v", err)
		}

		// Refused before reaching the platform (text over X's 10,000
		// characters): the key is freed, so the fixed request may use it.
		if _, err := send(apitype.SendInput{Text: strings.Repeat("a", 10001), IdempotencyKey: "k2"}); err == nil {
			t.Fatal("an over-long X message was sent")
		}
		if m, err := send(apitype.SendInput{Text: "shorter", IdempotencyKey: "k2"}); err != nil || m.Replayed {
			t.Fatalf("fixed request with the freed key: %+v %v", m, err)
		}

		// The platform refused: that outcome is what the key replays, and
		// the platform is not asked again.
		plat.refuse(apierr.New(http.StatusBadRequest, "platform.x.invalid_recipient", "recipient cannot receive DMs"))
		before := plat.sent()
		for range 2 {
			if _, err := send(apitype.SendInput{Text: "to nobody", IdempotencyKey: "k3"}); !apierr.HasCode(err, "platform.x.invalid_recipient") {
				t.Fatalf("platform refusal (and its replay): %v", err)
			}
		}
		plat.refuse(nil)
		if plat.sent() != before {
			t.Fatal("a replayed refusal reached the platform")
		}

		if _, err := send(apitype.SendInput{Text: "hi", IdempotencyKey: strings.Repeat("k", 256)}); !apierr.HasCode(err, "validation.invalid_field") {
			t.Fatalf("256-character key: %v", err)
		}

		// Another organisation's "k1" is its own.
		other := setup(t, db, platform.Registry{platform.X: plat})
		oacct := other.account(t, platform.X, "x-2")
		m, err := other.inbox.SendMessage(ctx, other.caller(), convid.Encode(oacct.ID, "thread-1"), apitype.SendInput{Text: "hi", IdempotencyKey: "k1"})
		if err != nil || m.Replayed {
			t.Fatalf("another organisation's k1: %+v %v", m, err)
		}
	})
}

// Parley's own ceilings (DESIGN §2): each allows its published number in
// a window, then refuses with 429 and when to retry, and allows again in
// the next window. Ceilings are per account (and per recipient for
// WhatsApp's pair rate).
func TestSendCeilings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		p      platform.Name
		max    int
		window time.Duration
		code   string
		// check runs the ceiling for account a (and recipient r).
		check func(s *Inbox, h accountHandle, r string) error
	}{
		{"x sends", platform.X, 15, 15 * time.Minute, "platform.x.rate_limit",
			func(s *Inbox, h accountHandle, _ string) error { return s.allowSend(context.Background(), h, 1) }},
		{"whatsapp pair", platform.WhatsApp, 1, 6 * time.Second, "whatsapp.pair_rate_limit",
			func(s *Inbox, h accountHandle, r string) error {
				return s.allowRecipient(context.Background(), h, platform.Conversation{ParticipantID: r}, 1)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
				e := setup(t, db, nil)
				h := accountHandle{row: store.Account{ID: store.NewID("acct"), Platform: string(tc.p)}}
				other := accountHandle{row: store.Account{ID: store.NewID("acct"), Platform: string(tc.p)}}
				for i := range tc.max {
					if err := tc.check(e.inbox, h, "r1"); err != nil {
						t.Fatalf("call %d of %d refused: %v", i+1, tc.max, err)
					}
				}
				err := tc.check(e.inbox, h, "r1")
				ae, ok := apierr.As(err)
				if !ok || ae.Status != http.StatusTooManyRequests || ae.Code != tc.code || ae.Meta["enforced_by"] != "parley" {
					t.Fatalf("call %d: %v, want 429 %s enforced by parley", tc.max+1, err, tc.code)
				}
				if retry, _ := ae.Meta["retry_after_seconds"].(int); retry < 1 || retry > int(tc.window.Seconds()) {
					t.Fatalf("retry_after_seconds %v outside (0, %v]", ae.Meta["retry_after_seconds"], tc.window)
				}
				if err := tc.check(e.inbox, other, "r1"); err != nil {
					t.Fatalf("another account shares the ceiling: %v", err)
				}
				if tc.p == platform.WhatsApp {
					if err := tc.check(e.inbox, h, "r2"); err != nil {
						t.Fatalf("another recipient shares the pair ceiling: %v", err)
					}
				}
				e.now = e.now.Add(tc.window)
				if err := tc.check(e.inbox, h, "r1"); err != nil {
					t.Fatalf("next window still refused: %v", err)
				}
			})
		})
	}
}

// A send counted in the last moments of a one-second window may reach the
// platform in the next one, so it counts in both: WhatsApp's 80 messages/s
// then holds at the platform in every second, not only in Parley's count.
func TestSendNearWindowEndCountsInNextWindow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := setup(t, db, nil)
		h := accountHandle{row: store.Account{ID: store.NewID("acct"), Platform: string(platform.WhatsApp)}}
		// 30 sends early in second 10:00:00, 50 in its last 50 ms: all
		// allowed (80 in the second).
		for i := range 80 {
			e.now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
			if i >= 30 {
				e.now = e.now.Add(950 * time.Millisecond)
			}
			if err := e.inbox.allowSend(context.Background(), h, 1); err != nil {
				t.Fatalf("send %d of 80 refused: %v", i+1, err)
			}
		}
		// In 10:00:01 only 30 more fit: the 50 late ones may land there.
		e.now = time.Date(2026, 11, 25, 10, 0, 1, 200_000_000, time.UTC)
		for i := range 30 {
			if err := e.inbox.allowSend(context.Background(), h, 1); err != nil {
				t.Fatalf("send %d of 30 in the next second refused: %v", i+1, err)
			}
		}
		if ae, ok := apierr.As(e.inbox.allowSend(context.Background(), h, 1)); !ok || ae.Code != "platform.whatsapp.rate_limit" {
			t.Fatalf("send 31 in the next second: %v, want platform.whatsapp.rate_limit", ae)
		}
	})
}

// Instagram's automated-message cap counts only automated sends on
// Instagram.
func TestAutomatedCapCountsOnlyAutomatedInstagram(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db, nil)
		ig := accountHandle{row: store.Account{ID: store.NewID("acct"), Platform: string(platform.Instagram)}}
		fb := accountHandle{row: store.Account{ID: store.NewID("acct"), Platform: string(platform.Messenger)}}
		for range igAutomated.max + 5 {
			if err := e.inbox.allowAutomated(ctx, ig, false, 1); err != nil {
				t.Fatalf("a human-sent Instagram message was capped: %v", err)
			}
			if err := e.inbox.allowAutomated(ctx, fb, true, 1); err != nil {
				t.Fatalf("an automated Messenger message was capped: %v", err)
			}
		}
		n, _, err := domain.Count(ctx, e.db, e.now, igAutomated.name+":"+ig.row.ID, igAutomated.window, 0)
		if err != nil || n != 0 {
			t.Fatalf("automated counter %d (%v) after no automated sends", n, err)
		}
		if err := e.inbox.allowAutomated(ctx, ig, true, 1); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := domain.Count(ctx, e.db, e.now, igAutomated.name+":"+ig.row.ID, igAutomated.window, 0); n != 1 {
			t.Fatalf("automated counter %d after one automated send", n)
		}
	})
}
