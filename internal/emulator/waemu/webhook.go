package waemu

import (
	"encoding/json"
	"strconv"

	hooksig "github.com/parleyhq/parley/internal/webhook/inbound"
)

// Webhook payload types: the "messages" field of the whatsapp_business_account
// object, as Meta posts it for an incoming text message and for the status
// of a sent message.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text/
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status/
type webhook struct {
	Object string         `json:"object"`
	Entry  []webhookEntry `json:"entry"`
}

type webhookEntry struct {
	ID      string          `json:"id"`
	Changes []webhookChange `json:"changes"`
}

type webhookChange struct {
	Value webhookValue `json:"value"`
	Field string       `json:"field"`
}

type webhookValue struct {
	MessagingProduct string           `json:"messaging_product"`
	Metadata         webhookMetadata  `json:"metadata"`
	Contacts         []webhookContact `json:"contacts,omitempty"`
	Messages         []webhookMessage `json:"messages,omitempty"`
	Statuses         []webhookStatus  `json:"statuses,omitempty"`
}

type webhookMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

type webhookContact struct {
	Profile struct {
		Name     string `json:"name"`
		Username string `json:"username,omitempty"`
	} `json:"profile"`
	WaID   string `json:"wa_id,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

type webhookMessage struct {
	From       string      `json:"from,omitempty"`
	FromUserID string      `json:"from_user_id,omitempty"`
	ID         string      `json:"id"`
	Timestamp  string      `json:"timestamp"`
	Type       string      `json:"type"`
	Text       *TextObject `json:"text,omitempty"`
	Referral   *Referral   `json:"referral,omitempty"`
	// Context, Interactive and Button: a reply to a message, a reply
	// button or list row tapped, a template button tapped
	// (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/interactive/,
	// .../messages/button/; checked 2026-11-30).
	Context     *webhookContext     `json:"context,omitempty"`
	Interactive *webhookInteractive `json:"interactive,omitempty"`
	Button      *webhookButton      `json:"button,omitempty"`
}

type webhookContext struct {
	From string `json:"from"`
	ID   string `json:"id"`
}

type webhookInteractive struct {
	Type        string  `json:"type"`
	ButtonReply *Choice `json:"button_reply,omitempty"`
	ListReply   *Choice `json:"list_reply,omitempty"`
}

type webhookButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

type webhookStatus struct {
	ID              string         `json:"id"`
	Status          string         `json:"status"`
	Timestamp       string         `json:"timestamp"`
	RecipientID     string         `json:"recipient_id,omitempty"`
	RecipientUserID string         `json:"recipient_user_id,omitempty"`
	Pricing         *Pricing       `json:"pricing,omitempty"`
	Errors          []webhookError `json:"errors,omitempty"`
}

// webhookError is one errors[] item of a failed status
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status/).
type webhookError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
	Href string `json:"href"`
}

// WebhookPayload returns the body Meta would POST to the app's webhook for
// an inbound message, so the sandbox can deliver it through Parley's real
// webhook endpoint.
func (e *Emulator) WebhookPayload(m InboundMessage) []byte {
	value := webhookValue{
		MessagingProduct: "whatsapp",
		Metadata:         e.metadata(m.PhoneNumberID),
		Messages: []webhookMessage{{
			From:       m.From,
			FromUserID: m.UserID,
			ID:         m.ID,
			Timestamp:  strconv.FormatInt(m.Timestamp.Unix(), 10),
			Type:       "text",
			Text:       &TextObject{Body: m.Text},
			Referral:   m.Referral,
		}},
	}
	wm := &value.Messages[0]
	if m.Context != "" {
		wm.Context = &webhookContext{From: digits(value.Metadata.DisplayPhoneNumber), ID: m.Context}
	}
	if r := m.Reply; r != nil {
		wm.Text = nil
		switch r.Kind {
		case "button":
			wm.Type, wm.Button = "button", &webhookButton{Payload: r.ID, Text: r.Title}
		case "list_reply":
			wm.Type, wm.Interactive = "interactive", &webhookInteractive{Type: r.Kind, ListReply: &Choice{ID: r.ID, Title: r.Title, Description: r.Description}}
		default:
			wm.Type, wm.Interactive = "interactive", &webhookInteractive{Type: r.Kind, ButtonReply: &Choice{ID: r.ID, Title: r.Title}}
		}
	}
	c := webhookContact{WaID: m.From, UserID: m.UserID}
	c.Profile.Name, c.Profile.Username = m.Name, m.Username
	if m.PhoneWithheld {
		c.WaID, value.Messages[0].From = "", ""
	}
	value.Contacts = []webhookContact{c}
	return e.wrap(m.PhoneNumberID, value)
}

// StatusWebhookPayload returns the status webhook (sent, delivered, read or
// failed) of a message the business sent: with its pricing object, or, for
// failed, with errors[] (m.Failure) and no pricing. The recipient is named
// as users.go describes: recipient_user_id always but on a failed status of
// a send by phone number, recipient_id unless the phone number is withheld.
func (e *Emulator) StatusWebhookPayload(m SentMessage, status string) []byte {
	e.mu.Lock()
	u := e.user(m.To)
	userID, withheld := u.userID, u.withheld
	e.mu.Unlock()
	st := webhookStatus{
		ID:              m.ID,
		Status:          status,
		Timestamp:       strconv.FormatInt(e.now().Unix(), 10),
		RecipientID:     m.To,
		RecipientUserID: userID,
	}
	if withheld {
		st.RecipientID = ""
	}
	if status == "failed" {
		if m.ToUserID == "" {
			st.RecipientUserID = ""
		}
		f := m.Failure
		if f == nil {
			f = failureOf(errUndeliverable())
		}
		we := webhookError{Code: f.Code, Title: f.Title, Message: f.Message, Href: ErrorHref}
		we.ErrorData.Details = f.Details
		st.Errors = []webhookError{we}
	} else {
		p := m.Pricing
		st.Pricing = &p
	}
	value := webhookValue{MessagingProduct: "whatsapp", Metadata: e.metadata(m.PhoneNumberID), Statuses: []webhookStatus{st}}
	return e.wrap(m.PhoneNumberID, value)
}

func (e *Emulator) metadata(phoneID string) webhookMetadata {
	e.mu.Lock()
	defer e.mu.Unlock()
	md := webhookMetadata{PhoneNumberID: phoneID}
	if n := e.numbers[phoneID]; n != nil {
		md.DisplayPhoneNumber = n.DisplayPhoneNumber
	}
	return md
}

func (e *Emulator) wrap(phoneID string, v webhookValue) []byte {
	e.mu.Lock()
	waba := ""
	if n := e.numbers[phoneID]; n != nil {
		waba = n.WABAID
	}
	e.mu.Unlock()
	b, _ := json.Marshal(webhook{
		Object: "whatsapp_business_account",
		Entry:  []webhookEntry{{ID: waba, Changes: []webhookChange{{Value: v, Field: "messages"}}}},
	})
	// Meta sends (and signs) JSON with non-ASCII characters escaped.
	return hooksig.MetaEscapeUnicode(b)
}

// SignWebhook returns the X-Hub-Signature-256 header value Meta sends with a
// webhook body: "sha256=" + hex HMAC-SHA256 under the app secret of the body
// as Meta serialises it, non-ASCII \uXXXX-escaped
// (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads).
// WebhookPayload and StatusWebhookPayload already return escaped bodies, so
// the signature is over exactly the bytes they return.
func SignWebhook(appSecret string, body []byte) string {
	return hooksig.SignMeta(appSecret, hooksig.MetaEscapeUnicode(body))
}

// digits is a display phone number as webhooks write it in context.from.
func digits(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}
