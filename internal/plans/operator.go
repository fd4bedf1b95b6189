package plans

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/store"
)

// What operators do (the operator API and `parley orgs`): organisations,
// their plans and their usage. The operator is trusted with every
// organisation; these methods take no Caller.

func orgView(o store.Organization, plan string) apitype.Organization {
	return apitype.Organization{ID: o.ID, Name: o.Name, Plan: plan, CreatedAt: o.CreatedAt}
}

// planName is the plan an organisation is shown on: its own, or the
// default's when it has none stored.
func (p *Plans) planName(o store.Organization) string {
	if o.Plan == "" {
		return p.def.Name
	}
	return o.Plan
}

// checkPlan refuses a plan name the table lacks, listing those it has.
func (p *Plans) checkPlan(name string) error {
	if name == "" {
		return apierr.Required("plan")
	}
	if _, ok := p.table.Lookup(name); !ok {
		return apierr.Invalid("plan", "unknown plan %q", name).With("allowed", p.table.Names())
	}
	return nil
}

// CreateOrganization creates an organisation on a plan (the default plan
// when in.Plan is empty). Names need not be unique; ids are.
func (p *Plans) CreateOrganization(ctx context.Context, in apitype.OrganizationInput) (apitype.Organization, error) {
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		return apitype.Organization{}, apierr.Required("name")
	case utf8.RuneCountInString(name) > 200:
		return apitype.Organization{}, apierr.Invalid("name", "name must be at most 200 characters")
	}
	plan := in.Plan
	if plan == "" {
		plan = p.def.Name
	}
	if err := p.checkPlan(plan); err != nil {
		return apitype.Organization{}, err
	}
	o := store.Organization{ID: store.NewID("org"), Name: name, Plan: plan, CreatedAt: p.now()}
	if err := p.store.CreateOrganization(ctx, o); err != nil {
		return apitype.Organization{}, err
	}
	return p.GetOrganization(ctx, o.ID)
}

// GetOrganization reads an organisation with its usage.
func (p *Plans) GetOrganization(ctx context.Context, id string) (apitype.Organization, error) {
	o, err := p.store.GetOrganization(ctx, id)
	if err != nil {
		return apitype.Organization{}, domain.StoreErr(err, "organization")
	}
	u, err := p.usage(ctx, o)
	if err != nil {
		return apitype.Organization{}, err
	}
	v := orgView(o, p.planName(o))
	v.Usage = &u
	return v, nil
}

// ListOrganizations pages through every organisation.
func (p *Plans) ListOrganizations(ctx context.Context, pr domain.PageRequest) (domain.List[apitype.Organization], error) {
	if err := domain.IDCursor("org", pr.Cursor); err != nil {
		return domain.List[apitype.Organization]{}, err
	}
	rows, err := p.store.ListOrganizations(ctx, store.Page{After: pr.Cursor, Limit: pr.Limit})
	if err != nil {
		return domain.List[apitype.Organization]{}, err
	}
	return domain.IDPage(rows, pr.Limit, func(o store.Organization) string { return o.ID },
		func(o store.Organization) apitype.Organization { return orgView(o, p.planName(o)) }), nil
}

// SetPlan moves an organisation to another plan, at once. A lower plan
// keeps what the organisation already has (its brands keep working, this
// month's interactions stay counted) and refuses what would go past it.
func (p *Plans) SetPlan(ctx context.Context, id string, in apitype.PlanInput) (apitype.Organization, error) {
	if err := p.checkPlan(in.Plan); err != nil {
		return apitype.Organization{}, err
	}
	if err := p.store.SetOrganizationPlan(ctx, id, in.Plan); err != nil {
		return apitype.Organization{}, domain.StoreErr(err, "organization")
	}
	p.orgCache.Forget(func(k string, _ store.Organization) bool { return k == id })
	return p.GetOrganization(ctx, id)
}

// Plans lists the server's plan table, marking the default.
func (p *Plans) Plans() []apitype.PlanView {
	var out []apitype.PlanView
	for _, pl := range p.table.Plans() {
		out = append(out, apitype.PlanView{Name: pl.Name, MaxBrands: limitPtr(pl.MaxBrands), MaxAccountsPerBrand: limitPtr(pl.MaxAccountsPerBrand),
			MonthlyInteractions: limitPtr(pl.MonthlyInteractions), RequestsPerMinute: pl.RequestsPerMinute, Default: pl.Name == p.def.Name})
	}
	return out
}

// CheckOrganization answers 404 for an organisation that does not exist.
func (p *Plans) CheckOrganization(ctx context.Context, id string) error {
	_, err := p.store.GetOrganization(ctx, id)
	return domain.StoreErr(err, "organization")
}
