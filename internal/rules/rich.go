package rules

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// Codes of the rich-message checks (DESIGN §1, validation.*; all 422).
const (
	// CodeUnsupportedOnPlatform: a field the conversation's platform cannot
	// carry (meta: field, platform). Parley refuses the whole send rather
	// than drop part of it.
	CodeUnsupportedOnPlatform = "validation.unsupported_on_platform"
	// CodeTooMany: more items than the platform takes (meta: field, max, count).
	CodeTooMany = "validation.too_many"
	// CodeTooLong: a string longer than the platform takes (meta: field,
	// max, unit, length).
	CodeTooLong = "validation.too_long"
	// CodeMutuallyExclusive: two fields that cannot go in one message
	// (meta: field, conflicts_with).
	CodeMutuallyExclusive = "validation.mutually_exclusive"
)

// Rich is the rich part of a send, as the rules see it.
type Rich struct {
	// Attachments are the types of the message's attachments, in order.
	Attachments  []string
	QuickReplies []apitype.QuickReply
	Buttons      []apitype.Button
	Cards        []apitype.Card
	// ReplyTo is the platform id of the message being answered.
	ReplyTo string
}

func (r Rich) empty() bool {
	return len(r.Attachments) == 0 && len(r.QuickReplies) == 0 && len(r.Buttons) == 0 && len(r.Cards) == 0 && r.ReplyTo == ""
}

// RichLimits is what one platform carries of a rich message and its
// documented limits; a zero count means the platform cannot carry the
// field. Its public shape (GET /v1/platforms, capability.rich) is apitype's.
type RichLimits = apitype.RichCapability

// MaxAttachments is Parley's own cap on attachments per send where the
// platform takes one per message (Meta, WhatsApp): each goes out as its own
// platform message, in order. It is not a platform limit.
const MaxAttachments = 10

// RichOf returns what platform p carries. Every number is the platform's,
// with its source; checked 2026-11-30.
func RichOf(p platform.Name) RichLimits {
	switch p {
	case platform.Messenger, platform.Instagram:
		l := RichLimits{
			Attachments: MaxAttachments,
			// Quick replies: "up to 13", text quick replies need a non-empty
			// title; "title … 20 character limit", "payload … 1000 character
			// limit" (https://developers.facebook.com/docs/messenger-platform/reference/buttons/quick-replies;
			// Instagram: "A maximum of 13 quick replies are supported and each
			// quick reply allows up to 20 characters",
			// https://developers.facebook.com/docs/messenger-platform/instagram/features/quick-replies).
			QuickReplies: 13, QuickReplyTitle: 20, QuickReplyPayload: 1000,
			// Button template: "text … UTF-8-encoded text of up to 640
			// characters", "buttons … Set of 1-3 buttons"
			// (https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/template/button;
			// Instagram: "up to three attached buttons",
			// https://developers.facebook.com/documentation/business-messaging/instagram-messaging/button-template).
			// Postback button: "title … 20 character limit", "payload …
			// 1000 character limit"
			// (https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/buttons/postback).
			Buttons: 3, ButtonTitle: 20, ButtonPayload: 1000, ButtonText: 640,
			URLButtons: true, PostbackButtons: true,
			// Generic template: "Maximum of 10 elements", "title … 80
			// character limit", "subtitle … 80 character limit", "up to
			// three buttons"; "At least one property must be set in addition
			// to title"
			// (https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/template/generic;
			// Instagram: https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/messaging-api/generic-template).
			Cards: 10, CardTitle: 80, CardSubtitle: 80, CardButtons: 3,
		}
		if p == platform.Instagram {
			// Instagram sends a reply to one message with a top-level
			// reply_to {mid} (the contract; webhooks carry the same
			// message.reply_to.mid: https://developers.facebook.com/documentation/instagram-platform/webhooks/examples).
			// Messenger's Send API reference documents no such field, so a
			// reply on Messenger is refused rather than sent unquoted.
			l.ReplyTo = true
		}
		return l
	case platform.WhatsApp:
		return RichLimits{
			Attachments: MaxAttachments,
			// Quick replies become interactive reply buttons (up to 3:
			// "send up to three predefined replies"; button title "Maximum
			// length of 20 characters", id "Maximum length of 256
			// characters":
			// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages)
			// or, from 4, an interactive list ("up to 10 sections, with up
			// to 10 rows for all sections combined"; row title 24, row id 200:
			// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages).
			QuickReplies: WhatsAppListRows, QuickReplyTitle: WhatsAppButtonTitle, QuickReplyPayload: WhatsAppListRowID,
			// Postback buttons are reply buttons (3, title 20, id 256); a
			// url button is a cta_url message, which carries one button
			// (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-cta-url-messages).
			// Interactive body text: 1024 characters (same pages).
			Buttons: WhatsAppReplyButtons, ButtonTitle: WhatsAppButtonTitle, ButtonPayload: WhatsAppButtonID, ButtonText: WhatsAppBodyText,
			URLButtons: true, PostbackButtons: true,
			// Contextual replies: "context": {"message_id": "<WAMID>"}
			// (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/contextual-replies/).
			ReplyTo: true,
		}
	}
	// X API v2 Direct Messages take text and one media id uploaded to X
	// first: no quick replies, buttons, cards or replies to a message
	// (https://developer.x.com/en/docs/x-api/direct-messages/manage/api-reference/post-dm_conversations-dm_conversation_id-messages).
	// LinkedIn's Messages API takes a body and uploaded media assets
	// (https://learn.microsoft.com/en-us/linkedin/shared/integrations/communications/messages).
	// Neither fetches media by URL, so attachments by URL are refused too.
	return RichLimits{}
}

