package api

import (
	"context"
	"net/http"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/service"
)

// planRoutes declares GET /v1/usage and the operator API (DESIGN §9): what
// a SaaS built on Parley calls from its own sign-up and billing code,
// authenticated by the operator token and never by an organisation's key.
func (a *API) planRoutes(std []int) []Route {
	op404 := []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusInternalServerError}
	opStd := []int{http.StatusUnprocessableEntity, http.StatusInternalServerError}
	return []Route{
		op(a, Route{Method: "GET", Path: "/v1/usage", OperationID: "getUsage",
			Summary: "The organisation's plan, brands and interactions used this UTC calendar month, inbound messages, and when the month resets",
			Tag:     "plans", Status: 200, Errors: std}, a.usageOfCaller),

		op(a, Route{Method: "GET", Path: "/v1/operator/plans", OperationID: "operatorListPlans", Summary: "The server's plan table",
			Tag: "operator", Operator: true, Status: 200, Errors: opStd}, a.operatorPlans),
		list(a, Route{Method: "GET", Path: "/v1/operator/organizations", OperationID: "operatorListOrganizations", Summary: "Every organisation, oldest first",
			Tag: "operator", Operator: true, Query: pageParams, Status: 200, Errors: opStd}, a.operatorListOrgs),
		op(a, Route{Method: "POST", Path: "/v1/operator/organizations", OperationID: "operatorCreateOrganization",
			Summary: "Create an organisation on a plan (PARLEY_DEFAULT_PLAN when none is given)",
			Tag:     "operator", Operator: true, Status: 201, Errors: opStd}, a.operatorCreateOrg),
		op(a, Route{Method: "GET", Path: "/v1/operator/organizations/{id}", OperationID: "operatorGetOrganization", Summary: "An organisation with its usage",
			Tag: "operator", Operator: true, Status: 200, Errors: op404}, a.operatorGetOrg),
		op(a, Route{Method: "PATCH", Path: "/v1/operator/organizations/{id}", OperationID: "operatorSetPlan",
			Summary: "Move an organisation to another plan; a lower one keeps its brands and refuses new ones past the limit",
			Tag:     "operator", Operator: true, Status: 200, Errors: op404}, a.operatorSetPlan),
		op(a, Route{Method: "POST", Path: "/v1/operator/organizations/{id}/api-keys", OperationID: "operatorCreateApiKey",
			Summary: "Mint an API key for an organisation (its first, at sign-up); the secret is in this response only",
			Tag:     "operator", Operator: true, Status: 201, Errors: op404}, a.operatorCreateKey),
		op(a, Route{Method: "GET", Path: "/v1/operator/organizations/{id}/usage", OperationID: "operatorGetUsage", Summary: "An organisation's usage, as GET /v1/usage shows it",
			Tag: "operator", Operator: true, Status: 200, Errors: op404}, a.operatorUsage),
	}
}

// authenticateOperator admits the operator token only.
func (a *API) authenticateOperator(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.plans.AuthenticateOperator(r.Header.Get("Authorization")); err != nil {
			a.writeError(w, r, err)
			return
		}
		next(w, r)
	}
}

func (a *API) usageOfCaller(ctx context.Context, c service.Caller, _ *params, _ none) (apitype.Usage, error) {
	return a.plans.Usage(ctx, c.OrgID)
}

func (a *API) operatorPlans(context.Context, service.Caller, *params, none) ([]apitype.PlanView, error) {
	return a.plans.Plans(), nil
}

func (a *API) operatorListOrgs(ctx context.Context, _ service.Caller, p *params, _ none) (service.List[apitype.Organization], error) {
	return a.plans.ListOrganizations(ctx, p.pageRequest())
}

func (a *API) operatorCreateOrg(ctx context.Context, _ service.Caller, _ *params, in apitype.OrganizationInput) (apitype.Organization, error) {
	return a.plans.CreateOrganization(ctx, in)
}

func (a *API) operatorGetOrg(ctx context.Context, _ service.Caller, p *params, _ none) (apitype.Organization, error) {
	return a.plans.GetOrganization(ctx, p.id())
}

func (a *API) operatorSetPlan(ctx context.Context, _ service.Caller, p *params, in apitype.PlanInput) (apitype.Organization, error) {
	return a.plans.SetPlan(ctx, p.id(), in)
}

func (a *API) operatorCreateKey(ctx context.Context, _ service.Caller, p *params, in service.CreateAPIKeyInput) (service.APIKey, error) {
	if err := a.plans.CheckOrganization(ctx, p.id()); err != nil {
		return service.APIKey{}, err
	}
	return a.svc.CreateAPIKey(ctx, service.Caller{OrgID: p.id()}, in)
}

func (a *API) operatorUsage(ctx context.Context, _ service.Caller, p *params, _ none) (apitype.Usage, error) {
	return a.plans.Usage(ctx, p.id())
}
