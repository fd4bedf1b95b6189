package rules

import (
	"time"

	"github.com/parleyhq/parley/internal/platform"
)

// Tags returns the message tags a platform supports (never nil). A tag with a
// retirement date (retiredTags) is left out even before that date: it is not
// something to build on. Decide and Window apply the date itself.
func Tags(p platform.Name) []string {
	switch p {
	case platform.Messenger:
		out := []string{TagHumanAgent}
		for _, t := range messengerOnlyTags {
			if !scheduledForRetirement(t) {
				out = append(out, t)
			}
		}
		return out
	case platform.Instagram:
		return []string{TagHumanAgent}
	}
	return []string{}
}

// Capability describes one platform's messaging rules for GET /v1/platforms.
type Capability struct {
	Platform platform.Name `json:"platform"`
	// DMAPI is false for platforms without a public DM API (TikTok, Threads,
	// YouTube): every DM call on them answers 501 resource.not_supported.
	DMAPI bool `json:"dm_api"`
	// Window is "standard" (Meta, from the last inbound), "customer_service"
	// (WhatsApp) or "none".
	Window string `json:"window"`
	// WindowHours is the window's length; 0 when there is none.
	WindowHours int `json:"window_hours"`
	// HumanAgentHours is how long a person may reply with HUMAN_AGENT after
	// the last inbound; 0 when the platform has no such tag.
	HumanAgentHours int `json:"human_agent_hours"`
	// Tags are the message tags the platform supports.
	Tags []string `json:"tags"`
	// RetiredTags are the platform's message tags Meta retired (or will
	// retire), with the date and a source; sends using them are refused
	// with 422 conversation.tag_retired from that date.
	RetiredTags []RetiredTag `json:"retired_tags,omitempty"`
	// Templates is true where approved templates may be sent (WhatsApp),
	// including outside the window.
	Templates bool `json:"templates"`
	// TemplateCategories are the WhatsApp pricing categories of templates.
	TemplateCategories []string `json:"template_categories,omitempty"`
	// EntryPointHours is the free entry point window after a Click-to-WhatsApp
	// ad or Page CTA (WhatsApp); 0 elsewhere.
	EntryPointHours int `json:"entry_point_hours,omitempty"`
	// TextLimit is the documented maximum text length (Max 0 = none documented).
	TextLimit *TextLimit `json:"text_limit,omitempty"`
	// AutomatedPerHour is the cap on automated sends per account and hour,
	// where DESIGN §2 sets one (Instagram: 200). It is enforced by the sending
	// layer, not by Decide, which sees one conversation at a time.
	AutomatedPerHour int `json:"automated_per_hour,omitempty"`
	// Notes is a sentence for humans.
	Notes string `json:"notes,omitempty"`
}

func hours(d time.Duration) int { return int(d / time.Hour) }

// Capabilities returns every known platform's rules, in a stable order: the
// five with a DM API first, then those without.
func Capabilities() []Capability {
	names := []platform.Name{
		platform.Instagram, platform.Messenger, platform.WhatsApp, platform.LinkedIn, platform.X,
		platform.TikTok, platform.Threads, platform.YouTube,
	}
	out := make([]Capability, 0, len(names))
	for _, n := range names {
		c, _ := CapabilityOf(n)
		out = append(out, c)
	}
	return out
}

// CapabilityOf returns one platform's rules; false for an unknown name.
func CapabilityOf(p platform.Name) (Capability, bool) {
	if !platform.Known(p) {
		return Capability{}, false
	}
	c := Capability{Platform: p, DMAPI: platform.HasDMAPI(p), Window: "none", Tags: Tags(p)}
	if c.DMAPI {
		lim := Limit(p)
		c.TextLimit = &lim
	}
	switch p {
	case platform.Instagram:
		c.Window, c.WindowHours, c.HumanAgentHours = "standard", hours(StandardWindow), hours(HumanAgentWindow)
		// DESIGN §2's cap. Meta's own rate-limit docs state per-second limits;
		// 200/hour is the widely applied practical ceiling for automated DMs
		// (https://getravela.com/docs/instagram/messaging-limits).
		c.AutomatedPerHour = 200
		c.Notes = "Replies within 24 h of the customer's last message; a person may reply with HUMAN_AGENT for 7 days. Automated sends may not use HUMAN_AGENT."
	case platform.Messenger:
		c.Window, c.WindowHours, c.HumanAgentHours = "standard", hours(StandardWindow), hours(HumanAgentWindow)
		c.RetiredTags = RetiredTags()
		c.Notes = "Replies within 24 h of the customer's last message; a person may reply with HUMAN_AGENT for 7 days. Meta retired CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE and ACCOUNT_UPDATE in 2026 (Graph error 100): outside the window only HUMAN_AGENT remains."
	case platform.WhatsApp:
		c.Window, c.WindowHours = "customer_service", hours(ServiceWindow)
		c.Templates, c.TemplateCategories = true, TemplateCategories()
		c.EntryPointHours = hours(EntryPointWindow)
		c.Notes = "Free-form messages within 24 h of the customer's last message; otherwise only approved templates. Conversations from a Click-to-WhatsApp ad or Page CTA get a 72 h free entry point window."
	case platform.X:
		c.Notes = "No reply window; per-user and per-app DM rate limits apply."
	case platform.LinkedIn:
		c.Notes = "LinkedIn Pages messaging (partner-gated); no reply window."
	default:
		c.Notes = string(p) + " has no public direct-message API."
	}
	return c, true
}
