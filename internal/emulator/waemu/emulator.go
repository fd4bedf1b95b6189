// Package waemu is a faithful in-memory emulator of the WhatsApp Business
// Platform Cloud API (send, mark read, message templates) for tests and the sandbox.
//
// It speaks Meta's real paths, JSON shapes, paging and Graph error bodies, and
// enforces the messaging rules: the 24 h customer service window (131047),
// template existence/status (132xxx), the pair rate (131056), the per-number
// throughput ceiling (130429) and the access token (190). Each rule is cited
// beside its code.
package waemu

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/emulator/webhookpost"
)

// Options configures an Emulator. Zero values pick Meta's defaults.
type Options struct {
	// Latency delays every answer (honouring the request's context).
	Latency time.Duration
	// FailureRate is the fraction (0..1) of requests answered with the Graph
	// API's transient error (code 2, HTTP 503).
	FailureRate float64
	// Now is the clock; defaults to time.Now.
	Now func() time.Time
	// Rand drives ids, trace ids and failure injection; seed it for
	// reproducible output. Defaults to a time-seeded PCG.
	Rand *rand.Rand

	// Throughput is the messages-per-second ceiling per business number
	// (default 80; 130429 beyond it). A phone number may override it.
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput
	Throughput int
	// PairInterval is how often one business number may message the same
	// user (default 6 s; 131056 beyond it), and PairBurst how many messages
	// may be sent back to back before the interval applies (default 1).
	PairInterval time.Duration
	PairBurst    int
	// ServiceWindow is the customer service window (default 24 h) opened or
	// refreshed by each message of the user.
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages
	ServiceWindow time.Duration
	// EntryPointWindow is the free entry point window (default 72 h) opened
	// when the business answers, within the service window, a user who came
	// from a Click-to-WhatsApp ad or a Page CTA (inbound with a referral).
	// It is a pricing matter only: free-form rules stay those of the service
	// window. https://developers.facebook.com/docs/whatsapp/pricing
	EntryPointWindow time.Duration
	// AuthInternationalPrefixes lists recipient country calling codes (e.g.
	// "91", "62") for which authentication templates are priced as
	// "authentication_international".
	AuthInternationalPrefixes []string
}

// Emulator is the in-memory Cloud API. It is an http.Handler; create it with
// New. Safe for concurrent use.
type Emulator struct {
	opts Options
	now  func() time.Time

	mu        sync.Mutex
	rnd       *rand.Rand
	numbers   map[string]*phoneNumber      // by phone-number id
	tokens    map[string]map[string]bool   // token → object ids it may use
	expired   map[string]bool              // tokens answered with 190/463
	templates map[string][]*Template       // by WABA id, in creation order
	pairs     map[string]*pairState        // by phone-number id + "|" + wa_id
	sends     map[string][]time.Time       // by phone-number id: recent send times
	sent      map[string][]SentMessage     // by phone-number id, in send order
	inbound   map[string][]*InboundMessage // by phone-number id, in arrival order
	undeliver map[string]bool              // wa_ids that are not on WhatsApp
	tplSeq    int
	hook      *webhookpost.Target // where webhooks go; nil for none
	pending   hooks               // asynchronous status deliveries
}

// PhoneNumber is a business phone number registered on the Cloud API.
type PhoneNumber struct {
	// ID is the phone-number id used in paths.
	ID string
	// DisplayPhoneNumber is the number as shown to users (webhook metadata).
	DisplayPhoneNumber string
	// VerifiedName is the business display name Meta approved for the
	// number; "Test Number" when empty, as Meta names its test numbers.
	VerifiedName string
	// WABAID is the WhatsApp Business Account owning the number; its
	// templates are the ones this number may send.
	WABAID string
	// Token is an access token allowed to act for the number and its WABA.
	Token string
	// Throughput overrides Options.Throughput for this number when > 0.
	Throughput int
}

type phoneNumber struct {
	PhoneNumber
}

// Template is a message template of a WhatsApp Business Account, with the
// fields GET /{waba-id}/message_templates returns.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management/
type Template struct {
	ID       string
	Name     string
	Language string
	// Status is APPROVED, PENDING, REJECTED, PAUSED or DISABLED (among
	// Meta's enum). https://developers.facebook.com/docs/graph-api/reference/whats-app-business-hsm/
	Status string
	// Category is MARKETING, UTILITY or AUTHENTICATION.
	Category string
	// ParameterFormat is POSITIONAL (default) or NAMED.
	ParameterFormat string
	// Components as Meta stores them: {"type":"BODY","text":"Hi {{1}}"},
	// {"type":"HEADER","format":"IMAGE"}, …
	Components []map[string]any
}

