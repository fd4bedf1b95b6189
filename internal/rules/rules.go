// Package rules is Parley's messaging rules engine (DESIGN §2): a pure function of
// (platform, conversation metadata, request, now) that allows a send or refuses it with a structured error.
//
// Nothing here does I/O or reads a clock: callers pass `now`, so the same inputs
// always give the same Decision and every boundary can be tested exactly.
//
// Window boundaries (decided once, used everywhere): a window that lasts D from
// instant T is open at `now` iff now < T+D. At exactly T+D it is closed; one
// nanosecond earlier it is open. closes_at is therefore T+D.
package rules

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// Window lengths.
const (
	// StandardWindow is the Messenger/Instagram standard messaging window,
	// counted from the person's last inbound message; each inbound resets it.
	// https://developers.facebook.com/docs/messenger-platform/policy/policy-overview-aug-2019
	// ("Businesses will have up to 24 hours to respond to a user")
	// https://developers.facebook.com/docs/instagram-messaging/overview
	// ("Your messaging app has 24 hours to respond to this message")
	// Meta's current policy adds that after a first message from a
	// Click-to-Messenger or Click-to-Direct ad the window "may last up to 7
	// days" (https://developers.facebook.com/documentation/business-messaging/messenger-platform/policy/);
	// "may" is not a guarantee, so that extension is not applied here.
	StandardWindow = 24 * time.Hour

	// HumanAgentWindow is how long after the last inbound message a HUMAN_AGENT
	// tagged message, sent by a person, may still be delivered.
	// https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message
	// ("HUMAN_AGENT tag allows messages to be sent within 7 days after the last user's message")
	// https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags/
	HumanAgentWindow = 7 * 24 * time.Hour

	// ServiceWindow is WhatsApp's customer service window: it starts when the
	// user messages (or calls) the business and resets with every new message;
	// free-form (non-template) messages may only be sent while it is open.
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages
	// ("When a WhatsApp user messages you or calls you, a 24-hour timer called a
	// customer service window starts. If the user messages or calls you again
	// before the timer expires, the timer resets to 24 hours.")
	ServiceWindow = 24 * time.Hour

	// EntryPointReplyWindow is how long after an inbound that came from a
	// Click-to-WhatsApp ad or a Facebook Page call-to-action button the business
	// has to reply for that reply to open the free entry point window.
	// https://docs.360dialog.com/docs/waba-messaging/per-message-pricing (Free Entry Point window)
	// https://docs.ycloud.com/zh/api-reference/getting-started/changelog/whatsapp-pricing-2025.md
	EntryPointReplyWindow = 24 * time.Hour

	// EntryPointWindow is the length of WhatsApp's free entry point window,
	// counted from the business's qualifying reply; every message (template or
	// not) delivered inside it is free. Free-form messages still need an open
	// ServiceWindow.
	// https://docs.360dialog.com/docs/waba-messaging/per-message-pricing
	// https://help.zoho.com/portal/fr/community/topic/whatsapp-pricing-changes-pay-per-message-starting-july-1-2025
	EntryPointWindow = 72 * time.Hour
)

// Meta message tags Request.Tag may name. The three Messenger-only tags were
// retired in 2026 (see retiredTags): they are still recognised, so a caller
// using one is told it was retired rather than that it is unknown.
// https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags/
const (
	TagHumanAgent           = "HUMAN_AGENT"
	TagConfirmedEventUpdate = "CONFIRMED_EVENT_UPDATE" // Messenger only; retired
	TagPostPurchaseUpdate   = "POST_PURCHASE_UPDATE"   // Messenger only; retired
	TagAccountUpdate        = "ACCOUNT_UPDATE"         // Messenger only; retired
)

// Send API messaging_type values for Meta platforms.
// https://developers.facebook.com/docs/messenger-platform/reference/send-api/
const (
	MessagingTypeResponse   = "RESPONSE"
	MessagingTypeMessageTag = "MESSAGE_TAG"
)

// WhatsApp pricing categories, as reported in the `pricing.category` of status
// webhooks ("service" indicates a non-template message).
// https://api.support.vonage.com/hc/en-us/articles/19800233069084-WhatsApp-Pricing-Updates-1st-July-2025
const (
	CategoryMarketing                   = "marketing"
	CategoryUtility                     = "utility"
	CategoryAuthentication              = "authentication"
	CategoryAuthenticationInternational = "authentication_international"
	CategoryService                     = "service"
)

