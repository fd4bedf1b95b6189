package waemu

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// SendRequest is the body of POST /{phone-number-id}/messages: a message to
// send, or a read receipt (status "read" + message_id).
// https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/mark-message-as-read/
type SendRequest struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type,omitempty"`
	To               string `json:"to,omitempty"`
	// Recipient names the user by business-scoped user id instead of
	// phone number; To wins when both are given (users.go).
	Recipient string           `json:"recipient,omitempty"`
	Type      string           `json:"type,omitempty"`
	Context   *MessageContext  `json:"context,omitempty"`
	Text      *TextObject      `json:"text,omitempty"`
	Image     *Media           `json:"image,omitempty"`
	Video     *Media           `json:"video,omitempty"`
	Audio     *Media           `json:"audio,omitempty"`
	Document  *Media           `json:"document,omitempty"`
	Template  *TemplateMessage `json:"template,omitempty"`
	// Interactive is a type "interactive" message (rich.go).
	Interactive *Interactive `json:"interactive,omitempty"`
	// Mark as read.
	Status    string `json:"status,omitempty"`
	MessageID string `json:"message_id,omitempty"`
}

// MessageContext makes a message a reply to an earlier one.
type MessageContext struct {
	MessageID string `json:"message_id"`
}

// TextObject is the text of a type "text" message.
type TextObject struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

// TemplateMessage is the template of a type "template" message.
// https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates
type TemplateMessage struct {
	Name       string              `json:"name"`
	Language   TemplateLanguage    `json:"language"`
	Components []TemplateComponent `json:"components,omitempty"`
}

// TemplateLanguage selects the template's translation.
type TemplateLanguage struct {
	Code   string `json:"code"`
	Policy string `json:"policy,omitempty"`
}

// TemplateComponent fills a header, body or button of the template.
type TemplateComponent struct {
	Type       string              `json:"type"`
	SubType    string              `json:"sub_type,omitempty"`
	Index      any                 `json:"index,omitempty"`
	Parameters []TemplateParameter `json:"parameters,omitempty"`
}

// TemplateParameter is one value of a component.
type TemplateParameter struct {
	Type          string          `json:"type"`
	ParameterName string          `json:"parameter_name,omitempty"`
	Text          string          `json:"text,omitempty"`
	Payload       string          `json:"payload,omitempty"`
	Image         *Media          `json:"image,omitempty"`
	Video         *Media          `json:"video,omitempty"`
	Document      *Media          `json:"document,omitempty"`
	Currency      json.RawMessage `json:"currency,omitempty"`
	DateTime      json.RawMessage `json:"date_time,omitempty"`
}

// SendResponse is the answer to a send.
type SendResponse struct {
	MessagingProduct string            `json:"messaging_product"`
	Contacts         []ResponseContact `json:"contacts"`
	Messages         []ResponseMessage `json:"messages"`
}

