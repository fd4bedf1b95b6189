package rules

import (
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/platform"
)

// ReplyWindow is the `reply_window` object of DESIGN §1. Its public shape
// lives in apitype; this package computes it (Window).
type ReplyWindow = apitype.ReplyWindow

// Window reports the reply window of a conversation at now. It agrees with
// Decide: Open iff Decide allows an untagged, non-template text now.
func Window(p platform.Name, c Conversation, now time.Time) ReplyWindow {
	w := ReplyWindow{AllowedTags: []string{}}
	switch p {
	case platform.Instagram, platform.Messenger:
		if !c.LastInboundAt.IsZero() {
			w.ClosesAt = utcPtr(standardClose(c))
			w.Open = standardOpen(c, now)
			if humanAgentOpen(c, now) {
				w.HumanAgentUntil = utcPtr(humanAgentClose(c))
				w.AllowedTags = append(w.AllowedTags, TagHumanAgent)
			}
		}
		if p == platform.Messenger {
			w.AllowedTags = append(w.AllowedTags, messengerTagsAt(now)...)
		}
	case platform.WhatsApp:
		if !c.LastInboundAt.IsZero() {
			w.ClosesAt = utcPtr(serviceClose(c))
			w.Open = serviceWindowOpen(c, now)
		}
		w.RequiresTemplate = !w.Open
		// Only an established entry point window is reported: one a send
		// now would open is not there yet (Decide reports that case).
		if ep := entryPoint(c, now); ep.open && !ep.opensNow {
			w.EntryPointUntil = utcPtr(ep.until)
		}
	case platform.X, platform.LinkedIn:
		w.Open = true
	}
	return w
}

func utcPtr(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

// standardClose is when the Meta standard window closes; zero without an inbound.
func standardClose(c Conversation) time.Time {
	if c.LastInboundAt.IsZero() {
		return time.Time{}
	}
	return c.LastInboundAt.Add(StandardWindow)
}

func standardOpen(c Conversation, now time.Time) bool {
	return !c.LastInboundAt.IsZero() && now.Before(standardClose(c))
}

// humanAgentClose is when the HUMAN_AGENT window closes; zero without an inbound.
func humanAgentClose(c Conversation) time.Time {
	if c.LastInboundAt.IsZero() {
		return time.Time{}
	}
	return c.LastInboundAt.Add(HumanAgentWindow)
}

func humanAgentOpen(c Conversation, now time.Time) bool {
	return !c.LastInboundAt.IsZero() && now.Before(humanAgentClose(c))
}

// serviceClose is when the WhatsApp customer service window closes; zero
// without an inbound.
func serviceClose(c Conversation) time.Time {
	if c.LastInboundAt.IsZero() {
		return time.Time{}
	}
	return c.LastInboundAt.Add(ServiceWindow)
}

func serviceWindowOpen(c Conversation, now time.Time) bool {
	return !c.LastInboundAt.IsZero() && now.Before(serviceClose(c))
}

// entryPointState is the WhatsApp free entry point window at some instant.
type entryPointState struct {
	open     bool      // a message delivered now is free
	opensNow bool      // ... because this send is the qualifying reply
	until    time.Time // end of the window when open
}

// entryPoint works out the free entry point window. The window opens when the
// business replies within EntryPointReplyWindow of the referral inbound and
// lasts EntryPointWindow from that reply (see the EntryPoint* constants).
func entryPoint(c Conversation, now time.Time) entryPointState {
	if c.ReferralAt.IsZero() {
		return entryPointState{}
	}
	replyBy := c.ReferralAt.Add(EntryPointReplyWindow)
	start := c.EntryPointReplyAt
	if start.IsZero() && !c.LastOutboundAt.IsZero() && !c.LastOutboundAt.Before(c.ReferralAt) {
		if !c.LastOutboundAt.Before(replyBy) {
			// Replies exist but the first one's time is unknown and the last
			// one is too late to tell: assume no free window rather than
			// promise one.
			return entryPointState{}
		}
		// The first reply happened somewhere in [ReferralAt, LastOutboundAt];
		// ReferralAt is the earliest, so the window ends no sooner than this.
		start = c.ReferralAt
	}
	if start.IsZero() {
		// Nobody replied yet: a reply now, if still in time, opens the window.
		if !now.Before(c.ReferralAt) && now.Before(replyBy) {
			return entryPointState{open: true, opensNow: true, until: now.Add(EntryPointWindow)}
		}
		return entryPointState{}
	}
	if start.Before(c.ReferralAt) || !start.Before(replyBy) {
		return entryPointState{} // the first reply came too late: no free window
	}
	until := start.Add(EntryPointWindow)
	return entryPointState{open: now.Before(until), until: until}
}