// WhatsApp pricing types, mirroring the `pricing.type` of status webhooks.
// https://whatsappapijs.web.app/types/types.ServerPricing.html
const (
	PricingRegular             = "regular"
	PricingFreeCustomerService = "free_customer_service"
	PricingFreeEntryPoint      = "free_entry_point"
)

// TemplateApproved is the only WhatsApp template status that may be sent.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_status_update
const TemplateApproved = "APPROVED"

// Error codes this package returns (DESIGN §1 namespaces).
const (
	// CodeWindowClosed: 410, Meta standard or HUMAN_AGENT window closed. Meta
	// carries closed_at (time or null when no inbound is known) and options.
	CodeWindowClosed = "conversation.window_closed"
	// CodeTemplateRequired: 410, WhatsApp free-form message outside the
	// customer service window. 410 (not 422) because, like
	// conversation.window_closed, the request was fine until the window
	// closed; the same meta (closed_at, options) tells the caller what remains.
	CodeTemplateRequired = "whatsapp.template_required"
	// CodeTemplateNotApproved: 422, the template's status is not APPROVED
	// (including an empty, i.e. not looked up, status).
	CodeTemplateNotApproved = "whatsapp.template_not_approved"
	// CodeTagNotSupported: 422, a tag on a platform that has no such tag
	// (Messenger-only tags on Instagram; any tag on WhatsApp, X, LinkedIn).
	CodeTagNotSupported = "validation.tag_not_supported"
	// CodeTagNotAllowed: 422, HUMAN_AGENT on an automated send.
	CodeTagNotAllowed = "validation.tag_not_allowed"
	// CodeTemplateNotSupported: 422, a template on a platform other than WhatsApp.
	CodeTemplateNotSupported = "validation.template_not_supported"
	// CodeInvalidField: 422, a field with a bad value (unknown tag, text too
	// long or not UTF-8, unknown template category, text with a template).
	CodeInvalidField = "validation.invalid_field"
	// CodeRequired: 422, nothing to send, or a template without name/language.
	CodeRequired = "validation.required"
	// CodeNotSupported: 501, a platform without a DM API.
	CodeNotSupported = "resource.not_supported"
)

// serviceChargesFrom is when Meta starts charging for WhatsApp service
// (non-template) messages and for utility templates sent inside an open
// customer service window; both were free before. The free entry point window
// is unchanged. A value, not a price: prices are never hard-coded here.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
// "Upcoming pricing updates for Meta Business Agent, service and utility
// messages" (Updated Jul 1, 2026), as mirrored at
// https://nermalcat69.github.io/meta-developer-docs/documentation/business-messaging/whatsapp/pricing/authentication-international-rates.html
// ("Effective October 1, 2026, Meta will charge for service messages ...
// Effective October 1, 2026, Meta will charge for utility messages sent in
// response to users within an open 24-hour customer service window.")
// Meta applies pricing changes at midnight in the WABA's time zone; we use UTC.
var serviceChargesFrom = time.Date(2026, time.October, 1, 0, 0, 0, 0, time.UTC)

// ServiceChargesFrom returns the instant from which WhatsApp service messages
// and in-window utility templates are billed (see Decide).
func ServiceChargesFrom() time.Time { return serviceChargesFrom }

// Conversation is the metadata Parley keeps about a thread (DESIGN §3).
type Conversation struct {
	// LastInboundAt is the time of the participant's last message; zero means
	// unknown or never.
	LastInboundAt time.Time
	// LastOutboundAt is the time of the business's last message; zero means
	// unknown or never.
	LastOutboundAt time.Time
	// ReferralAt (WhatsApp) is the time of the inbound message that came from a
	// Click-to-WhatsApp ad or Facebook Page call-to-action (webhook `referral`);
	// zero means none.
	ReferralAt time.Time
	// EntryPointReplyAt (WhatsApp) is the time of the business's first reply
	// after ReferralAt. A reply within EntryPointReplyWindow of the referral
	// opens the free entry point window for EntryPointWindow from this instant.
	// Persist it when a Decision has OpensEntryPoint set and the send succeeds.
	// When zero but LastOutboundAt shows a reply within the reply window, the
	// engine assumes the window started at ReferralAt: the earliest it could
	// have, so it never claims a send is free when it might not be.
	EntryPointReplyAt time.Time
}

