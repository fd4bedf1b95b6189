package waemu

import (
	"fmt"
	"net/url"
	"unicode/utf8"
)

// Interactive messages and contextual replies, accepted and refused as the
// Cloud API documents them (checked 2026-11-30):
//
//   - reply buttons (interactive.type button): "up to three", title
//     "Maximum length of 20 characters", unique in the message; id
//     "Maximum length of 256 characters":
//     https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages;
//   - list (type list): action.button (20 characters), "up to 10 sections,
//     with up to 10 rows for all sections combined"; row title 24, id 200:
//     https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages;
//   - cta_url: action {name: cta_url, parameters {display_text (20), url}}:
//     https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-cta-url-messages;
//   - body.text: required, 1024 characters (same pages);
//   - context.message_id: a message of the conversation
//     (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/contextual-replies/).
//
// Refusals use the Cloud API's invalid-parameter errors (131009 "Parameter
// value is not valid", 100 "Invalid parameter", 131008 for a missing one).

// Interactive is the interactive object of a type "interactive" message.
type Interactive struct {
	Type   string            `json:"type"`
	Body   *InteractiveBody  `json:"body,omitempty"`
	Action InteractiveAction `json:"action"`
}

// InteractiveBody is interactive.body.
type InteractiveBody struct {
	Text string `json:"text"`
}

// InteractiveAction is interactive.action.
type InteractiveAction struct {
	Buttons    []ReplyButton  `json:"buttons,omitempty"`
	Button     string         `json:"button,omitempty"`
	Sections   []ListSection  `json:"sections,omitempty"`
	Name       string         `json:"name,omitempty"`
	Parameters *CTAParameters `json:"parameters,omitempty"`
}

// ReplyButton is one reply button.
type ReplyButton struct {
	Type  string `json:"type"`
	Reply Choice `json:"reply"`
}

// Choice is a reply button's or list row's id and title.
type Choice struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// ListSection is one section of a list.
type ListSection struct {
	Title string   `json:"title,omitempty"`
	Rows  []Choice `json:"rows"`
}

// CTAParameters is a cta_url message's button.
type CTAParameters struct {
	DisplayText string `json:"display_text"`
	URL         string `json:"url"`
}

// Interactive limits (sources above).
const (
	MaxReplyButtons = 3
	ButtonTitleMax  = 20
	ButtonIDMax     = 256
	MaxListRows     = 10
	MaxListSections = 10
	RowTitleMax     = 24
	RowIDMax        = 200
	BodyTextMax     = 1024
)

func runes(s string) int { return utf8.RuneCountInString(s) }

// checkInteractive validates an interactive message and returns its body
// text.
func checkInteractive(in *Interactive) (string, *Error) {
	if in == nil {
		return "", errRequiredParam("The parameter interactive is required.")
	}
	if in.Body == nil {
		return "", errRequiredParam("The parameter interactive['body'] is required.")
	}
	text := in.Body.Text
	if text == "" {
		return "", errRequiredParam("The parameter interactive['body']['text'] is required.")
	}
	if runes(text) > BodyTextMax {
		return "", errParamValue(fmt.Sprintf("Param interactive['body']['text'] must be at most %d characters long.", BodyTextMax))
	}
	switch in.Type {
	case "button":
		bs := in.Action.Buttons
		if len(bs) == 0 || len(bs) > MaxReplyButtons {
			return "", errParamValue(fmt.Sprintf("Param interactive['action']['buttons'] must have between 1 and %d items.", MaxReplyButtons))
		}
		seen := map[string]bool{}
		for i, b := range bs {
			if b.Type != "reply" {
				return "", errParamValue(fmt.Sprintf("Param interactive['action']['buttons'][%d]['type'] must be one of {REPLY}.", i))
			}
			if ae := checkChoice(fmt.Sprintf("interactive['action']['buttons'][%d]['reply']", i), b.Reply, ButtonTitleMax, ButtonIDMax, seen); ae != nil {
				return "", ae
			}
		}
	case "list":
		if in.Action.Button == "" || runes(in.Action.Button) > ButtonTitleMax {
			return "", errParamValue(fmt.Sprintf("Param interactive['action']['button'] must be between 1 and %d characters long.", ButtonTitleMax))
		}
		secs := in.Action.Sections
		if len(secs) == 0 || len(secs) > MaxListSections {
			return "", errParamValue(fmt.Sprintf("Param interactive['action']['sections'] must have between 1 and %d items.", MaxListSections))
		}
		rows := 0
		seen := map[string]bool{}
		for i, s := range secs {
			if len(secs) > 1 && s.Title == "" {
				return "", errRequiredParam(fmt.Sprintf("The parameter interactive['action']['sections'][%d]['title'] is required.", i))
			}
			for j, r := range s.Rows {
				rows++
				if ae := checkChoice(fmt.Sprintf("interactive['action']['sections'][%d]['rows'][%d]", i, j), r, RowTitleMax, RowIDMax, seen); ae != nil {
					return "", ae
				}
			}
		}
		if rows == 0 || rows > MaxListRows {
			return "", errParamValue(fmt.Sprintf("Total number of rows in interactive['action']['sections'] must be between 1 and %d.", MaxListRows))
		}
	case "cta_url":
		p := in.Action.Parameters
		if in.Action.Name != "cta_url" || p == nil {
			return "", errRequiredParam("The parameter interactive['action']['parameters'] is required.")
		}
		if p.DisplayText == "" || runes(p.DisplayText) > ButtonTitleMax {
			return "", errParamValue(fmt.Sprintf("Param interactive['action']['parameters']['display_text'] must be between 1 and %d characters long.", ButtonTitleMax))
		}
		if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return "", errParamValue("Param interactive['action']['parameters']['url'] must be a valid URL.")
		}
	default:
		return "", errInvalidParam(fmt.Sprintf("Param interactive['type'] must be one of {BUTTON, CATALOG_MESSAGE, CTA_URL, FLOW, LIST, LOCATION_REQUEST_MESSAGE, PRODUCT, PRODUCT_LIST} - got %q.", in.Type))
	}
	return text, nil
}

