package rules

import (
	"time"

	"github.com/parleyhq/parley/apitype"
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

// Capability describes one platform's messaging rules for GET
// /v1/platforms; its public shape lives in apitype.
type Capability = apitype.Capability

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
	c := Capability{Platform: string(p), DMAPI: platform.HasDMAPI(p), Window: "none", Tags: Tags(p)}
	if c.DMAPI {
		lim := Limit(p)
		c.TextLimit = &lim
		rich := RichOf(p)
		c.Rich = &rich
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
