package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/sqlite"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// BenchmarkSQLiteInsertLoop is the yardstick for SQLite ingest: one
// 600-byte row per transaction, one writer, on the same disk (the test's
// temporary directory) and with the same settings (WAL, synchronous=NORMAL,
// IMMEDIATE transactions) as Parley's own SQLite.
func BenchmarkSQLiteInsertLoop(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "plain.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	db := st.SQL()
	if _, err := db.Exec(`CREATE TABLE bench_insert (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, payload BLOB NOT NULL, created_at TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	payload := bytes.Repeat([]byte("x"), 600)
	b.ResetTimer()
	for b.Loop() {
		if err := insertOne(ctx, db, payload); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func insertOne(ctx context.Context, db *sql.DB, payload []byte) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO bench_insert (org_id, payload, created_at) VALUES ('org', ?, ?)`, payload, time.Now()); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// BenchmarkDeliveryThroughput measures sustained outbound delivery: b.N
// message.received events are ingested with the workers stopped, then the
// workers start and the benchmark times until a local endpoint has received
// every one (deliveries/s), on each backend.
func BenchmarkDeliveryThroughput(b *testing.B) {
	for _, name := range []string{"postgres", "sqlite"} {
		b.Run(name, func(b *testing.B) {
			var got atomic.Int64
			all := make(chan struct{})
			var once sync.Once
			var want atomic.Int64
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if got.Add(1) >= want.Load() {
					once.Do(func() { close(all) })
				}
			}))
			defer rcv.Close()
			backend := storetest.Backend{Name: name, DataDir: b.TempDir()}
			if name == "postgres" {
				backend.URL = storetest.FreshPostgres(b)
			}
			e := inboundEnv(b, backend, rcv.URL, server.Options{})
			want.Store(int64(b.N))
			bodies, sigs := signedPayloads(b.N)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var next atomic.Int64
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						req, _ := http.NewRequest("POST", e.url+"/webhooks/meta", bytes.NewReader(bodies[i]))
						req.Header.Set(inbound.HeaderMetaSignature, sigs[i])
						res, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				})
			}
			wg.Wait()
			// Acknowledged is not yet recorded: the deliveries are queued
			// once every webhook is.
			e.settle()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			b.ResetTimer()
			if err := e.srv.Jobs.Start(ctx); err != nil {
				b.Fatal(err)
			}
			select {
			case <-all:
			case <-time.After(5 * time.Minute):
				b.Fatalf("%d of %d deliveries arrived", got.Load(), b.N)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
			stop, done := context.WithTimeout(context.Background(), 10*time.Second)
			defer done()
			_ = e.srv.Jobs.Stop(stop)
		})
	}
}
