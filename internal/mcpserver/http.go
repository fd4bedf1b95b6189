package mcpserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/mcpauth"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/textcheck"
)

// MaxBodyBytes bounds one MCP request body, as REST bounds its bodies.
const MaxBodyBytes = 1 << 20

type callerKey struct{}

// grantKey holds the OAuth grant of a request signed in with an access
// token; API key requests have none and may use every tool.
type grantKey struct{}

// Handler serves MCP over Streamable HTTP for svc, to be mounted at /mcp.
//
// Every request needs the same `Authorization: Bearer sapi_key_…` as REST;
// a missing, unknown or revoked key is answered 401 with the REST error
// body before any MCP processing. The server is stateless (no
// Mcp-Session-Id): each request is authenticated on its own and may land on
// any replica, and answers are plain JSON rather than an event stream, which
// no tool here needs.
func Handler(svc *service.Service, opts *Options) http.Handler {
	o := opts.orDefault()
	h := mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		c, ok := r.Context().Value(callerKey{}).(service.Caller)
		if !ok {
			return nil // unreachable: the auth wrapper always sets it
		}
		return newServer(ServiceBackend{Svc: svc, Caller: c}, o, c.OrgID)
	}, &mcp.StreamableHTTPOptions{
		Stateless:           true,
		JSONResponse:        true,
		Logger:              o.Logger,
		MaxRequestBodyBytes: MaxBodyBytes,
		// The SDK's DNS-rebinding guard refuses localhost connections whose
		// Host is not localhost, which is every request behind a reverse
		// proxy on the same machine. It protects servers a browser can reach
		// without credentials; every request here needs an API key that a
		// rebinding page does not have.
		DisableLocalhostProtection: true,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := requestID(w, r)
		ctx := r.Context()
		c, grant, err := authenticate(ctx, svc, o.OAuth, r.Header.Get("Authorization"))
		if err != nil {
			e, ok := apierr.As(err)
			if !ok {
				o.Logger.ErrorContext(r.Context(), "mcp authenticate", "request_id", id, "err", err)
				e = apierr.Internal()
			}
			if c := apierr.BearerChallenge(e); c != "" {
				// RFC 6750 §3: a 401 names the scheme it wants, as REST's do;
				// with sign-in on, it also points to the resource metadata
				// (RFC 9728 §5.1), where a hosted client starts its OAuth flow.
				if o.OAuth != nil {
					c = o.OAuth.Challenge(c)
				}
				w.Header().Set("WWW-Authenticate", c)
			}
			if s, ok := e.Meta["retry_after_seconds"]; ok && e.Status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", fmt.Sprint(s)) // an address locked out for invalid keys
			}
			writeError(w, e, id)
			return
		}
		if r.Body != nil {
			// Decoding would turn invalid UTF-8 in a tool's arguments into
			// U+FFFD and send that: refuse it here, as REST does.
			raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
			if err == nil {
				if terr := textcheck.JSON(raw); terr != nil {
					e, _ := apierr.As(terr)
					writeError(w, e, id)
					return
				}
			}
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(raw), r.Body))
		}
		ctx = context.WithValue(ctx, callerKey{}, c)
		if grant != nil {
			ctx = context.WithValue(ctx, grantKey{}, *grant)
		}
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authenticate accepts an API key, as REST does, or an access token of the
// MCP authorization server, which acts for its grant's organisation. The
// grant's family stands in for the key in quotas.
func authenticate(ctx context.Context, svc *service.Service, oauth *mcpauth.Server, authorization string) (service.Caller, *mcpauth.Grant, error) {
	token, isBearer := strings.CutPrefix(authorization, "Bearer ")
	if oauth == nil || !isBearer || !mcpauth.IsAccessToken(token) {
		c, err := svc.Authenticate(ctx, authorization)
		return c, nil, err
	}
	g, err := oauth.Verify(ctx, token)
	var bad mcpauth.ErrInvalidToken
	if errors.As(err, &bad) {
		return service.Caller{}, nil, apierr.New(http.StatusUnauthorized, "auth.invalid_token", "%s; sign in again", bad.Reason)
	}
	if err != nil {
		return service.Caller{}, nil, err
	}
	return service.Caller{OrgID: g.OrgID, KeyID: g.Family}, &g, nil
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// requestID keeps the id REST's middleware already assigned when the
// handler is mounted behind it, else the caller's acceptable X-Request-ID,
// else a new one (DESIGN §1).
func requestID(w http.ResponseWriter, r *http.Request) string {
	if id := w.Header().Get("X-Request-ID"); id != "" {
		return id
	}
	id := r.Header.Get("X-Request-ID")
	if !requestIDPattern.MatchString(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = "req_" + hex.EncodeToString(b[:])
	}
	w.Header().Set("X-Request-ID", id)
	return id
}

func writeError(w http.ResponseWriter, e *apierr.Error, requestID string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(client.ErrorBody{Error: client.ErrorDetail{Code: e.Code, Message: e.Message, Meta: e.Meta}, RequestID: requestID})
}