// TemplateRef is a WhatsApp message template as the caller resolved it from
// the account's template list (name and language from the request, category
// and status from the lookup).
type TemplateRef struct {
	Name     string
	Language string
	// Category is marketing, utility, authentication or
	// authentication_international (the last when the caller knows the
	// recipient is in a market with authentication-international rates).
	Category string
	// Status is the template's review status; only APPROVED may be sent.
	Status string
}

// Request is one message the caller wants to send.
type Request struct {
	Text          string
	HasAttachment bool
	// Tag is a Meta message tag; empty for a standard reply.
	Tag string
	// Template is a WhatsApp template; nil for a free-form message.
	Template *TemplateRef
	// Automated is true when no person composed the message (bots, AI agents,
	// scheduled sends). HUMAN_AGENT is refused for automated sends.
	Automated bool
	// Rich is the message's attachments, quick replies, buttons, cards and
	// the message it answers (rich.go).
	Rich Rich
}

// Pricing is how WhatsApp will bill one message. It records the category and
// whether it is free; prices themselves live with Meta's rate cards.
type Pricing struct {
	// Category is the template's category, or "service" for a free-form message.
	Category string `json:"category"`
	// Free is true when Meta does not charge for the message.
	Free bool `json:"free"`
	// Type is regular, free_customer_service or free_entry_point.
	Type string `json:"type"`
}

// Decision is the engine's answer for one send.
type Decision struct {
	// Allowed is true when the send may go to the platform.
	Allowed bool
	// Err is the refusal, nil when allowed.
	Err *apierr.Error
	// MessagingType is the Send API messaging_type for Messenger and
	// Instagram (RESPONSE or MESSAGE_TAG); empty elsewhere.
	MessagingType string
	// Pricing is set for allowed WhatsApp sends.
	Pricing *Pricing
	// OpensEntryPoint (WhatsApp) is true when this send is the business's
	// first reply within 24 h of an ad/CTA referral and so opens the 72 h free
	// entry point window: persist Conversation.EntryPointReplyAt = now once
	// the platform accepts it.
	OpensEntryPoint bool
}

// Option is one way to reach the participant that remains when a send is
// refused because a window closed; the list goes in the error's meta.options.
type Option struct {
	// Kind is "tag" (resend with Tag), "template" (send an approved WhatsApp
	// template) or "wait_for_inbound" (the window reopens when the customer
	// writes).
	Kind string `json:"kind"`
	// Tag is the message tag for Kind "tag".
	Tag string `json:"tag,omitempty"`
	// Until is when the option stops being available, when it ends.
	Until *time.Time `json:"until,omitempty"`
	// HumanOnly is true when only a person may use the option (HUMAN_AGENT).
	HumanOnly bool `json:"human_only,omitempty"`
	// Free (templates) is true when a template sent now would not be charged.
	Free bool `json:"free,omitempty"`
	// Description is a sentence for humans.
	Description string `json:"description"`
}

// messengerOnlyTags are the tags Messenger allows outside the window that the
// Instagram Messaging API does not ("not available for Instagram Messaging
// API"): https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags/
var messengerOnlyTags = [...]string{TagConfirmedEventUpdate, TagPostPurchaseUpdate, TagAccountUpdate}

// knownTags is every tag the public API accepts (DESIGN §1).
var knownTags = [...]string{TagHumanAgent, TagConfirmedEventUpdate, TagPostPurchaseUpdate, TagAccountUpdate}

func isMessengerOnlyTag(tag string) bool {
	for _, t := range messengerOnlyTags {
		if t == tag {
			return true
		}
	}
	return false
}

func isKnownTag(tag string) bool {
	for _, t := range knownTags {
		if t == tag {
			return true
		}
	}
	return false
}

// Decide applies DESIGN §2 to one send. It checks, in order: the platform has
// a DM API (501), the request is well formed for the platform (422), the tag
// is not retired at now (422 conversation.tag_retired), and the platform's
// window lets it through now (410). Allowed decisions carry the
// Meta messaging_type or the WhatsApp pricing.
func Decide(p platform.Name, c Conversation, r Request, now time.Time) Decision {
	if err := checkPlatform(p); err != nil {
		return refuse(err)
	}
	if err := checkContent(p, r); err != nil {
		return refuse(err)
	}
	switch p {
	case platform.Instagram, platform.Messenger:
		return decideMeta(p, c, r, now)
	case platform.WhatsApp:
		return decideWhatsApp(c, r, now)
	default: // X and LinkedIn: no window (DESIGN §2).
		return Decision{Allowed: true}
	}
}