// WhatsApp interactive limits (sources at RichOf).
const (
	WhatsAppReplyButtons = 3
	WhatsAppButtonTitle  = 20
	WhatsAppButtonID     = 256
	WhatsAppListRows     = 10
	WhatsAppListRowTitle = 24
	WhatsAppListRowID    = 200
	WhatsAppBodyText     = 1024
)

func unsupported(p platform.Name, field, what string) *apierr.Error {
	return apierr.New(http.StatusUnprocessableEntity, CodeUnsupportedOnPlatform,
		"%s cannot carry %s; nothing was sent", p, what).With("field", field).With("platform", string(p))
}

func tooMany(p platform.Name, field string, max, n int) *apierr.Error {
	return apierr.New(http.StatusUnprocessableEntity, CodeTooMany,
		"%s takes at most %d %s; got %d", p, max, field, n).
		With("field", field).With("platform", string(p)).With("max", max).With("count", n)
}

// tooLong checks s against max characters (0: no limit).
func tooLong(p platform.Name, field, s string, max int) *apierr.Error {
	n := utf8.RuneCountInString(s)
	if max == 0 || n <= max {
		return nil
	}
	return apierr.New(http.StatusUnprocessableEntity, CodeTooLong,
		"%s is %d characters long; %s allows at most %d", field, n, p, max).
		With("field", field).With("platform", string(p)).With("max", max).With("unit", "characters").With("length", n)
}

func exclusive(field, other, why string) *apierr.Error {
	return apierr.New(http.StatusUnprocessableEntity, CodeMutuallyExclusive,
		"%s and %s cannot be sent in one message: %s", field, other, why).
		With("field", field).With("conflicts_with", other)
}

