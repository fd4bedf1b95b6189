package api

import (
	"context"
	"net/http"

	"github.com/parleyhq/parley/internal/connect"
	"github.com/parleyhq/parley/internal/service"
)

// connectRoutes declares the connect flow (DESIGN §7): sessions made with an
// API key, and the browser's side, public and answering HTML.
func (a *API) connectRoutes(std []int) []Route {
	withUnavailable := append([]int{http.StatusServiceUnavailable}, std...)
	return []Route{
		op(a, Route{Method: "POST", Path: "/v1/connect/sessions", OperationID: "createConnectSession",
			Summary: "Start connecting an account: a single-use hosted URL for the end customer, valid 15 minutes", Tag: "accounts",
			Status: 201, Errors: withUnavailable}, a.createConnectSession),
		op(a, Route{Method: "POST", Path: "/v1/accounts/connect", OperationID: "connectAccount",
			Summary: "Start connecting an account (the auth_url shape); brand_id defaults to the oldest brand", Tag: "accounts",
			Status: 201, Errors: withUnavailable}, a.connectAccount),
		raw(Route{Method: "GET", Path: "/connect/{session}", OperationID: "connectPage",
			Summary: "The hosted connect page: sends the browser to the platform's consent", Tag: "connect", Public: true,
			Raw: "text/html", Status: 302, Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusInternalServerError}}, a.connect.HostedPage),
		raw(Route{Method: "GET", Path: "/oauth/callback/x", OperationID: "xOAuthCallback",
			Summary: "X's OAuth 2.0 redirect URI: finishes the connect session and returns to its redirect_url", Tag: "connect", Public: true,
			Raw: "text/html", Status: 302, Errors: []int{http.StatusBadRequest, http.StatusConflict, http.StatusInternalServerError}}, a.connect.XCallback),
	}
}

func (a *API) createConnectSession(ctx context.Context, c service.Caller, _ *params, in connect.SessionInput) (connect.Session, error) {
	return a.connect.CreateSession(ctx, c.OrgID, in)
}

func (a *API) connectAccount(ctx context.Context, c service.Caller, _ *params, in connect.AliasInput) (connect.AliasOutput, error) {
	return a.connect.CreateAlias(ctx, c.OrgID, in)
}