func checkChoice(path string, c Choice, titleMax, idMax int, seen map[string]bool) *Error {
	switch {
	case c.ID == "":
		return errRequiredParam(fmt.Sprintf("The parameter %s['id'] is required.", path))
	case c.Title == "":
		return errRequiredParam(fmt.Sprintf("The parameter %s['title'] is required.", path))
	case runes(c.Title) > titleMax:
		return errParamValue(fmt.Sprintf("Param %s['title'] must be at most %d characters long.", path, titleMax))
	case runes(c.ID) > idMax:
		return errParamValue(fmt.Sprintf("Param %s['id'] must be at most %d characters long.", path, idMax))
	case seen["t"+c.Title] || seen["i"+c.ID]:
		return errParamValue(fmt.Sprintf("Param %s must be unique in the message.", path))
	}
	seen["t"+c.Title], seen["i"+c.ID] = true, true
	return nil
}

// offered finds, in what the business sent user waID on phoneID, the
// latest interactive message's choice with id: what a tap can answer.
// Must be called with e.mu held.
func (e *Emulator) offered(phoneID, waID, id string) (SentMessage, Choice, bool) {
	sent := e.sent[phoneID]
	for i := len(sent) - 1; i >= 0; i-- {
		m := sent[i]
		if m.To != waID || m.Interactive == nil {
			continue
		}
		for _, b := range m.Interactive.Action.Buttons {
			if b.Reply.ID == id {
				return m, b.Reply, true
			}
		}
		for _, s := range m.Interactive.Action.Sections {
			for _, r := range s.Rows {
				if r.ID == id {
					return m, r, true
				}
			}
		}
		return m, Choice{}, false // only the latest interactive message is live
	}
	return SentMessage{}, Choice{}, false
}

// Tap records customer waID tapping the reply button or list row with id
// in the latest interactive message the business sent them: an inbound
// message of type interactive (button_reply or list_reply {id, title}) whose
// context names the tapped message, as the Cloud API posts it
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/interactive/).
// It answers ErrNotOffered when no such choice is on screen.
func (e *Emulator) Tap(phoneNumberID, waID, name, id string) (InboundMessage, error) {
	e.mu.Lock()
	m, c, ok := e.offered(phoneNumberID, waID, id)
	e.mu.Unlock()
	if !ok {
		return InboundMessage{}, ErrNotOffered
	}
	kind := "button_reply"
	if m.Interactive.Type == "list" {
		kind = "list_reply"
	}
	return e.InboundAndNotify(phoneNumberID, waID, name, c.Title, func(im *InboundMessage) {
		im.Reply = &InboundReply{Kind: kind, ID: c.ID, Title: c.Title, Description: c.Description}
		im.Context = m.ID
	})
}

// InReplyTo makes an inbound message a reply to message wamid (the webhook's
// context {from, id}).
func InReplyTo(wamid string) InboundOption { return func(m *InboundMessage) { m.Context = wamid } }

// TappedTemplateButton makes an inbound message the tap of a template's
// quick-reply button: type button, button {payload, text}.
func TappedTemplateButton(payload string) InboundOption {
	return func(m *InboundMessage) { m.Reply = &InboundReply{Kind: "button", ID: payload, Title: m.Text} }
}

// InboundReply is what an inbound message answered: a reply button, a
// list row or a template button the customer tapped.
type InboundReply struct {
	// Kind is button_reply, list_reply or button (a template's button).
	Kind        string
	ID, Title   string
	Description string
}
