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

	"github.com/parleyhq/parley/internal/emulator/emukit"
	"github.com/parleyhq/parley/internal/emulator/metaoauth"
	hooksig "github.com/parleyhq/parley/internal/webhook/inbound"
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
	// reproducible output (a *rand.Rand is a Source too). Defaults to a
	// time-seeded PCG.
	Rand rand.Source

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
	// SyncFailures answers 131047 (re-engagement) and 131026
	// (undeliverable) at send time, as Meta sometimes does, instead of
	// accepting the send and reporting the failure in a status webhook
	// (failures.go).
	SyncFailures bool
}

// Emulator is the in-memory Cloud API. It is an http.Handler; create it with
// New. Safe for concurrent use.
type Emulator struct {
	opts Options
	now  func() time.Time
	kit  *emukit.Kit[Error, string] // routes, auth, latency, faults, clock, webhook

	mu        sync.Mutex
	numbers   map[string]*phoneNumber      // by phone-number id
	tokens    map[string]map[string]bool   // token → object ids it may use
	expired   map[string]bool              // tokens answered with 190/463
	templates map[string][]*Template       // by WABA id, in creation order
	pairs     map[string]*pairState        // by phone-number id + "|" + wa_id
	sends     map[string][]time.Time       // by phone-number id: recent send times
	sent      map[string][]SentMessage     // by phone-number id, in send order
	media     map[string]*UploadedMedia    // by media id (POST /{phone-number-id}/media)
	inbound   map[string][]*InboundMessage // by phone-number id, in arrival order
	undeliver map[string]bool              // wa_ids that are not on WhatsApp
	users     map[string]*waUser           // by wa_id: BSUID, username, delivery traits
	byUserID  map[string]*waUser           // by BSUID
	tplSeq    int
	pending   hooks // asynchronous status deliveries

	oauth      *metaoauth.Server
	subscribed map[string]bool // WABA ids the app subscribed to
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
	// UserID is the customer's business-scoped user id and Username their
	// username; PhoneWithheld says the webhook leaves From out (users.go).
	UserID        string
	Username      string
	PhoneWithheld bool
	Text          string
	Timestamp     time.Time
	Referral      *Referral
	// Reply is the reply button, list row or template button the customer
	// tapped, if any (Text is then its title); Context the wamid of the
	// message they answered (rich.go).
	Reply   *InboundReply
	Context string
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
	// ToUserID is the BSUID when the send named the user by it
	// (`recipient`) rather than by phone number.
	ToUserID string
	Type     string // text, image, video, audio, document, template
	Text     string // text body, or media caption
	Media    *Media
	Template *SentTemplate
	ReplyTo  string // context.message_id, if any
	// Interactive is the reply buttons, list or cta_url of a type
	// "interactive" message (rich.go); Text is then its body.
	Interactive *Interactive
	SentAt      time.Time
	Pricing     Pricing
	// Failure is set when the send was accepted but fails at delivery: its
	// status webhook is "failed" with this error instead of sent/delivered.
	Failure *Failure
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
	e := &Emulator{
		numbers:   map[string]*phoneNumber{},
		tokens:    map[string]map[string]bool{},
		expired:   map[string]bool{},
		templates: map[string][]*Template{},
		pairs:     map[string]*pairState{},
		sends:     map[string][]time.Time{},
		sent:      map[string][]SentMessage{},
		media:     map[string]*UploadedMedia{},
		inbound:   map[string][]*InboundMessage{},
		undeliver: map[string]bool{},
		users:     map[string]*waUser{},
		byUserID:  map[string]*waUser{},

		subscribed: map[string]bool{},
	}
	e.kit = emukit.New(emukit.Config[Error, string]{
		Latency:     opts.Latency,
		FailureRate: opts.FailureRate,
		Now:         opts.Now,
		Rand:        opts.Rand,
		MaxBody:     maxBody,
		RoutePath:   routePath,
		Auth:        e.gate,
		Transient:   TransientError,
		Render:      func(w http.ResponseWriter, _ *http.Request, _ string, f Error) { e.writeErr(w, &f) },
		NotFound:    e.noRoute,
		// Meta signs X-Hub-Signature-256 over the body as sent and posts as
		// "facebookexternalua"
		// (https://developers.facebook.com/docs/graph-api/webhooks/getting-started,
		// "Validating Payloads").
		Webhook: emukit.Webhook{Header: hooksig.HeaderMetaSignature, Sign: SignWebhook, UserAgent: "facebookexternalua", Err: ErrWebhook, Timeout: WebhookTimeout},
	})
	opts.Now = e.kit.Now
	e.opts, e.now = opts, opts.Now
	e.oauth = metaoauth.New(metaoauth.Config{Now: e.kit.Now, OnGrant: e.onGrant})
	e.routes()
	e.oauthRoutes()
	return e
}

