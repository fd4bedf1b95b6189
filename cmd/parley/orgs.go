package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/plans"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store"
)

// orgsCmd is the operator's command for organisations and their plans
// (DESIGN §9); the operator API does the same over HTTP.
func orgsCmd() *cobra.Command {
	orgs := &cobra.Command{Use: "orgs", Short: "Manage organisations and their plans (operators)"}
	var plan, keyName string
	create := &cobra.Command{Use: "create NAME", Short: "Create an organisation on a plan (PARLEY_DEFAULT_PLAN unless --plan); --key mints its first API key, printed once",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			return withPlans(cmd, func(ctx context.Context, svc *service.Service, pl *plans.Plans, _ store.Store) error {
				o, err := pl.CreateOrganization(ctx, apitype.OrganizationInput{Name: args[0], Plan: plan})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "organisation %s (%s) on plan %s\n", o.Name, o.ID, o.Plan)
				if keyName == "" {
					return nil
				}
				k, err := svc.CreateAPIKey(ctx, service.Caller{OrgID: o.ID}, service.CreateAPIKeyInput{Name: keyName})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "key id %s\n%s\n", k.ID, k.Secret)
				return nil
			})
		}}
	create.Flags().StringVar(&plan, "plan", "", "plan name (default: PARLEY_DEFAULT_PLAN)")
	create.Flags().StringVar(&keyName, "key", "", "mint a first API key with this name")
	list := &cobra.Command{Use: "list", Short: "List organisations and their plans", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withPlans(cmd, func(ctx context.Context, _ *service.Service, pl *plans.Plans, _ store.Store) error {
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tPLAN\tCREATED")
				for cursor := ""; ; {
					l, err := pl.ListOrganizations(ctx, domain.PageRequest{Cursor: cursor, Limit: 100})
					if err != nil {
						return err
					}
					for _, o := range l.Data {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.ID, o.Name, o.Plan, o.CreatedAt.Format(time.RFC3339))
					}
					if !l.HasMore {
						break
					}
					cursor = l.NextCursor
				}
				return tw.Flush()
			})
		}}
	show := &cobra.Command{Use: "show ORG", Short: "Show an organisation's plan and usage this month (ORG: id or name)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPlans(cmd, func(ctx context.Context, _ *service.Service, pl *plans.Plans, db store.Store) error {
				id, err := orgID(ctx, db, args[0])
				if err != nil {
					return err
				}
				o, err := pl.GetOrganization(ctx, id)
				if err != nil {
					return err
				}
				printOrg(cmd.OutOrStdout(), o)
				return nil
			})
		}}
	setPlan := &cobra.Command{Use: "set-plan ORG PLAN", Short: "Move an organisation to another plan (a lower one keeps its brands and refuses new ones)",
		Args: cobra.ExactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
			return withPlans(cmd, func(ctx context.Context, _ *service.Service, pl *plans.Plans, db store.Store) error {
				id, err := orgID(ctx, db, args[0])
				if err != nil {
					return err
				}
				o, err := pl.SetPlan(ctx, id, apitype.PlanInput{Plan: args[1]})
				if err != nil {
					return err
				}
				printOrg(cmd.OutOrStdout(), o)
				return nil
			})
		}}
	orgs.AddCommand(create, list, show, setPlan)
	return orgs
}

// withPlans opens what an orgs command needs and closes it after fn.
func withPlans(cmd *cobra.Command, fn func(ctx context.Context, svc *service.Service, pl *plans.Plans, db store.Store) error) error {
	svc, pl, db, err := openOperator(cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(cmd.Context(), svc, pl, db)
}

// orgID resolves an organisation given by id (org_…) or by name.
func orgID(ctx context.Context, db store.Store, ref string) (string, error) {
	if strings.HasPrefix(ref, "org_") {
		if _, err := db.GetOrganization(ctx, ref); err == nil {
			return ref, nil
		}
	}
	o, err := db.FindOrganizationByName(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("no organisation has the id or name %q (see `parley orgs list`)", ref)
	}
	return o.ID, err
}

func printOrg(w io.Writer, o apitype.Organization) {
	limit := func(n *int) string {
		if n == nil {
			return "unlimited"
		}
		return fmt.Sprint(*n)
	}
	fmt.Fprintf(w, "organisation  %s (%s)\nplan          %s\n", o.Name, o.ID, o.Plan)
	if u := o.Usage; u != nil {
		fmt.Fprintf(w, "brands        %d of %s\ninteractions  %d of %s in %s (UTC), resets %s\ninbound       %d in %s\n",
			u.Brands.Used, limit(u.Brands.Limit), u.Interactions.Used, limit(u.Interactions.Limit), u.Month,
			u.ResetsAt.Format(time.RFC3339), u.Inbound, u.Month)
	}
}
