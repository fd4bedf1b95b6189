package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

const benchAppSecret = "bench-app-secret"
const benchPhoneID = "106540352242922"
const benchWAToken = "EAAGbench-system-user-token"

// inboundEnv is Parley with one WhatsApp account and one webhook endpoint.
func inboundEnv(b *testing.B, backend storetest.Backend, endpoint string, opts server.Options) *env {
	b.Helper()
	// The WhatsApp emulator confirms the account's token when it is connected.
	wa := waemu.New(waemu.Options{})
	wa.AddPhoneNumber(waemu.PhoneNumber{ID: benchPhoneID, WABAID: "1", Token: benchWAToken})
	waSrv := httptest.NewServer(wa)
	b.Cleanup(waSrv.Close)
	cfg := config.Config{MetaAppSecret: benchAppSecret, AllowPrivateWebhooks: true, WhatsAppURL: waSrv.URL}
	e := newEnvFull(b, backend, cfg, mustKey(b), opts)
	org, _, err := e.srv.Service.Bootstrap(context.Background(), "Bench", "k")
	if err != nil {
		b.Fatal(err)
	}
	c := service.Caller{OrgID: org.ID}
	brand, _ := e.srv.Service.CreateBrand(context.Background(), c, service.BrandInput{Name: "b"})
	if _, err := e.srv.Service.CreateAccount(context.Background(), c, service.AccountInput{BrandID: brand.ID, Platform: "whatsapp",
		NativeID: benchPhoneID, AccessToken: benchWAToken}); err != nil {
		b.Fatal(err)
	}
	if _, err := e.srv.Service.CreateWebhook(context.Background(), c, service.WebhookInput{URL: &endpoint}); err != nil {
		b.Fatal(err)
	}
	return e
}

// signedPayloads pre-builds n distinct signed WhatsApp message webhooks.
func signedPayloads(n int) (bodies [][]byte, sigs []string) {
	wa := waemu.New(waemu.Options{})
	wa.AddPhoneNumber(waemu.PhoneNumber{ID: benchPhoneID, WABAID: "1", Token: benchWAToken})
	for i := range n {
		m := wa.Inbound(benchPhoneID, fmt.Sprintf("1555%07d", i%500), "Bench", fmt.Sprintf("message %d", i))
		body := wa.WebhookPayload(m)
		bodies = append(bodies, body)
		sigs = append(sigs, inbound.SignMeta(benchAppSecret, body))
	}
	return bodies, sigs
}

// BenchmarkInboundAck measures inbound webhooks acknowledged per second —
// verified, parsed and their bodies stored durably (events/s) — and
// recorded per second — de-duplicated, metadata updated, journalled and
// their deliveries queued, from the first post until the last is recorded
// (recorded/s) — on each backend, next to a do-nothing handler on the same
// HTTP stack in the same run.
func BenchmarkInboundAck(b *testing.B) {
	sink := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer sink.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	post := func(b *testing.B, url string, body []byte, sig string) {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set(inbound.HeaderMetaSignature, sig)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	// run posts b.N webhooks from 16 senders; settle, when not nil, waits
	// until what was acknowledged is recorded, and the run reports that
	// rate too (recorded/s): acknowledging only stores the body.
	run := func(b *testing.B, url string, settle func()) {
		bodies, sigs := signedPayloads(b.N)
		var next atomic.Int64
		// Platforms deliver webhooks over many connections at once.
		b.SetParallelism(16)
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1) - 1
				post(b, url, bodies[i], sigs[i])
			}
		})
		acked := time.Since(start)
		if settle != nil {
			settle()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "recorded/s")
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/acked.Seconds(), "events/s")
	}
	b.Run("noop-handler", func(b *testing.B) {
		noop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(200)
		}))
		defer noop.Close()
		run(b, noop.URL, nil)
	})
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			backend := storetest.Backend{Name: name, DataDir: b.TempDir()}
			if name == "postgres" {
				backend.URL = storetest.FreshPostgres(b)
			}
			e := inboundEnv(b, backend, sink.URL, server.Options{})
			run(b, e.url+"/webhooks/meta", e.settle)
		})
	}
}

// BenchmarkInboundToEndpoint measures the latency from a customer's DM
// arriving in the WhatsApp emulator to the user's endpoint receiving
// message.received, at a steady 200 events/s (b.N events).
func BenchmarkInboundToEndpoint(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			var mu sync.Mutex
			arrived := map[string]time.Time{}
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var ev struct {
					Data struct {
						MessageID string `json:"message_id"`
					} `json:"data"`
				}
				_ = json.NewDecoder(r.Body).Decode(&ev)
				mu.Lock()
				arrived[ev.Data.MessageID] = time.Now()
				mu.Unlock()
			}))
			defer rcv.Close()
			backend := storetest.Backend{Name: name, DataDir: b.TempDir()}
			if name == "postgres" {
				backend.URL = storetest.FreshPostgres(b)
			}
			e := inboundEnv(b, backend, rcv.URL, server.Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := e.srv.Jobs.Start(ctx); err != nil {
				b.Fatal(err)
			}
			defer func() {
				stop, done := context.WithTimeout(context.Background(), 10*time.Second)
				defer done()
				_ = e.srv.Jobs.Stop(stop)
			}()
			wa := waemu.New(waemu.Options{})
			wa.AddPhoneNumber(waemu.PhoneNumber{ID: benchPhoneID, WABAID: "1", Token: benchWAToken})
			wa.SetWebhook(e.url+"/webhooks/meta", benchAppSecret)
			sent := map[string]time.Time{}
			var smu sync.Mutex
			var wg sync.WaitGroup
			tick := time.NewTicker(5 * time.Millisecond) // 200 events/s
			defer tick.Stop()
			b.ResetTimer()
			for i := range b.N {
				<-tick.C
				wg.Add(1)
				go func() {
					defer wg.Done()
					t0 := time.Now()
					m, err := wa.InboundAndNotify(benchPhoneID, fmt.Sprintf("1555%07d", i%500), "Bench", fmt.Sprintf("m %d", i))
					if err != nil {
						b.Error(err)
						return
					}
					smu.Lock()
					sent[m.ID] = t0
					smu.Unlock()
				}()
			}
			wg.Wait()
			var lat []time.Duration
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				mu.Lock()
				n := len(arrived)
				mu.Unlock()
				if n >= b.N {
					break
				}
			}
			b.StopTimer()
			mu.Lock()
			for id, t0 := range sent {
				if at, ok := arrived[id]; ok {
					lat = append(lat, at.Sub(t0))
				}
			}
			mu.Unlock()
			if len(lat) < b.N {
				b.Fatalf("%d of %d events reached the endpoint", len(lat), b.N)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