// routes is the Cloud API's route table:
//
//	POST /{version}/{phone-number-id}/messages   send, or mark read
//	GET  /{version}/{waba-id}/message_templates  list templates
//	GET  /{version}/{phone-number-id}            the number's details
//	GET  /{version}/{waba-id}/phone_numbers      the WABA's numbers
//	POST /{version}/{phone-number-id}/media      upload media
//	GET, DELETE /{version}/{media-id}            retrieve or delete it
//
// The version segment is optional, as on graph.facebook.com (routePath).
func (e *Emulator) routes() {
	e.kit.Handle("POST /{id}/messages", e.onNumber(e.handleMessages))
	e.kit.Handle("GET /{id}/message_templates", e.onWABA(e.handleTemplates))
	e.kit.Handle("GET /{id}/phone_numbers", e.onWABA(e.handlePhoneNumbers))
	e.kit.Handle("POST /{id}/media", e.onNumber(e.handleMediaUpload))
	e.kit.Handle("GET /{id}", e.onMedia(e.handleMediaGet, e.onNumber(e.handleNumber)))
	e.kit.Handle("DELETE /{id}", e.onMedia(e.handleMediaDelete, e.onNumber(e.handleNumber)))
}

// ServeHTTP answers the Cloud API paths (see routes).
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.kit.ServeHTTP(w, r) }

// FailNext queues errors: the next len(errs) authenticated requests are
// answered with them, in order.
func (e *Emulator) FailNext(errs ...Error) { e.kit.FailNext(errs...) }

// onNumber serves a route of a phone number the token may use; anything
// else gets Graph's answer for the object (noRoute).
func (e *Emulator) onNumber(h func(http.ResponseWriter, *http.Request, string)) emukit.Handler[string] {
	return func(w http.ResponseWriter, r *http.Request, token string) {
		if id := r.PathValue("id"); e.visible(token, id) && e.isNumber(id) {
			h(w, r, id)
			return
		}
		e.noRoute(w, r, token)
	}
}

// onWABA serves a route of a WhatsApp Business Account the token may use.
func (e *Emulator) onWABA(h func(http.ResponseWriter, *http.Request, string)) emukit.Handler[string] {
	return func(w http.ResponseWriter, r *http.Request, token string) {
		if id := r.PathValue("id"); e.visible(token, id) && e.isWABA(id) {
			h(w, r, id)
			return
		}
		e.noRoute(w, r, token)
	}
}

// noRoute answers as Graph does for what no route serves: an object the
// token may not see, or that has no such edge or method, is "Unsupported
// … request" (code 100, subcode 33: no existence oracle); an unknown edge
// of a known object, or a path of another shape, is code 2500.
func (e *Emulator) noRoute(w http.ResponseWriter, r *http.Request, token string) {
	segs := segments(r.URL.Path)
	method := strings.ToLower(r.Method)
	switch {
	case len(segs) == 1 && segs[0] != "":
		e.writeErr(w, errUnsupported(method, segs[0]))
	case len(segs) == 2:
		id, edge := segs[0], segs[1]
		known := edge == "messages" || edge == "message_templates" || edge == "phone_numbers" || edge == "subscribed_apps"
		if e.visible(token, id) && (e.isNumber(id) || e.isWABA(id)) && !known {
			e.writeErr(w, errUnknownPath(edge))
			return
		}
		e.writeErr(w, errUnsupported(method, id))
	default:
		e.writeErr(w, errUnknownPath(strings.Join(segs, "/")))
	}
}

// segments splits a path as Graph reads it: decoded, outer slashes
// dropped, and without the optional version segment.
func segments(path string) []string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) > 0 && versionRE.MatchString(segs[0]) {
		segs = segs[1:]
	}
	return segs
}

// routePath routes /v23.0/{id}/… as /{id}/….
func routePath(r *http.Request) string { return "/" + strings.Join(segments(r.URL.Path), "/") }

// gate reads the body (bounded) and checks the access token; which objects
// the token may use is each route's check.
func (e *Emulator) gate(_ http.ResponseWriter, r *http.Request) (string, Error, bool) {
	limit := int64(maxBody)
	if r.Method == http.MethodPost && strings.HasSuffix(routePath(r), "/media") {
		limit = maxUpload // a media upload: up to a 100 MB document
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit))
	if err != nil {
		return "", *errInvalidParam("Unable to read request body"), false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	token := accessToken(r)
	if err := e.dead(token); err != nil {
		return "", *err, false
	}
	if err := e.authErr(token, "", ""); err != nil {
		return "", *err, false
	}
	return token, Error{}, true
}

// visible reports whether token may use object id.
func (e *Emulator) visible(token, id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tokens[token][id]
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
func (e *Emulator) authErr(token, id, method string) *Error {
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
		b[i] = traceAlphabet[e.kit.Rand().IntN(len(traceAlphabet))]
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
		raw = append(raw, "0123456789ABCDEF"[e.kit.Rand().IntN(16)])
	}
	raw = append(raw, 0x00)
	return "wamid." + base64.StdEncoding.EncodeToString(raw)
}

func (e *Emulator) writeErr(w http.ResponseWriter, ae *Error) {
	body := ae.Body
	body.FBTraceID = e.traceID()
	writeJSON(w, ae.Status, ErrorBody{Error: body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