// ResponseContact maps the input to the user's wa_id (a send by phone
// number) or user_id (a send by BSUID).
type ResponseContact struct {
	Input  string `json:"input"`
	WaID   string `json:"wa_id,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

// ResponseMessage carries the new message id; message_status is only present
// for template messages (accepted, held_for_quality_assessment or paused).
type ResponseMessage struct {
	ID            string `json:"id"`
	MessageStatus string `json:"message_status,omitempty"`
}

// maxBody bounds request bodies; Graph refuses far smaller payloads already.
const maxBody = 1 << 20

// ParseSendRequest decodes a messages request body. It is what the handler
// uses and what FuzzParseSendRequest exercises.
func ParseSendRequest(body []byte) (SendRequest, error) {
	var req SendRequest
	err := json.Unmarshal(body, &req)
	return req, err
}

func (e *Emulator) handleMessages(w http.ResponseWriter, r *http.Request, phoneID string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		e.writeErr(w, errInvalidParam("Unable to read request body"))
		return
	}
	req, err := ParseSendRequest(body)
	if err != nil {
		// Graph cannot see any parameter in an unparsable body.
		e.writeErr(w, errInvalidParam("The parameter messaging_product is required."))
		return
	}
	switch {
	case req.MessagingProduct == "":
		e.writeErr(w, errInvalidParam("The parameter messaging_product is required."))
		return
	case req.MessagingProduct != "whatsapp":
		e.writeErr(w, errInvalidParam(fmt.Sprintf("Param messaging_product must be one of {WHATSAPP} - got %q.", req.MessagingProduct)))
		return
	}
	if req.Status != "" || req.MessageID != "" {
		e.markRead(w, phoneID, req)
		return
	}
	resp, ae := e.send(phoneID, req)
	if ae != nil {
		e.writeErr(w, ae)
		return
	}
	writeJSON(w, http.StatusOK, resp)
	// The status webhooks follow the answer, as on the Cloud API.
	e.notifySent(phoneID, resp.Messages[0].ID)
}

// markRead answers {"success":true} and marks the message and every earlier
// inbound message of that user read, as Meta documents.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/mark-message-as-read/
func (e *Emulator) markRead(w http.ResponseWriter, phoneID string, req SendRequest) {
	if req.Status != "read" {
		e.writeErr(w, errParamValue(fmt.Sprintf("Param status must be one of {READ} - got %q.", req.Status)))
		return
	}
	if req.MessageID == "" {
		e.writeErr(w, errRequiredParam("The parameter message_id is required."))
		return
	}
	e.mu.Lock()
	var target *InboundMessage
	for _, m := range e.inbound[phoneID] {
		if m.ID == req.MessageID {
			target = m
			break
		}
	}
	// Messages can be marked read up to 30 days after receipt.
	if target == nil || e.now().Sub(target.Timestamp) > 30*24*time.Hour {
		e.mu.Unlock()
		e.writeErr(w, errParamValue("Invalid message_id: "+req.MessageID))
		return
	}
	for _, m := range e.inbound[phoneID] {
		if m.From == target.From && !m.Timestamp.After(target.Timestamp) {
			m.Read = true
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

var nonDigits = regexp.MustCompile(`[\s\-().]`)

// normalizeWaID turns "+1 (650) 555-1234" into "16505551234"; ok is false for
// anything that is not a phone number.
func normalizeWaID(to string) (string, bool) {
	s := nonDigits.ReplaceAllString(strings.TrimPrefix(strings.TrimSpace(to), "+"), "")
	if len(s) < 7 || len(s) > 15 {
		return "", false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return s, true
}

func (e *Emulator) send(phoneID string, req SendRequest) (SendResponse, *Error) {
	if req.RecipientType != "" && req.RecipientType != "individual" {
		return SendResponse{}, errInvalidParam(fmt.Sprintf("Param recipient_type must be one of {INDIVIDUAL} - got %q.", req.RecipientType))
	}
	input, waID, userID, ae := e.recipient(req)
	if ae != nil {
		return SendResponse{}, ae
	}
	msg := SentMessage{PhoneNumberID: phoneID, To: waID, ToUserID: userID, Type: req.Type}
	if req.Context != nil {
		msg.ReplyTo = req.Context.MessageID
	}
	var tpl *Template
	switch req.Type {
	case "", "text":
		msg.Type = "text"
		if req.Text == nil || req.Text.Body == "" {
			return SendResponse{}, errRequiredParam("The parameter text['body'] is required.")
		}
		if len([]rune(req.Text.Body)) > 4096 {
			return SendResponse{}, errParamValue("Param text['body'] must be at most 4096 characters long.")
		}
		msg.Text = req.Text.Body
	case "image", "video", "audio", "document":
		m := map[string]*Media{"image": req.Image, "video": req.Video, "audio": req.Audio, "document": req.Document}[req.Type]
		if m == nil || (m.Link == "" && m.ID == "") {
			return SendResponse{}, errRequiredParam(fmt.Sprintf("The parameter %s['link'] or %s['id'] is required.", req.Type, req.Type))
		}
		if m.Link != "" && !strings.HasPrefix(m.Link, "http://") && !strings.HasPrefix(m.Link, "https://") {
			return SendResponse{}, errParamValue(fmt.Sprintf("Param %s['link'] must be a valid URL", req.Type))
		}
		if m.ID != "" && !e.knownMedia(phoneID, m.ID) {
			// A media id this number never uploaded (or deleted).
			return SendResponse{}, errParamValue(fmt.Sprintf("Param %s['id'] is not a valid media id.", req.Type))
		}
		if req.Type == "audio" && m.Caption != "" {
			return SendResponse{}, errInvalidParam("Unexpected key \"caption\" on param \"audio\".")
		}
		mc := *m
		msg.Media = &mc
		msg.Text = m.Caption
	case "interactive":
		text, ae := checkInteractive(req.Interactive)
		if ae != nil {
			return SendResponse{}, ae
		}
		in := *req.Interactive
		msg.Text, msg.Interactive = text, &in
	case "template":
		if req.Template == nil || req.Template.Name == "" {
			return SendResponse{}, errRequiredParam("The parameter template['name'] is required.")
		}
		if req.Template.Language.Code == "" {
			return SendResponse{}, errRequiredParam("The parameter template['language']['code'] is required.")
		}
		var ae *Error
		tpl, msg.Template, ae = e.checkTemplate(phoneID, req.Template)
		if ae != nil {
			return SendResponse{}, ae
		}
		if userID != "" && strings.EqualFold(tpl.Category, "AUTHENTICATION") {
			return SendResponse{}, cloudErr(http.StatusBadRequest, CodeBSUIDUnsupported, "Business-scoped User ID recipients are not supported for this message",
				"Authentication templates must be sent to a phone number.")
		}
	default:
		return SendResponse{}, errInvalidParam(fmt.Sprintf("Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO} - got %q.", req.Type))
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	ps := e.pair(phoneID, waID)
	inWindow := !ps.lastInbound.IsZero() && now.Sub(ps.lastInbound) < e.opts.ServiceWindow
	// Free-form messages need an open customer service window; outside it
	// only (approved) templates may be sent. The 72 h entry point window does
	// not change this: it only waives charges.
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages
	if tpl == nil && !inWindow && e.opts.SyncFailures {
		return SendResponse{}, errReengagement()
	}
	if ae := e.takeThroughput(phoneID, now); ae != nil {
		return SendResponse{}, ae
	}
	if ae := e.takePair(ps, now); ae != nil {
		return SendResponse{}, ae
	}
	if e.undeliver[waID] && e.opts.SyncFailures {
		return SendResponse{}, errUndeliverable()
	}
	msg.ID = e.newWamid(waID)
	msg.SentAt = now
	resp := SendResponse{
		MessagingProduct: "whatsapp",
		Contacts:         []ResponseContact{{Input: input, WaID: waID}},
		Messages:         []ResponseMessage{{ID: msg.ID}},
	}
	if userID != "" {
		resp.Contacts[0] = ResponseContact{Input: input, UserID: userID}
	}
	if tpl != nil {
		resp.Messages[0].MessageStatus = "accepted"
	}
	if msg.Failure = e.deliveryFailure(e.user(waID), tpl, inWindow, now.Before(ps.entryPointTo)); msg.Failure != nil {
		// Accepted, then failed: not billed, no window opened.
		e.sent[phoneID] = append(e.sent[phoneID], msg)
		e.sends[phoneID] = append(e.sends[phoneID], now)
		return resp, nil
	}

	// The business answering, within the service window, a user who came from
	// an ad or a Page CTA opens the 72 h free entry point window.
	if ps.entryPointTo.IsZero() && !ps.referralAt.IsZero() && now.Sub(ps.referralAt) < e.opts.ServiceWindow {
		ps.entryPointTo = now.Add(e.opts.EntryPointWindow)
	}
	msg.Pricing = e.price(tpl, waID, inWindow, now.Before(ps.entryPointTo), now)
	e.sent[phoneID] = append(e.sent[phoneID], msg)
	e.sends[phoneID] = append(e.sends[phoneID], now)
	return resp, nil
}

// recipient reads who a send is for: `to` (a phone number) or, without it,
// `recipient` (a BSUID the emulator assigned). It answers the input as the
// response echoes it, the user's wa_id, and the BSUID when the send used one.
func (e *Emulator) recipient(req SendRequest) (input, waID, userID string, ae *Error) {
	if req.To != "" {
		waID, ok := normalizeWaID(req.To)
		if !ok {
			return "", "", "", errParamValue("Invalid parameter to: " + req.To)
		}
		return req.To, waID, "", nil
	}
	if req.Recipient == "" {
		return "", "", "", errRequiredParam("The parameter to is required.")
	}
	e.mu.Lock()
	u := e.byUserID[req.Recipient]
	e.mu.Unlock()
	if !isBSUID(req.Recipient) || u == nil {
		return "", "", "", errParamValue("Invalid parameter recipient: " + req.Recipient)
	}
	return req.Recipient, u.waID, u.userID, nil
}

// takeThroughput enforces the per-number messages-per-second ceiling over a
// sliding one-second window. Must be called with e.mu held.
func (e *Emulator) takeThroughput(phoneID string, now time.Time) *Error {
	limit := e.opts.Throughput
	if n := e.numbers[phoneID]; n != nil && n.Throughput > 0 {
		limit = n.Throughput
	}
	recent := e.sends[phoneID][:0]
	for _, t := range e.sends[phoneID] {
		if now.Sub(t) < time.Second {
			recent = append(recent, t)
		}
	}
	e.sends[phoneID] = recent
	if len(recent) >= limit {
		return errThroughput()
	}
	return nil
}

// takePair is a token bucket refilled at one message per PairInterval, with
// PairBurst tokens at most. Must be called with e.mu held.
func (e *Emulator) takePair(ps *pairState, now time.Time) *Error {
	if !ps.last.IsZero() && now.After(ps.last) {
		ps.tokens += float64(now.Sub(ps.last)) / float64(e.opts.PairInterval)
		ps.tokens = math.Min(ps.tokens, float64(e.opts.PairBurst))
	}
	if ps.last.IsZero() || now.After(ps.last) {
		ps.last = now
	}
	if ps.tokens < 1 {
		wait := time.Duration((1 - ps.tokens) * float64(e.opts.PairInterval))
		return errPairRate(int(math.Ceil(wait.Seconds())))
	}
	ps.tokens--
	return nil
}

// serviceChargesFrom is when Meta starts charging for service (non-template)
// messages and for utility templates sent inside an open customer service
// window, both free before; the free entry point window is unchanged.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
// ("Upcoming pricing updates for Meta Business Agent, service and utility
// messages", updated Jul 1, 2026).
var serviceChargesFrom = time.Date(2026, time.October, 1, 0, 0, 0, 0, time.UTC)

// price classifies a sent message under per-message pricing: non-template
// messages are "service"; service messages and utility templates are free in
// an open service window until serviceChargesFrom; every message in a free
// entry point window is free.
// https://developers.facebook.com/docs/whatsapp/pricing
// Must be called with e.mu held.
func (e *Emulator) price(tpl *Template, waID string, inWindow, inEntryPoint bool, now time.Time) Pricing {
	p := Pricing{PricingModel: "PMP", Type: "regular", Billable: true}
	freeInWindow := inWindow && now.Before(serviceChargesFrom)
	switch {
	case inEntryPoint:
		p.Category, p.Type, p.Billable = "referral_conversion", "free_entry_point", false
		return p
	case tpl == nil:
		p.Category = "service"
		if freeInWindow {
			p.Type, p.Billable = "free_customer_service", false
		}
		return p
	}
	p.Category = strings.ToLower(tpl.Category)
	switch p.Category {
	case "utility":
		if freeInWindow {
			p.Type, p.Billable = "free_customer_service", false
		}
	case "authentication":
		for _, pre := range e.opts.AuthInternationalPrefixes {
			if pre != "" && strings.HasPrefix(waID, pre) {
				p.Category = "authentication_international"
			}
		}
	}
	return p
}

var placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// placeholders lists the distinct {{n}} / {{name}} variables of a text, in
// order of first appearance.
func placeholders(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

var manySpaces = regexp.MustCompile(` {5,}`)

// checkTemplate looks the template up in the number's WABA and checks the
// request against it, answering Meta's 132xxx codes.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
func (e *Emulator) checkTemplate(phoneID string, tm *TemplateMessage) (*Template, *SentTemplate, *Error) {
	e.mu.Lock()
	var tpl *Template
	if n := e.numbers[phoneID]; n != nil {
		for _, t := range e.templates[n.WABAID] {
			if t.Name == tm.Name && t.Language == tm.Language.Code {
				c := *t
				tpl = &c
				break
			}
		}
	}
	e.mu.Unlock()
	if tpl == nil {
		return nil, nil, errTemplateMissing(tm.Name, tm.Language.Code)
	}
	switch tpl.Status {
	case "APPROVED":
	case "PAUSED":
		return nil, nil, errTemplatePaused()
	case "DISABLED":
		return nil, nil, errTemplateDisabled()
	default: // PENDING, REJECTED, …: not sendable, not found at send time
		return nil, nil, errTemplateMissing(tm.Name, tm.Language.Code)
	}

	given := map[string]TemplateComponent{}
	for _, c := range tm.Components {
		given[strings.ToLower(c.Type)] = c
		for _, p := range c.Parameters {
			if p.Type == "text" && (strings.ContainsAny(p.Text, "\n\t") || manySpaces.MatchString(p.Text)) {
				return nil, nil, errTemplateFormatChar()
			}
		}
	}
	sent := &SentTemplate{Name: tpl.Name, Language: tpl.Language, Category: tpl.Category, Components: tm.Components}
	for _, comp := range tpl.Components {
		typ := strings.ToLower(fmt.Sprint(comp["type"]))
		text, _ := comp["text"].(string)
		format, _ := comp["format"].(string)
		format = strings.ToUpper(format)
		switch {
		case typ == "header" && (format == "IMAGE" || format == "VIDEO" || format == "DOCUMENT"):
			// A media header needs exactly one parameter of its media type.
			got := "UNKNOWN"
			if c, ok := given["header"]; ok && len(c.Parameters) == 1 {
				p := c.Parameters[0]
				m := map[string]*Media{"image": p.Image, "video": p.Video, "document": p.Document}[p.Type]
				if m != nil && (m.Link != "" || m.ID != "") {
					got = strings.ToUpper(p.Type)
				}
			}
			if got != format {
				return nil, nil, errTemplateParamFormat(fmt.Sprintf("header: Format mismatch, expected %s, received %s", format, got))
			}
		case typ == "header" || typ == "body":
			vars := placeholders(text)
			params := given[typ].Parameters
			if len(params) != len(vars) {
				return nil, nil, errTemplateParamCount(typ, len(params), len(vars))
			}
			for _, p := range params {
				if p.Type != "text" && p.Type != "currency" && p.Type != "date_time" {
					return nil, nil, errTemplateParamFormat(fmt.Sprintf("%s: Format mismatch, expected TEXT, received %s", typ, strings.ToUpper(p.Type)))
				}
			}
			hydrated := hydrate(text, params, tpl.ParameterFormat == "NAMED")
			// Body text is capped at 1024 characters once filled in.
			if typ == "body" {
				if len([]rune(hydrated)) > 1024 {
					return nil, nil, errTemplateTooLong()
				}
				sent.Text = hydrated
			}
		}
	}
	return tpl, sent, nil
}

// hydrate substitutes parameters into a template text: positionally
// ({{1}}, {{2}}, …) or by parameter_name for NAMED templates.
func hydrate(text string, params []TemplateParameter, named bool) string {
	val := map[string]string{}
	for i, p := range params {
		if named {
			val[p.ParameterName] = p.Text
		} else {
			val[fmt.Sprint(i+1)] = p.Text
		}
	}
	return placeholderRE.ReplaceAllStringFunc(text, func(s string) string {
		if v, ok := val[placeholderRE.FindStringSubmatch(s)[1]]; ok {
			return v
		}
		return s
	})
}
