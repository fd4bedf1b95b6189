package apitype

import "time"

// Meter is one limit of a plan and how much of it is used.
type Meter struct {
	// Used is how much is used now (brands) or this month (interactions).
	Used int `json:"used"`
	// Limit is the plan's maximum; null when the plan sets none.
	Limit *int `json:"limit"`
}

// Usage is an organisation's plan and what it used in the current UTC
// calendar month (GET /v1/usage).
type Usage struct {
	// Plan is the plan's name.
	Plan string `json:"plan"`
	// Brands counts the organisation's brands against the plan's maximum.
	Brands Meter `json:"brands"`
	// Interactions counts messages sent this month (REST, MCP, inbox app)
	// against the plan's monthly maximum.
	Interactions Meter `json:"interactions"`
	// Inbound counts messages received this month; they are never limited.
	Inbound int `json:"inbound"`
	// AccountsPerBrand is the plan's maximum of connected accounts in one
	// brand; null when it sets none.
	AccountsPerBrand *int `json:"accounts_per_brand_limit"`
	// RequestsPerMinute is the organisation's request quota across its
	// API keys; 0 when there is none.
	RequestsPerMinute int `json:"requests_per_minute"`
	// Month is the UTC calendar month counted, YYYY-MM.
	Month string `json:"month"`
	// ResetsAt is when the next month starts (00:00 UTC on its first day).
	ResetsAt time.Time `json:"resets_at"`
}

// PlanView is one plan of the server's plan table.
type PlanView struct {
	// Name is the plan's name.
	Name string `json:"name"`
	// MaxBrands is the most brands an organisation may have; null: no limit.
	MaxBrands *int `json:"max_brands"`
	// MaxAccountsPerBrand is the most accounts one brand may have; null: no limit.
	MaxAccountsPerBrand *int `json:"max_accounts_per_brand"`
	// MonthlyInteractions is the most messages sent per month; null: no limit.
	MonthlyInteractions *int `json:"monthly_interactions"`
	// RequestsPerMinute is the organisation's request quota; 0: the server's.
	RequestsPerMinute int `json:"requests_per_minute"`
	// Default marks the plan new organisations get.
	Default bool `json:"default"`
}

// Organization is an organisation as operators see it.
type Organization struct {
	// ID is the organisation's id (org_…).
	ID string `json:"id"`
	// Name is the organisation's name.
	Name string `json:"name"`
	// Plan is the plan it is on.
	Plan string `json:"plan"`
	// CreatedAt is when it was created.
	CreatedAt time.Time `json:"created_at"`
	// Usage is what it uses, when one organisation is read.
	Usage *Usage `json:"usage,omitempty"`
}

// OrganizationInput creates an organisation.
type OrganizationInput struct {
	// Name is the organisation's name.
	Name string `json:"name" jsonschema:"the organisation's name, 1-200 characters"`
	// Plan is its plan; absent for the server's default plan.
	Plan string `json:"plan,omitempty" jsonschema:"a plan of the server's table; absent for PARLEY_DEFAULT_PLAN"`
}

// PlanInput moves an organisation to another plan.
type PlanInput struct {
	// Plan is the new plan.
	Plan string `json:"plan" jsonschema:"a plan of the server's table"`
}

// BillingEvent is the data of billing.limit_approaching (80 % of a limit
// used) and billing.limit_reached (all of it).
type BillingEvent struct {
	// Metric is brands or interactions.
	Metric string `json:"metric"`
	// Plan is the organisation's plan.
	Plan string `json:"plan"`
	// Limit is the plan's maximum.
	Limit int `json:"limit"`
	// Used is how much is used.
	Used int `json:"used"`
	// ResetsAt is when a monthly count starts again (interactions only).
	ResetsAt *time.Time `json:"resets_at,omitempty"`
}