// checkRich applies the platform's rich-message limits to a request whose
// own shape is already valid. The order is stable: what the platform
// cannot carry first, then combinations, then counts and lengths.
func checkRich(p platform.Name, r Request) *apierr.Error {
	rc := r.Rich
	if rc.empty() {
		return nil
	}
	l := RichOf(p)
	switch {
	case len(rc.Attachments) > 0 && l.Attachments == 0:
		return unsupported(p, "attachments", "attachments by URL")
	case len(rc.QuickReplies) > 0 && l.QuickReplies == 0:
		return unsupported(p, "quick_replies", "quick replies")
	case len(rc.Buttons) > 0 && l.Buttons == 0:
		return unsupported(p, "buttons", "buttons")
	case len(rc.Cards) > 0 && l.Cards == 0:
		return unsupported(p, "cards", "cards")
	case rc.ReplyTo != "" && !l.ReplyTo:
		return unsupported(p, "reply_to_message_id", "a reply to a specific message")
	}
	if r.Template != nil {
		// A template carries its own buttons in its components.
		for _, f := range []struct {
			name string
			set  bool
		}{{"quick_replies", len(rc.QuickReplies) > 0}, {"buttons", len(rc.Buttons) > 0}, {"cards", len(rc.Cards) > 0}} {
			if f.set {
				return exclusive(f.name, "template", "a template's buttons are part of its components")
			}
		}
	}
	// One interactive part per message: Meta's quick replies, button
	// template and generic template, and WhatsApp's interactive types, are
	// each a message of their own.
	switch {
	case len(rc.QuickReplies) > 0 && len(rc.Buttons) > 0:
		return exclusive("quick_replies", "buttons", "send the buttons, or the quick replies, in one message")
	case len(rc.QuickReplies) > 0 && len(rc.Cards) > 0:
		return exclusive("quick_replies", "cards", "send the cards, or the quick replies, in one message")
	case len(rc.Buttons) > 0 && len(rc.Cards) > 0:
		return exclusive("buttons", "cards", "put the buttons on the cards (cards[].buttons)")
	}
	if n := len(rc.Attachments); n > l.Attachments {
		return tooMany(p, "attachments", l.Attachments, n)
	}
	hasText := strings.TrimSpace(r.Text) != ""
	if len(rc.QuickReplies) > 0 {
		if !hasText {
			// Quick replies sit under a text message (Instagram: "Quick
			// replies only support plain text"; WhatsApp: the interactive body).
			return apierr.Required("text").With("hint", "quick replies are offered under a text")
		}
		if err := checkQuickReplies(p, l, rc.QuickReplies); err != nil {
			return err
		}
	}
	if len(rc.Buttons) > 0 {
		if !hasText {
			return apierr.Required("text").With("hint", "buttons are offered under a text")
		}
		if err := tooLong(p, "text", r.Text, l.ButtonText); err != nil {
			return err
		}
		if err := checkButtons(p, l, "buttons", rc.Buttons, l.Buttons); err != nil {
			return err
		}
	}
	if len(rc.Cards) > 0 {
		if err := checkCards(p, l, rc.Cards); err != nil {
			return err
		}
	}
	if p == platform.WhatsApp {
		return checkWhatsAppRich(r)
	}
	return nil
}

func checkQuickReplies(p platform.Name, l RichLimits, qs []apitype.QuickReply) *apierr.Error {
	if len(qs) > l.QuickReplies {
		return tooMany(p, "quick_replies", l.QuickReplies, len(qs))
	}
	titleMax, payloadMax := l.QuickReplyTitle, l.QuickReplyPayload
	if p == platform.WhatsApp {
		// Up to three are reply buttons, more a list: the list's own limits.
		titleMax, payloadMax = WhatsAppButtonTitle, WhatsAppButtonID
		if len(qs) > WhatsAppReplyButtons {
			titleMax, payloadMax = WhatsAppListRowTitle, WhatsAppListRowID
		}
	}
	seen := map[string]bool{}
	for i, q := range qs {
		f := fmt.Sprintf("quick_replies[%d]", i)
		if strings.TrimSpace(q.Title) == "" {
			return apierr.Required(f + ".title")
		}
		if strings.TrimSpace(q.Payload) == "" {
			return apierr.Required(f+".payload").With("hint", "the payload is what comes back when the customer taps it")
		}
		if err := tooLong(p, f+".title", q.Title, titleMax); err != nil {
			return err
		}
		if err := tooLong(p, f+".payload", q.Payload, payloadMax); err != nil {
			return err
		}
		if p == platform.WhatsApp {
			// WhatsApp: titles "must be unique within the message" and ids
			// identify the choice (interactive reply buttons page).
			if seen[q.Title] || seen["\x00"+q.Payload] {
				return apierr.Invalid(f, "WhatsApp needs each quick reply's title and payload to be unique in the message")
			}
			seen[q.Title], seen["\x00"+q.Payload] = true, true
		}
	}
	return nil
}