// Referral is the Click-to-WhatsApp ad / Page CTA context of an inbound
// message (webhook messages[].referral).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text/
type Referral struct {
	SourceURL  string `json:"source_url"`
	SourceID   string `json:"source_id"`
	SourceType string `json:"source_type"` // "ad" or "post"
	Headline   string `json:"headline,omitempty"`
	Body       string `json:"body,omitempty"`
	MediaType  string `json:"media_type,omitempty"`
	ImageURL   string `json:"image_url,omitempty"`
	CtwaClid   string `json:"ctwa_clid,omitempty"`
}

// InboundMessage is a message a customer wrote to the business.
type InboundMessage struct {
	ID            string
	PhoneNumberID string
	From          string // the customer's wa_id
	Name          string // the customer's profile name
	Text          string
	Timestamp     time.Time
	Referral      *Referral
	// Read is set once the business marked this message (or a later one) read.
	Read bool
}

// Pricing is the pricing object Meta attaches to a sent message's status
// webhooks (per-message pricing): category marketing, utility,
// authentication, authentication_international, service or
// referral_conversion; type regular, free_customer_service or
// free_entry_point. https://developers.facebook.com/docs/whatsapp/pricing
type Pricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Category     string `json:"category"`
	Type         string `json:"type"`
}

// Media is the media object of an image, video, audio or document message.
type Media struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// SentTemplate is the template part of a sent message as the business sent it.
type SentTemplate struct {
	Name       string
	Language   string
	Category   string
	Components []TemplateComponent
	// Text is the BODY with its parameters substituted.
	Text string
}

// SentMessage is what the business sent, as recorded by the emulator.
type SentMessage struct {
	ID            string
	PhoneNumberID string
	To            string // wa_id
	Type          string // text, image, video, audio, document, template
	Text          string // text body, or media caption
	Media         *Media
	Template      *SentTemplate
	ReplyTo       string // context.message_id, if any
	SentAt        time.Time
	Pricing       Pricing
}

// pairState is a token bucket per (business number, user) and the user's
// conversation timers.
type pairState struct {
	tokens       float64
	last         time.Time
	lastInbound  time.Time
	referralAt   time.Time // last inbound that carried a referral
	entryPointTo time.Time // end of the free entry point window, zero if none
}

var versionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// New returns an emulator with no phone numbers; seed it with AddPhoneNumber.
func New(opts Options) *Emulator {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		seed := uint64(time.Now().UnixNano())
		opts.Rand = rand.New(rand.NewPCG(seed, seed>>1|1))
	}
	if opts.Throughput <= 0 {
		opts.Throughput = 80
	}
	if opts.PairInterval <= 0 {
		opts.PairInterval = 6 * time.Second
	}
	if opts.PairBurst <= 0 {
		opts.PairBurst = 1
	}
	if opts.ServiceWindow <= 0 {
		opts.ServiceWindow = 24 * time.Hour
	}
	if opts.EntryPointWindow <= 0 {
		opts.EntryPointWindow = 72 * time.Hour
	}
	return &Emulator{
		opts:      opts,
		now:       opts.Now,
		rnd:       opts.Rand,
		numbers:   map[string]*phoneNumber{},
		tokens:    map[string]map[string]bool{},
		expired:   map[string]bool{},
		templates: map[string][]*Template{},
		pairs:     map[string]*pairState{},
		sends:     map[string][]time.Time{},
		sent:      map[string][]SentMessage{},
		inbound:   map[string][]*InboundMessage{},
		undeliver: map[string]bool{},
	}
}

