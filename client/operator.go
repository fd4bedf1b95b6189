package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"

	"github.com/parleyhq/parley/apitype"
)

// GetUsage reads the caller's organisation's plan and what it used this
// UTC calendar month.
func (c *Client) GetUsage(ctx context.Context) (apitype.Usage, error) {
	var out Single[apitype.Usage]
	err := c.get(ctx, "/v1/usage", nil, &out)
	return out.Data, err
}

// Operator calls the operator API (/v1/operator/…) of a Parley server with
// its PARLEY_OPERATOR_TOKEN: organisations, their plans and first API
// keys. It retries and fails as Client does.
type Operator struct {
	c *Client
}

// NewOperator returns an operator client for the server at baseURL.
func NewOperator(baseURL, operatorToken string, opts Options) (*Operator, error) {
	c, err := New(baseURL, operatorToken, opts)
	if err != nil {
		return nil, err
	}
	return &Operator{c: c}, nil
}

// ListPlans reads the server's plan table.
func (o *Operator) ListPlans(ctx context.Context) ([]apitype.PlanView, error) {
	var out Single[[]apitype.PlanView]
	err := o.c.get(ctx, "/v1/operator/plans", nil, &out)
	return out.Data, err
}

// ListOrganizations lists one page of organisations, oldest first.
func (o *Operator) ListOrganizations(ctx context.Context, q PageQuery) (List[apitype.Organization], error) {
	return page[apitype.Organization](ctx, o.c, "/v1/operator/organizations", q.values())
}

// Organizations iterates over every organisation, oldest first.
func (o *Operator) Organizations(ctx context.Context) iter.Seq2[apitype.Organization, error] {
	return all[apitype.Organization](ctx, o.c, "/v1/operator/organizations", url.Values{"limit": {"100"}})
}

// CreateOrganization creates an organisation on a plan.
func (o *Operator) CreateOrganization(ctx context.Context, in apitype.OrganizationInput) (apitype.Organization, error) {
	var out Single[apitype.Organization]
	_, err := o.c.do(ctx, call{method: http.MethodPost, path: "/v1/operator/organizations", body: in}, &out)
	return out.Data, err
}

// GetOrganization reads an organisation with its usage.
func (o *Operator) GetOrganization(ctx context.Context, id string) (apitype.Organization, error) {
	var out Single[apitype.Organization]
	err := o.c.get(ctx, path("/v1/operator/organizations/", id), nil, &out)
	return out.Data, err
}

// SetPlan moves an organisation to another plan, at once.
func (o *Operator) SetPlan(ctx context.Context, id string, in apitype.PlanInput) (apitype.Organization, error) {
	var out Single[apitype.Organization]
	_, err := o.c.do(ctx, call{method: http.MethodPatch, path: path("/v1/operator/organizations/", id), body: in, idempotent: true}, &out)
	return out.Data, err
}

// CreateAPIKey mints an API key for an organisation; its Secret is in this
// answer only.
func (o *Operator) CreateAPIKey(ctx context.Context, orgID string, in apitype.CreateAPIKeyInput) (apitype.APIKey, error) {
	var out Single[apitype.APIKey]
	_, err := o.c.do(ctx, call{method: http.MethodPost, path: path("/v1/operator/organizations/", orgID, "/api-keys"), body: in}, &out)
	return out.Data, err
}

// GetUsage reads an organisation's usage, as its own GET /v1/usage shows.
func (o *Operator) GetUsage(ctx context.Context, orgID string) (apitype.Usage, error) {
	var out Single[apitype.Usage]
	err := o.c.get(ctx, path("/v1/operator/organizations/", orgID, "/usage"), nil, &out)
	return out.Data, err
}
