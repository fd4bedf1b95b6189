package inbox

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
)

// ceiling is one fixed-window limit. Counters live in the database, so the
// limit holds across every replica sharing it.
type ceiling struct {
	name   string
	window time.Duration
	max    int
	// why cites the platform's published limit.
	why string
}

// Per-account send ceilings (DESIGN §2).
var (
	// Meta's Send API: about 300 calls per second per Page or Instagram
	// account. https://developers.facebook.com/docs/messenger-platform/send-messages/#rate-limits
	metaSend = ceiling{"send", time.Second, 300, "Meta Send API: ~300 messages/s per Page or Instagram account"}
	// Instagram caps automated messages at 200 per hour per account (DESIGN §2).
	// https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message
	igAutomated = ceiling{"automated", time.Hour, 200, "Instagram: 200 automated messages per hour per account"}
	// WhatsApp Cloud API: 80 messages/s per business phone number by default.
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput
	waThroughput = ceiling{"send", time.Second, 80, "WhatsApp Cloud API: 80 messages/s per phone number"}
	// WhatsApp pair rate: about one message every 6 s to the same user
	// (error 131056). https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput
	waPair = ceiling{"pair", 6 * time.Second, 1, "WhatsApp: about one message per 6 s to the same user"}
	// X: POST /2/dm_conversations/* is limited to 15 requests per 15 minutes
	// per user. https://docs.x.com/x-api/fundamentals/rate-limits
	xSend = ceiling{"send", 15 * time.Minute, 15, "X API: 15 DM sends per 15 minutes per user"}
)

// platformSkew bounds how long after it is counted a send reaches the
// platform. A send counted this close to the end of a window may arrive in
// the next, so it counts in both: the platform then never sees more than a
// ceiling's max in one of its windows, whatever the timing across replicas.
const platformSkew = 100 * time.Millisecond

// hit counts use (1, or 0 to only look) events against a ceiling and
// refuses when one more would pass it.
func (s *Inbox) hit(ctx context.Context, c ceiling, key string, code string, p platform.Name, use int) error {
	now := s.now()
	if err := s.hitAt(ctx, c, key, code, p, use, now); err != nil {
		return err
	}
	if next := now.Add(platformSkew); next.UnixNano()/int64(c.window) != now.UnixNano()/int64(c.window) {
		return s.hitAt(ctx, c, key, code, p, use, next)
	}
	return nil
}

// hitAt is hit for the window that holds at.
func (s *Inbox) hitAt(ctx context.Context, c ceiling, key string, code string, p platform.Name, use int, at time.Time) error {
	n, reset, err := domain.Count(ctx, s.store, at, c.name+":"+key, c.window, use)
	if err != nil {
		return err
	}
	if n+1-use <= c.max {
		return nil
	}
	retry := int(math.Ceil(reset.Seconds()))
	return apierr.New(http.StatusTooManyRequests, code, "%s; retry in %ds", c.why, retry).
		With("retry_after_seconds", retry).With("limit", c.max).With("window_seconds", c.window.Seconds()).
		With("platform", string(p)).With("enforced_by", "parley")
}

// allowSend applies the account's own send ceilings.
func (s *Inbox) allowSend(ctx context.Context, h accountHandle, use int) error {
	p := platform.Name(h.row.Platform)
	code := "platform." + h.row.Platform + ".rate_limit"
	switch p {
	case platform.Instagram, platform.Messenger:
		return s.hit(ctx, metaSend, h.row.ID, code, p, use)
	case platform.WhatsApp:
		return s.hit(ctx, waThroughput, h.row.ID, code, p, use)
	case platform.X:
		return s.hit(ctx, xSend, h.row.ID, code, p, use)
	}
	return nil
}

// allowRecipient applies per-recipient limits, once the send is otherwise
// allowed (so a refused send does not use up the pair's slot).
func (s *Inbox) allowRecipient(ctx context.Context, h accountHandle, pc platform.Conversation, use int) error {
	switch platform.Name(h.row.Platform) {
	case platform.WhatsApp:
		return s.hit(ctx, waPair, h.row.ID+":"+pc.ParticipantID, "whatsapp.pair_rate_limit", platform.WhatsApp, use)
	}
	return nil
}

// allowAutomated applies Instagram's automated-message cap.
func (s *Inbox) allowAutomated(ctx context.Context, h accountHandle, automated bool, use int) error {
	if !automated || platform.Name(h.row.Platform) != platform.Instagram {
		return nil
	}
	return s.hit(ctx, igAutomated, h.row.ID, "platform.instagram.rate_limit", platform.Instagram, use)
}