func refuse(err *apierr.Error) Decision { return Decision{Err: err} }

// checkPlatform refuses platforms without a public DM API (TikTok, Threads,
// YouTube) and names Parley does not know.
func checkPlatform(p platform.Name) *apierr.Error {
	if !platform.Known(p) {
		return apierr.NotSupported("unknown platform %q", string(p)).With("platform", string(p))
	}
	if !platform.HasDMAPI(p) {
		return apierr.NotSupported("%s has no public direct-message API", p).With("platform", string(p))
	}
	return nil
}

func invalid(field, code, format string, args ...any) *apierr.Error {
	return apierr.New(http.StatusUnprocessableEntity, code, format, args...).With("field", field)
}

// checkContent validates the request against what the platform accepts,
// before any window is looked at: a malformed request is refused the same way
// whatever the conversation's state.
func checkContent(p platform.Name, r Request) *apierr.Error {
	hasText := strings.TrimSpace(r.Text) != ""
	if !hasText && !r.HasAttachment && r.Template == nil && len(r.Rich.Attachments) == 0 && len(r.Rich.Cards) == 0 {
		e := apierr.New(http.StatusUnprocessableEntity, CodeRequired,
			"a message needs text, an attachment or a template")
		return e.With("field", "text").With("one_of", []string{"text", "attachment", "template"})
	}
	if r.Template != nil {
		if p != platform.WhatsApp {
			return invalid("template", CodeTemplateNotSupported,
				"templates are a WhatsApp feature; %s does not support them", p).With("platform", string(p))
		}
		// A WhatsApp template message carries no free text or separate media:
		// its variables and header media go in the template's components.
		if r.Text != "" {
			return invalid("text", CodeInvalidField,
				"send either text or a template, not both; put the values in template components")
		}
		if r.HasAttachment {
			return invalid("attachment", CodeInvalidField,
				"send either an attachment or a template, not both; put media in the template header component")
		}
	}
	if err := checkRich(p, r); err != nil {
		return err
	}
	if r.Tag != "" {
		if err := checkTag(p, r.Tag); err != nil {
			return err
		}
	}
	if r.Text != "" {
		if err := checkText(p, r.Text); err != nil {
			return err
		}
	}
	if r.Template != nil {
		return checkTemplate(*r.Template)
	}
	return nil
}

// checkTag refuses tags unknown to the API and tags the platform has no use for.
func checkTag(p platform.Name, tag string) *apierr.Error {
	if !isKnownTag(tag) {
		return invalid("tag", CodeInvalidField, "unknown tag %q", tag).
			With("allowed", Tags(p))
	}
	switch p {
	case platform.Messenger:
		return nil
	case platform.Instagram:
		if isMessengerOnlyTag(tag) {
			return invalid("tag", CodeTagNotSupported,
				"%s is a Messenger tag; the Instagram Messaging API only supports HUMAN_AGENT", tag).
				With("platform", string(p)).With("allowed", Tags(p))
		}
		return nil
	default:
		// Message tags are Meta's Send API feature; WhatsApp uses templates
		// and X and LinkedIn have no window to extend.
		return invalid("tag", CodeTagNotSupported, "%s does not support message tags", p).
			With("platform", string(p)).With("allowed", Tags(p))
	}
}

// TextLimit is a platform's documented maximum text length (the public
// shape).
type TextLimit = apitype.TextLimit

