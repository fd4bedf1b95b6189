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
	var callbacks []Route
	for _, p := range connect.Platforms() {
		callbacks = append(callbacks, raw(Route{Method: "GET", Path: "/oauth/callback/" + p, OperationID: p + "OAuthCallback",
			Summary: "The OAuth redirect URI to register with " + p + ": finishes the connect session and returns to its redirect_url", Tag: "connect", Public: true,
			Raw: "text/html", Status: 302, Errors: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusConflict, http.StatusInternalServerError}},
			a.connect.Callback(p)))
	}
	return append(callbacks, []Route{
		op(a, Route{Method: "POST", Path: "/v1/connect/sessions", OperationID: "createConnectSession",
			Summary: "Start connecting an account: a single-use hosted URL for the end customer, valid 15 minutes", Tag: "accounts",
			Status: 201, Errors: withUnavailable}, a.createConnectSession),
		op(a, Route{Method: "POST", Path: "/v1/accounts/connect", OperationID: "connectAccount",
			Summary: "Start connecting an account (the auth_url shape); brand_id defaults to the oldest brand", Tag: "accounts",
			Status: 201, Errors: withUnavailable}, a.connectAccount),
		raw(Route{Method: "GET", Path: "/connect/{session}", OperationID: "connectPage",
			Summary: "The hosted connect page: sends the browser to the platform's consent", Tag: "connect", Public: true,
			Raw: "text/html", Status: 302, Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusInternalServerError}}, a.connect.HostedPage),
		raw(Route{Method: "POST", Path: "/connect/pick", OperationID: "connectPick",
			Summary: "The end customer's choice among the Pages, numbers or organisations a token reaches", Tag: "connect", Public: true,
			Raw: "text/html", Status: 302, Errors: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusConflict, http.StatusInternalServerError}}, a.connect.Pick),
		raw(Route{Method: "POST", Path: "/oauth/meta/deauthorize", OperationID: "metaDeauthorize",
			Summary: "Meta's deauthorize callback: a signed_request naming the user who removed the app; their accounts need reauthorisation", Tag: "connect", Public: true,
			Raw: "application/json", Status: 200, Errors: []int{http.StatusUnprocessableEntity}}, a.metaDeauthorize),
		raw(Route{Method: "POST", Path: "/oauth/meta/data-deletion", OperationID: "metaDataDeletion",
			Summary: "Meta's data deletion callback: disconnects the user's accounts and answers a status URL and confirmation code", Tag: "connect", Public: true,
			Raw: "application/json", Status: 200, Errors: []int{http.StatusUnprocessableEntity}}, a.metaDataDeletion),
		raw(Route{Method: "GET", Path: "/connect/deletion/{code}", OperationID: "metaDataDeletionStatus",
			Summary: "Where a data deletion request's status is shown", Tag: "connect", Public: true,
			Raw: "text/html", Status: 200, Errors: []int{http.StatusNotFound}}, a.connect.DeletionStatus),
	}...)
}

func (a *API) createConnectSession(ctx context.Context, c service.Caller, _ *params, in connect.SessionInput) (connect.Session, error) {
	return a.connect.CreateSession(ctx, c.OrgID, in)
}

func (a *API) connectAccount(ctx context.Context, c service.Caller, _ *params, in connect.AliasInput) (connect.AliasOutput, error) {
	return a.connect.CreateAlias(ctx, c.OrgID, in)
}

// signedForm reads the signed_request of a Meta callback's form body.
func signedForm(w http.ResponseWriter, r *http.Request) string {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return ""
	}
	return r.PostForm.Get("signed_request")
}

func (a *API) metaDeauthorize(w http.ResponseWriter, r *http.Request) {
	if err := a.connect.MetaDeauthorize(r.Context(), signedForm(w, r)); err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (a *API) metaDataDeletion(w http.ResponseWriter, r *http.Request) {
	out, err := a.connect.MetaDataDeletion(r.Context(), signedForm(w, r))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	// Meta reads this shape bare, not in Parley's data envelope.
	writeJSON(w, http.StatusOK, out)
}
