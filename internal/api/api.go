// Package api is the REST transport: routes, middleware, JSON envelopes and
// the OpenAPI document, all generated from one route table so the document
// cannot drift from the handlers.
//
// Each operation is declared once (op or list in ops.go): its Route and a
// plain handler that calls the domain layer (package service) with what the
// shared wrapper decoded. No business rule, status or decoding lives in a
// handler.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"reflect"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parleyhq/parley/internal/connect"
	"github.com/parleyhq/parley/internal/plans"
	"github.com/parleyhq/parley/internal/service"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// Config builds the HTTP handler.
type Config struct {
	Service *service.Service
	Logger  *slog.Logger
	// Registry receives Parley's metrics; nil makes a private one.
	Registry *prometheus.Registry
	// Version is reported by /healthz.
	Version string
	// MCP, when set, is served at /mcp (it authenticates on its own).
	MCP http.Handler
	// MCPAuth, when set, mounts the MCP authorization server's metadata
	// and endpoints (package mcpauth).
	MCPAuth interface{ Register(mux *http.ServeMux) }
	// Inbound, when set, serves the platforms' webhooks under /webhooks/.
	Inbound http.Handler
	// Connect, when set, serves connect sessions, the hosted connect page
	// and the OAuth callbacks.
	Connect *connect.Connect
	// Plans, when set, serves GET /v1/usage and the operator API.
	Plans *plans.Plans
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed when keying limits on the client's address (see clientAddr).
	TrustedProxies []netip.Prefix
	// Draining, when set and true, makes /readyz answer 503: the process
	// is shutting down and a load balancer should send nothing more.
	Draining func() bool
	// Collectors are more metrics for /metrics (the job queue's health).
	Collectors []prometheus.Collector
}

// API holds the handler's dependencies.
type API struct {
	svc      *service.Service
	log      *slog.Logger
	reg      *prometheus.Registry
	version  string
	routes   []Route
	inbound  http.Handler
	connect  *connect.Connect
	plans    *plans.Plans
	mux      *http.ServeMux
	metrics  *metrics
	openapi  []byte
	trusted  []netip.Prefix
	draining func() bool
}

// Param documents a query parameter.
type Param struct {
	Name        string
	Description string
	// Type is "string", "integer" or "boolean".
	Type string
	// Min and Max bound an integer parameter, when Max > 0.
	Min, Max int
}

// Route is one operation: how it is served and how it is documented.
type Route struct {
	Method      string
	Path        string
	OperationID string
	Summary     string
	Tag         string
	// Public routes need no API key.
	Public bool
	// Operator routes take the operator token instead of an API key.
	Operator bool
	// Query are the only query parameters the operation accepts.
	Query []Param
	// Headers are the request headers the operation reads.
	Headers []Header
	// Body is the request body type, nil for none; op and list set it
	// from the handler's In.
	Body reflect.Type
	// Form documents a multipart/form-data body (an upload) instead of
	// JSON; the handler reads it with params.upload.
	Form []FormField
	// Data is the type inside the `data` envelope; nil means no body (204)
	// or a non-JSON body (Raw). op and list set it from the handler's Out.
	Data reflect.Type
	// List wraps Data in the list envelope (set by list).
	List bool
	// Whole says Data is the whole body, an envelope of its own with data
	// and more beside it (set by whole).
	Whole bool
	// Raw is the content type of a non-envelope response (metrics, openapi).
	Raw string
	// Status is the success status, the only one the wrapper answers
	// when the handler succeeds.
	Status int
	// Errors lists the error statuses the service can answer; the
	// wrapper's own are added by statuses.
	Errors []int
	// Handler serves the operation; op, list and raw set it.
	Handler http.HandlerFunc
}