// Limit returns the platform's maximum text length.
func Limit(p platform.Name) TextLimit {
	switch p {
	case platform.Messenger:
		// message.text "must be UTF-8 and has a 2000 character limit":
		// https://developers.facebook.com/docs/messenger-platform/reference/send-api/
		return TextLimit{Max: 2000, Unit: "characters"}
	case platform.Instagram:
		// "Message text must be UTF-8 and be a 1000 bytes or less":
		// https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message
		return TextLimit{Max: 1000, Unit: "bytes"}
	case platform.WhatsApp:
		// text.body "Maximum 4096 characters":
		// https://meta-preview.mintlify.io/docs/whatsapp/cloud-api/messages/text-messages
		return TextLimit{Max: 4096, Unit: "characters"}
	case platform.X:
		// text: "Text messages support up to 10,000 characters":
		// https://developer.x.com/en/docs/x-api/direct-messages/manage/api-reference/post-dm_conversations-with-participant_id-messages
		return TextLimit{Max: 10000, Unit: "characters"}
	default:
		// LinkedIn's Messages API documents `body` as a String with no
		// maximum (https://learn.microsoft.com/en-us/linkedin/shared/integrations/communications/messages),
		// so none is enforced here; the REST layer bounds request bodies.
		return TextLimit{Unit: "characters"}
	}
}

func checkText(p platform.Name, text string) *apierr.Error {
	if !utf8.ValidString(text) {
		// Meta requires UTF-8 text, and the others speak JSON, which is UTF-8.
		return invalid("text", CodeInvalidField, "text must be valid UTF-8")
	}
	lim := Limit(p)
	if lim.Max == 0 {
		return nil
	}
	n := utf8.RuneCountInString(text)
	if lim.Unit == "bytes" {
		n = len(text)
	}
	if n > lim.Max {
		return invalid("text", CodeInvalidField, "text is %d %s long; %s allows at most %d",
			n, lim.Unit, p, lim.Max).With("max", lim.Max).With("unit", lim.Unit).With("length", n)
	}
	return nil
}

// TemplateCategories lists the categories accepted in TemplateRef.Category.
func TemplateCategories() []string {
	return []string{CategoryMarketing, CategoryUtility, CategoryAuthentication, CategoryAuthenticationInternational}
}

func checkTemplate(t TemplateRef) *apierr.Error {
	if strings.TrimSpace(t.Name) == "" {
		return apierr.Required("template.name")
	}
	if strings.TrimSpace(t.Language) == "" {
		return apierr.Required("template.language")
	}
	known := false
	for _, c := range TemplateCategories() {
		if t.Category == c {
			known = true
		}
	}
	if !known {
		return invalid("template.category", CodeInvalidField, "unknown template category %q", t.Category).
			With("allowed", TemplateCategories())
	}
	if t.Status != TemplateApproved {
		status := t.Status
		if status == "" {
			status = "unknown"
		}
		return apierr.New(http.StatusUnprocessableEntity, CodeTemplateNotApproved,
			"template %q (%s) is not approved (status: %s); only APPROVED templates can be sent",
			t.Name, t.Language, status).
			With("template", t.Name).With("language", t.Language).With("status", status)
	}
	return nil
}

// decideMeta applies the Messenger and Instagram windows. Tags were already
// validated for the platform by checkContent.
func decideMeta(p platform.Name, c Conversation, r Request, now time.Time) Decision {
	switch {
	case r.Tag == "":
		if standardOpen(c, now) {
			return Decision{Allowed: true, MessagingType: MessagingTypeResponse}
		}
		return refuse(metaClosed(p, c, now, standardClose(c), "the 24-hour messaging window"))
	case r.Tag == TagHumanAgent:
		if r.Automated {
			// HUMAN_AGENT is for a person's replies only; an automated send
			// inside the window needs no tag and outside it has no way through.
			return refuse(invalid("tag", CodeTagNotAllowed,
				"HUMAN_AGENT may only be used for messages a person writes; this send is automated").
				With("automated", true))
		}
		if humanAgentOpen(c, now) {
			return Decision{Allowed: true, MessagingType: MessagingTypeMessageTag}
		}
		return refuse(metaClosed(p, c, now, humanAgentClose(c), "the 7-day HUMAN_AGENT window"))
	default:
		// CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE, ACCOUNT_UPDATE
		// (Messenger only). Retired tags are refused before Meta is called
		// (Meta answers a bare "Invalid parameter"); the rule goes by the
		// send's date, so a send dated before the retirement was allowed.
		if rt, gone := retirement(r.Tag, now); gone {
			return refuse(tagRetired(p, c, now, rt))
		}
		// Before retirement: allowed outside the standard window for
		// non-promotional updates. They have no time limit of their own, and a
		// conversation Parley knows was started by the person, as Messenger
		// requires ("the conversation must be initiated by that person":
		// https://developers.facebook.com/docs/messenger-platform/send-messages).
		return Decision{Allowed: true, MessagingType: MessagingTypeMessageTag}
	}
}