// ServeHTTP answers the Cloud API paths:
//
//	POST /{version}/{phone-number-id}/messages   send, or mark read
//	GET  /{version}/{waba-id}/message_templates  list templates
//	GET  /{version}/{phone-number-id}            the number's details
//	GET  /{version}/{waba-id}/phone_numbers      the WABA's numbers
//
// The version segment is optional, as on graph.facebook.com.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Read the body first: only then does net/http watch the connection and
	// cancel r.Context() when the client gives up during Latency.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		e.writeErr(w, errInvalidParam("Unable to read request body"))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if e.opts.Latency > 0 {
		t := time.NewTimer(e.opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if e.opts.FailureRate > 0 && e.chance(e.opts.FailureRate) {
		e.writeErr(w, errTransient())
		return
	}

	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) > 0 && versionRE.MatchString(segs[0]) {
		segs = segs[1:]
	}
	token := accessToken(r)
	method := strings.ToLower(r.Method)
	if len(segs) == 1 && segs[0] != "" {
		// A node read: GET /{phone-number-id}.
		id := segs[0]
		if err := e.authErr(token, id, method); err != nil {
			e.writeErr(w, err)
			return
		}
		if r.Method == http.MethodGet && e.isNumber(id) {
			e.handleNumber(w, r, id)
			return
		}
		e.writeErr(w, errUnsupported(method, id))
		return
	}
	if len(segs) != 2 || segs[0] == "" {
		if err := e.authErr(token, "", method); err != nil {
			e.writeErr(w, err)
			return
		}
		e.writeErr(w, errUnknownPath(strings.Join(segs, "/")))
		return
	}
	id, edge := segs[0], segs[1]
	if err := e.authErr(token, id, method); err != nil {
		e.writeErr(w, err)
		return
	}
	switch {
	case edge == "messages" && r.Method == http.MethodPost && e.isNumber(id):
		e.handleMessages(w, r, id)
	case edge == "message_templates" && r.Method == http.MethodGet && e.isWABA(id):
		e.handleTemplates(w, r, id)
	case edge == "phone_numbers" && r.Method == http.MethodGet && e.isWABA(id):
		e.handlePhoneNumbers(w, r, id)
	case e.isNumber(id) || e.isWABA(id):
		if edge == "messages" || edge == "message_templates" || edge == "phone_numbers" {
			e.writeErr(w, errUnsupported(method, id))
			return
		}
		e.writeErr(w, errUnknownPath(edge))
	default:
		e.writeErr(w, errUnsupported(method, id))
	}
}

// accessToken reads the token as Graph does: a Bearer header or the
// access_token parameter.
func accessToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
			return strings.TrimSpace(h[7:])
		}
		return ""
	}
	return r.URL.Query().Get("access_token")
}

// authErr checks the token and that it may see object id ("" for any).
func (e *Emulator) authErr(token, id, method string) *apiError {
	e.mu.Lock()
	defer e.mu.Unlock()
	if token == "" {
		return errInvalidToken()
	}
	if e.expired[token] {
		return errExpiredToken()
	}
	objs, ok := e.tokens[token]
	if !ok {
		return errInvalidToken()
	}
	if id != "" && !objs[id] {
		// A valid token that may not see the object gets the same answer
		// as a missing object: no existence oracle.
		return errUnsupported(method, id)
	}
	return nil
}

func (e *Emulator) isNumber(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.numbers[id]
	return ok
}

func (e *Emulator) isWABA(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, n := range e.numbers {
		if n.WABAID == id {
			return true
		}
	}
	_, ok := e.templates[id]
	return ok
}

func (e *Emulator) chance(p float64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rnd.Float64() < p
}

// traceID draws an fbtrace_id-looking string.
func (e *Emulator) traceID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.randString(23)
}

const traceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// randString must be called with e.mu held.
func (e *Emulator) randString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = traceAlphabet[e.rnd.IntN(len(traceAlphabet))]
	}
	return string(b)
}

// newWamid returns a "wamid.…" id: base64 of the user's number and random
// bytes, like Meta's. Must be called with e.mu held.
func (e *Emulator) newWamid(waID string) string {
	raw := make([]byte, 0, 40)
	raw = append(raw, 0x1c, 0x18, byte(len(waID)))
	raw = append(raw, waID...)
	raw = append(raw, 0x15, 0x02, 0x00, 0x11, 0x18, 0x12)
	for range 18 {
		raw = append(raw, "0123456789ABCDEF"[e.rnd.IntN(16)])
	}
	raw = append(raw, 0x00)
	return "wamid." + base64.StdEncoding.EncodeToString(raw)
}

func (e *Emulator) writeErr(w http.ResponseWriter, ae *apiError) {
	body := ae.body
	body.FBTraceID = e.traceID()
	writeJSON(w, ae.status, ErrorBody{Error: body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