// New returns the HTTP handler serving the whole API.
func New(cfg Config) (http.Handler, *API, error) {
	a := &API{svc: cfg.Service, log: cfg.Logger, reg: cfg.Registry, version: cfg.Version, mux: http.NewServeMux(), inbound: cfg.Inbound, connect: cfg.Connect,
		plans: cfg.Plans, trusted: cfg.TrustedProxies, draining: cfg.Draining}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.reg == nil {
		a.reg = prometheus.NewRegistry()
		a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	a.metrics = newMetrics(a.reg)
	for _, c := range cfg.Collectors {
		if err := a.reg.Register(c); err != nil {
			return nil, nil, err
		}
	}
	a.routes = a.routeTable()
	for _, rt := range a.routes {
		h := rt.Handler
		switch {
		case rt.Operator:
			h = a.authenticateOperator(h)
		case !rt.Public:
			h = a.authenticate(h)
		}
		a.mux.Handle(rt.Method+" "+rt.Path, h)
	}
	if cfg.MCPAuth != nil {
		cfg.MCPAuth.Register(a.mux)
	}
	if cfg.MCP != nil {
		// Every method: the MCP SDK answers GET and DELETE itself.
		a.mux.Handle("/mcp", cfg.MCP)
	}
	a.mux.HandleFunc("/", a.notFound)
	doc, err := a.buildOpenAPI()
	if err != nil {
		return nil, nil, err
	}
	a.openapi = doc
	return a.middleware(a.mux), a, nil
}

// Routes returns the route table (for tests and the OpenAPI document).
func (a *API) Routes() []Route { return a.routes }

// Page sizes: lists across accounts and management lists take up to 100,
// a conversation's history up to 200 (DESIGN §1).
const (
	maxPage        = 100
	maxHistoryPage = 200
)

// pageOf documents a list's limit and cursor; pageRequest enforces them.
func pageOf(max int) []Param {
	return []Param{
		{Name: "limit", Type: "integer", Min: 1, Max: max, Description: "page size, 1-" + strconv.Itoa(max) + ", default 25"},
		{Name: "cursor", Type: "string", Description: "pagination.next_cursor of the previous page of this list, unchanged"},
	}
}

var pageParams = pageOf(maxPage)

func (a *API) routeTable() []Route {
	std := []int{http.StatusUnauthorized, http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusInternalServerError}
	withNotFound := append([]int{http.StatusNotFound}, std...)
	inbox := append([]int{http.StatusNotFound, http.StatusConflict, http.StatusNotImplemented, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout}, std...)
	send := append([]int{http.StatusGone}, inbox...)
	routes := []Route{
		op(a, Route{Method: "GET", Path: "/healthz", OperationID: "health", Summary: "Liveness: the process serves HTTP", Tag: "operations",
			Public: true, Status: 200}, a.healthz),
		op(a, Route{Method: "GET", Path: "/readyz", OperationID: "ready", Summary: "Readiness: the database answers", Tag: "operations",
			Public: true, Status: 200, Errors: []int{http.StatusServiceUnavailable}}, a.readyz),
		raw(Route{Method: "GET", Path: "/metrics", OperationID: "metrics", Summary: "Prometheus metrics", Tag: "operations",
			Public: true, Raw: "text/plain", Status: 200}, promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}).ServeHTTP),
		raw(Route{Method: "GET", Path: "/openapi.json", OperationID: "openapi", Summary: "This OpenAPI 3.1 document", Tag: "operations",
			Public: true, Raw: "application/json", Status: 200}, a.serveOpenAPI),

		list(a, Route{Method: "GET", Path: "/v1/brands", OperationID: "listBrands", Summary: "List brands", Tag: "brands",
			Query: pageParams, Status: 200, Errors: std}, a.listBrands),
		op(a, Route{Method: "POST", Path: "/v1/brands", OperationID: "createBrand", Summary: "Create a brand", Tag: "brands",
			Status: 201, Errors: std}, a.createBrand),
		op(a, Route{Method: "GET", Path: "/v1/brands/{id}", OperationID: "getBrand", Summary: "Get a brand", Tag: "brands",
			Status: 200, Errors: withNotFound}, a.getBrand),
		op(a, Route{Method: "PATCH", Path: "/v1/brands/{id}", OperationID: "updateBrand", Summary: "Rename a brand", Tag: "brands",
			Status: 200, Errors: withNotFound}, a.updateBrand),
		op(a, Route{Method: "DELETE", Path: "/v1/brands/{id}", OperationID: "deleteBrand", Summary: "Delete a brand with no accounts", Tag: "brands",
			Status: 204, Errors: append([]int{http.StatusConflict}, withNotFound...)}, a.deleteBrand),

		list(a, Route{Method: "GET", Path: "/v1/accounts", OperationID: "listAccounts", Summary: "List connected accounts", Tag: "accounts",
			Query:  append([]Param{{Name: "brand_id", Type: "string"}, {Name: "platform", Type: "string", Description: "facebook is accepted for messenger"}, {Name: "status", Type: "string"}}, pageParams...),
			Status: 200, Errors: std}, a.listAccounts),
		op(a, Route{Method: "POST", Path: "/v1/accounts", OperationID: "createAccount", Summary: "Connect an account with a platform access token the platform confirms grants it", Tag: "accounts",
			Status: 201,
			Errors: append([]int{http.StatusConflict, http.StatusNotImplemented, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}, std...)}, a.createAccount),
		op(a, Route{Method: "GET", Path: "/v1/accounts/{id}", OperationID: "getAccount", Summary: "Get an account", Tag: "accounts",
			Status: 200, Errors: withNotFound}, a.getAccount),
		op(a, Route{Method: "PATCH", Path: "/v1/accounts/{id}", OperationID: "updateAccount", Summary: "Update an account; a new access_token, once the platform confirms it, reconnects it", Tag: "accounts",
			Status: 200,
			Errors: append([]int{http.StatusConflict, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}, withNotFound...)}, a.updateAccount),
		op(a, Route{Method: "DELETE", Path: "/v1/accounts/{id}", OperationID: "deleteAccount", Summary: "Disconnect an account and destroy its token", Tag: "accounts",
			Status: 204, Errors: withNotFound}, a.deleteAccount),

		list(a, Route{Method: "GET", Path: "/v1/accounts/{id}/usage", OperationID: "getWhatsAppUsage", Summary: "WhatsApp messages counted by month, pricing category and free/paid", Tag: "accounts",
			Query:  append([]Param{{Name: "month", Type: "string", Description: "YYYY-MM; all months when absent"}}, pageParams...),
			Status: 200, Errors: withNotFound}, a.usage),
		list(a, Route{Method: "GET", Path: "/v1/accounts/{id}/templates", OperationID: "listWhatsAppTemplates", Summary: "A WhatsApp number's message templates (cached; refresh=true asks Meta again)", Tag: "accounts",
			Query:  append([]Param{{Name: "refresh", Type: "boolean", Description: "bypass the cache"}}, pageParams...),
			Status: 200, Errors: inbox}, a.templates),
		list(a, Route{Method: "GET", Path: "/v1/platforms", OperationID: "listPlatforms", Summary: "Capability matrix: what each platform allows", Tag: "platforms",
			Query: pageParams, Status: 200, Errors: std}, a.platforms),

		list(a, Route{Method: "GET", Path: "/v1/webhooks", OperationID: "listWebhooks", Summary: "List webhook endpoints", Tag: "webhooks",
			Query: pageParams, Status: 200, Errors: std}, a.listWebhooks),
		op(a, Route{Method: "POST", Path: "/v1/webhooks", OperationID: "createWebhook", Summary: "Create an endpoint; its whsec_ secret is in this response only", Tag: "webhooks",
			Status: 201, Errors: std}, a.createWebhook),
		op(a, Route{Method: "GET", Path: "/v1/webhooks/{id}", OperationID: "getWebhook", Summary: "Get an endpoint", Tag: "webhooks",
			Status: 200, Errors: withNotFound}, a.getWebhook),
		op(a, Route{Method: "PATCH", Path: "/v1/webhooks/{id}", OperationID: "updateWebhook", Summary: "Change an endpoint's url, events, description or enabled state", Tag: "webhooks",
			Status: 200, Errors: withNotFound}, a.updateWebhook),
		op(a, Route{Method: "DELETE", Path: "/v1/webhooks/{id}", OperationID: "deleteWebhook", Summary: "Delete an endpoint", Tag: "webhooks",
			Status: 204, Errors: withNotFound}, a.deleteWebhook),
		op(a, Route{Method: "POST", Path: "/v1/webhooks/{id}/rotate-secret", OperationID: "rotateWebhookSecret", Summary: "New secret; the old one keeps signing for 24 h", Tag: "webhooks",
			Status: 200, Errors: withNotFound}, a.rotateWebhook),
		op(a, Route{Method: "POST", Path: "/v1/webhooks/{id}/test", OperationID: "testWebhook", Summary: "Send a webhook.test event to this endpoint", Tag: "webhooks",
			Status: 202, Errors: withNotFound}, a.testWebhook),
		list(a, Route{Method: "GET", Path: "/v1/webhooks/{id}/attempts", OperationID: "listWebhookAttempts", Summary: "Delivery attempts to this endpoint", Tag: "webhooks",
			Query: pageParams, Status: 200, Errors: withNotFound}, a.endpointAttempts),
		list(a, Route{Method: "GET", Path: "/v1/events", OperationID: "listEvents", Summary: "Events, oldest first", Tag: "webhooks",
			Query: pageParams, Status: 200, Errors: std}, a.listEvents),
		op(a, Route{Method: "GET", Path: "/v1/events/{id}", OperationID: "getEvent", Summary: "One event as delivered", Tag: "webhooks",
			Status: 200, Errors: withNotFound}, a.getEvent),
		list(a, Route{Method: "GET", Path: "/v1/events/{id}/attempts", OperationID: "listEventAttempts", Summary: "Delivery attempts of this event", Tag: "webhooks",
			Query: pageParams, Status: 200, Errors: withNotFound}, a.eventAttempts),
		op(a, Route{Method: "POST", Path: "/v1/events/{id}/replay", OperationID: "replayEvent", Summary: "Deliver an event again, with its original webhook-id", Tag: "webhooks",
			Query:  []Param{{Name: "endpoint_id", Type: "string", Description: "replay to this endpoint only"}},
			Status: 202, Errors: append([]int{http.StatusConflict}, withNotFound...)}, a.replayEvent),

		list(a, Route{Method: "GET", Path: "/v1/api-keys", OperationID: "listApiKeys", Summary: "List API keys (never their secrets)", Tag: "api-keys",
			Query: pageParams, Status: 200, Errors: std}, a.listAPIKeys),
		op(a, Route{Method: "POST", Path: "/v1/api-keys", OperationID: "createApiKey", Summary: "Create an API key; the secret is in this response only", Tag: "api-keys",
			Status: 201, Errors: std}, a.createAPIKey),
		op(a, Route{Method: "DELETE", Path: "/v1/api-keys/{id}", OperationID: "revokeApiKey", Summary: "Revoke an API key", Tag: "api-keys",
			Status: 204, Errors: withNotFound}, a.revokeAPIKey),

		list(a, Route{Method: "GET", Path: "/v1/inbox/conversations", OperationID: "listConversations", Summary: "Conversations across connected accounts, newest first", Tag: "inbox",
			Query: append([]Param{{Name: "account_id", Type: "string"}, {Name: "platform", Type: "string", Description: "instagram, messenger (also accepted as facebook), whatsapp, linkedin or x"},
				{Name: "brand_id", Type: "string"},
				{Name: "status", Type: "string", Description: "active (the default) or archived"}, {Name: "unread", Type: "boolean"}}, pageParams...),
			Status: 200, Errors: inbox}, a.listConversations),
		op(a, Route{Method: "GET", Path: "/v1/inbox/conversations/{id}", OperationID: "getConversation", Summary: "One conversation with its reply_window", Tag: "inbox",
			Status: 200, Errors: inbox}, a.getConversation),
		list(a, Route{Method: "GET", Path: "/v1/inbox/conversations/{id}/messages", OperationID: "listMessages", Summary: "Message history, newest first, read live from the platform", Tag: "inbox",
			Query:  pageOf(maxHistoryPage),
			Status: 200, Errors: inbox}, a.listMessages),
		whole(a, Route{Method: "PATCH", Path: "/v1/inbox/conversations/{id}", OperationID: "updateConversation", Summary: "Archive a conversation (status archived) or make it active again; a new message from the customer also makes it active", Tag: "inbox",
			Status: 200, Errors: inbox}, a.updateConversation),
		whole(a, Route{Method: "POST", Path: "/v1/inbox/conversations/{id}/messages", OperationID: "sendMessage", Summary: "Send a message; honours Idempotency-Key; dry_run checks every rule and answers what would be sent (status dry_run) without sending", Tag: "inbox",
			Headers: []Header{{Name: "Idempotency-Key", MaxLength: 255}}, Status: 201, Errors: send}, a.sendMessage),
		op(a, Route{Method: "POST", Path: "/v1/inbox/conversations/{id}/read", OperationID: "markConversationRead", Summary: "Mark a conversation read", Tag: "inbox",
			Status: 204, Errors: inbox}, a.markRead),
	}
	if a.connect != nil {
		routes = append(routes, a.connectRoutes(std)...)
	}
	if a.plans != nil {
		routes = append(routes, a.planRoutes(std)...)
	}
	routes = append(routes, a.mediaRoutes(std)...)
	if a.inbound != nil {
		// The platforms' side: documented so operators see what to register
		// in each platform app; verified by signature, not by API key.
		// Handshakes answer what each platform requires: Meta the echoed
		// challenge as text, X and LinkedIn JSON.
		hook := func(method, path, id, content, summary string, errs ...int) Route {
			return raw(Route{Method: method, Path: path, OperationID: id, Summary: summary, Tag: "platform webhooks", Public: true,
				Raw: content, Status: 200, Errors: errs}, a.inbound.ServeHTTP)
		}
		verify := []int{http.StatusForbidden, http.StatusNotFound}
		receive := []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusInternalServerError}
		routes = append(routes,
			hook("GET", "/webhooks/meta", "verifyMetaWebhook", "text/plain", "Meta's subscription handshake (hub.mode, hub.verify_token, hub.challenge)", verify...),
			hook("POST", "/webhooks/meta", "receiveMetaWebhook", "text/plain", "Instagram, Messenger and WhatsApp events, signed with X-Hub-Signature-256", receive...),
			hook("GET", "/webhooks/x", "xCRC", "application/json", "X's challenge-response check (crc_token)", http.StatusNotFound),
			hook("POST", "/webhooks/x", "receiveXWebhook", "text/plain", "X Account Activity events, signed with X-Twitter-Webhooks-Signature", receive...),
			hook("GET", "/webhooks/linkedin", "linkedInChallenge", "application/json", "LinkedIn's endpoint validation (challengeCode)", http.StatusNotFound),
			hook("POST", "/webhooks/linkedin", "receiveLinkedInWebhook", "text/plain", "LinkedIn organisation events, signed with X-LI-Signature", receive...),
		)
	}
	return routes
}

type health struct {
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
}

func (a *API) healthz(context.Context, service.Caller, *params, none) (health, error) {
	return health{Status: "ok", Version: a.version}, nil
}

func (a *API) readyz(ctx context.Context, _ service.Caller, _ *params, _ none) (health, error) {
	if a.draining != nil && a.draining() {
		return health{}, errDraining
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := a.svc.Ready(ctx); err != nil {
		a.log.WarnContext(ctx, "not ready", "err", err)
		return health{}, errNotReady
	}
	return health{Status: "ready", Version: a.version}, nil
}

func (a *API) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(a.openapi)
}