// metaClosed builds the 410 for a closed Meta window. closedAt is zero when no
// inbound message is known (the window never opened).
func metaClosed(p platform.Name, c Conversation, now, closedAt time.Time, what string) *apierr.Error {
	var e *apierr.Error
	if closedAt.IsZero() {
		e = apierr.New(http.StatusGone, CodeWindowClosed,
			"the customer has not written to this account, so %s has not opened; %s only allows replies to people who wrote first",
			what, p)
		e = e.With("closed_at", nil)
	} else {
		e = apierr.New(http.StatusGone, CodeWindowClosed, "%s closed at %s",
			what, closedAt.UTC().Format(time.RFC3339))
		e = e.With("closed_at", closedAt.UTC())
	}
	return e.With("options", metaOptions(p, c, now))
}

// metaOptions lists what a sender can still do on a Meta platform now.
func metaOptions(p platform.Name, c Conversation, now time.Time) []Option {
	var opts []Option
	if humanAgentOpen(c, now) {
		until := humanAgentClose(c).UTC()
		opts = append(opts, Option{
			Kind: "tag", Tag: TagHumanAgent, Until: &until, HumanOnly: true,
			Description: "a person (not automation) may reply with tag HUMAN_AGENT until " + until.Format(time.RFC3339),
		})
	}
	if p == platform.Messenger {
		for _, t := range messengerTagsAt(now) {
			opts = append(opts, Option{
				Kind: "tag", Tag: t,
				Description: "a non-promotional update may be sent with tag " + t,
			})
		}
	}
	return append(opts, waitOption())
}

func waitOption() Option {
	return Option{Kind: "wait_for_inbound", Description: "the window reopens when the customer writes again"}
}

// decideWhatsApp applies the customer service window and prices the message.
func decideWhatsApp(c Conversation, r Request, now time.Time) Decision {
	ep := entryPoint(c, now)
	serviceOpen := serviceWindowOpen(c, now)
	if r.Template == nil && !serviceOpen {
		return refuse(templateRequired(c, now, ep))
	}
	category := CategoryService
	if r.Template != nil {
		category = r.Template.Category
	}
	return Decision{
		Allowed:         true,
		Pricing:         price(category, serviceOpen, ep.open, now),
		OpensEntryPoint: ep.opensNow,
	}
}

// price applies WhatsApp's per-message pricing rules for a message delivered
// now. Marketing and authentication templates are charged except inside a free
// entry point window; utility templates and service messages are also free
// inside an open customer service window, until serviceChargesFrom.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
// https://api.support.vonage.com/hc/en-us/articles/19800233069084-WhatsApp-Pricing-Updates-1st-July-2025
func price(category string, serviceOpen, entryPointOpen bool, now time.Time) *Pricing {
	switch {
	case entryPointOpen:
		return &Pricing{Category: category, Free: true, Type: PricingFreeEntryPoint}
	case serviceOpen && now.Before(serviceChargesFrom) &&
		(category == CategoryService || category == CategoryUtility):
		return &Pricing{Category: category, Free: true, Type: PricingFreeCustomerService}
	default:
		return &Pricing{Category: category, Free: false, Type: PricingRegular}
	}
}

// templateRequired is the refusal of a free-form WhatsApp message outside the
// customer service window.
func templateRequired(c Conversation, now time.Time, ep entryPointState) *apierr.Error {
	tmpl := Option{Kind: "template", Description: "send an approved message template"}
	if ep.open {
		until := ep.until.UTC()
		tmpl.Until, tmpl.Free = &until, true
		tmpl.Description = "send an approved message template; it is free inside the entry point window until " +
			until.Format(time.RFC3339)
	}
	opts := []Option{tmpl, waitOption()}
	var e *apierr.Error
	if c.LastInboundAt.IsZero() {
		e = apierr.New(http.StatusGone, CodeTemplateRequired,
			"the customer has not written to this number, so only an approved template can start the conversation").
			With("closed_at", nil)
	} else {
		closed := serviceClose(c).UTC()
		e = apierr.New(http.StatusGone, CodeTemplateRequired,
			"the 24-hour customer service window closed at %s; only an approved template can be sent",
			closed.Format(time.RFC3339)).With("closed_at", closed)
	}
	return e.With("options", opts)
}
