package plans_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/plans"
	"github.com/parleyhq/parley/internal/plantable"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// BenchmarkReserve is what a plan adds to every send: one conditional
// upsert (the organisation's plan is cached for a second). "parallel" is 16
// senders of one organisation contending for its month's row.
func BenchmarkReserve(b *testing.B) {
	for _, be := range []storetest.Backend{{Name: "sqlite", DataDir: b.TempDir()}, {Name: "postgres"}} {
		b.Run(be.Name, func(b *testing.B) {
			if be.Name == "postgres" {
				be.URL = storetest.FreshPostgres(b)
			}
			db := be.Open(b)
			p, err := plans.New(domain.Deps{Store: db}, plans.Config{Table: plantable.Shipped(), Default: "pro"})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			o, err := p.CreateOrganization(ctx, apitype.OrganizationInput{Name: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					if _, err := p.Reserve(ctx, o.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.SetParallelism(8) // 16 goroutines on 2 cores
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := p.Reserve(ctx, o.ID); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}