func checkButtons(p platform.Name, l RichLimits, field string, bs []apitype.Button, max int) *apierr.Error {
	if len(bs) > max {
		return tooMany(p, field, max, len(bs))
	}
	for i, b := range bs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if strings.TrimSpace(b.Title) == "" {
			return apierr.Required(f + ".title")
		}
		if err := tooLong(p, f+".title", b.Title, l.ButtonTitle); err != nil {
			return err
		}
		switch b.Type {
		case "url":
			if !l.URLButtons {
				return unsupported(p, f+".type", "url buttons")
			}
			if !absoluteURL(b.URL) {
				return apierr.Invalid(f+".url", "%s.url must be an absolute http(s) URL", f)
			}
			if b.Payload != "" {
				return apierr.Invalid(f+".payload", "a url button has no payload; use a postback button")
			}
		case "postback":
			if !l.PostbackButtons {
				return unsupported(p, f+".type", "postback buttons")
			}
			if strings.TrimSpace(b.Payload) == "" {
				return apierr.Required(f + ".payload")
			}
			if b.URL != "" {
				return apierr.Invalid(f+".url", "a postback button has no url; use a url button")
			}
			if err := tooLong(p, f+".payload", b.Payload, l.ButtonPayload); err != nil {
				return err
			}
		default:
			return apierr.Invalid(f+".type", "%s.type must be url or postback", f).With("allowed", []string{"url", "postback"})
		}
	}
	return nil
}

func checkCards(p platform.Name, l RichLimits, cs []apitype.Card) *apierr.Error {
	if len(cs) > l.Cards {
		return tooMany(p, "cards", l.Cards, len(cs))
	}
	for i, c := range cs {
		f := fmt.Sprintf("cards[%d]", i)
		if strings.TrimSpace(c.Title) == "" {
			return apierr.Required(f + ".title")
		}
		if c.Subtitle == "" && c.ImageURL == "" && len(c.Buttons) == 0 {
			// Generic template: "At least one property must be set in
			// addition to title."
			return apierr.Required(f+".subtitle").With("hint", "a card needs a subtitle, an image_url or buttons besides its title")
		}
		if err := tooLong(p, f+".title", c.Title, l.CardTitle); err != nil {
			return err
		}
		if err := tooLong(p, f+".subtitle", c.Subtitle, l.CardSubtitle); err != nil {
			return err
		}
		if c.ImageURL != "" && !absoluteURL(c.ImageURL) {
			return apierr.Invalid(f+".image_url", "%s.image_url must be an absolute http(s) URL", f)
		}
		if err := checkButtons(p, l, f+".buttons", c.Buttons, l.CardButtons); err != nil {
			return err
		}
	}
	return nil
}

// checkWhatsAppRich applies what only WhatsApp's interactive messages
// impose: one kind of button per message, one url button, body text
// length, no media with an interactive message (Parley sends no media
// headers).
func checkWhatsAppRich(r Request) *apierr.Error {
	rc := r.Rich
	interactive := len(rc.QuickReplies) > 0 || len(rc.Buttons) > 0
	if !interactive {
		return nil
	}
	if len(rc.Attachments) > 0 {
		f := "quick_replies"
		if len(rc.Buttons) > 0 {
			f = "buttons"
		}
		return exclusive(f, "attachments", "a WhatsApp interactive message carries text only; send the media in its own request")
	}
	if err := tooLong(platform.WhatsApp, "text", r.Text, WhatsAppBodyText); err != nil {
		return err
	}
	urls := 0
	for _, b := range rc.Buttons {
		if b.Type == "url" {
			urls++
		}
	}
	switch {
	case urls > 1:
		// A cta_url message has one button.
		return tooMany(platform.WhatsApp, "buttons (url)", 1, urls)
	case urls == 1 && len(rc.Buttons) > 1:
		return exclusive("buttons", "buttons", "WhatsApp sends a url button (cta_url) alone, without reply buttons")
	}
	seen := map[string]bool{}
	for i, b := range rc.Buttons {
		// Reply buttons: unique titles and ids.
		if seen[b.Title] || (b.Payload != "" && seen["\x00"+b.Payload]) {
			return apierr.Invalid(fmt.Sprintf("buttons[%d]", i), "WhatsApp needs each button's title and payload to be unique in the message")
		}
		seen[b.Title], seen["\x00"+b.Payload] = true, true
	}
	return nil
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
