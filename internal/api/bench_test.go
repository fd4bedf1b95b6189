package api_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// graphOnLoopback serves a Graph emulator with the given latency and
// returns its base URL.
func graphOnLoopback(b *testing.B, latency time.Duration) (*graphemu.Emulator, string) {
	b.Helper()
	emu := graphemu.New(graphemu.Options{Latency: latency})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: emu.InstagramHost()}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	return emu, "http://" + ln.Addr().String()
}

// benchEnv is Parley (SQLite) in front of one Graph emulator with n
// Instagram accounts, each with one conversation.
func benchEnv(b *testing.B, n int, latency time.Duration) (*env, string, []string, *graphemu.Emulator, string) {
	b.Helper()
	emu, base := graphOnLoopback(b, latency)
	cfg := config.Config{GraphInstagramURL: base, GraphFacebookURL: base}
	e := newEnvFull(b, storetest.Backend{Name: "sqlite", DataDir: b.TempDir()}, cfg, mustKey(b), server.Options{})
	org, key, err := e.srv.Service.Bootstrap(context.Background(), "Bench", "bench")
	if err != nil {
		b.Fatal(err)
	}
	c := service.Caller{OrgID: org.ID}
	brand, _ := e.srv.Service.CreateBrand(context.Background(), c, service.BrandInput{Name: "b"})
	var convs []string
	for i := range n {
		id := fmt.Sprintf("178414000000%05d", i)
		token := "IGQW-bench-" + id
		if _, err := emu.AddAccount(graphemu.Account{Platform: platform.Instagram, ID: id, Token: token, Name: id}); err != nil {
			b.Fatal(err)
		}
		msgs := make([]graphemu.SeedMessage, 0, 25)
		for j := range 25 {
			msgs = append(msgs, graphemu.SeedMessage{Inbound: j%2 == 0, Text: fmt.Sprintf("message %d", j), At: time.Now().Add(-time.Duration(25-j) * time.Minute)})
		}
		thread, err := emu.AddConversation(id, graphemu.Conversation{Participant: graphemu.Participant{ID: fmt.Sprintf("61000%05d", i), Name: "P"}, Messages: msgs})
		if err != nil {
			b.Fatal(err)
		}
		acct, err := e.srv.Service.CreateAccount(context.Background(), c, service.AccountInput{BrandID: brand.ID, Platform: "instagram", NativeID: id, AccessToken: token})
		if err != nil {
			b.Fatal(err)
		}
		convs = append(convs, convid.Encode(acct.ID, thread))
	}
	return e, key.Secret, convs, emu, base
}

// BenchmarkFanOut lists conversations across 1 and 20 accounts whose
// platform answers in 50 ms each: concurrency keeps 20 close to 1.
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1, 20} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			e, key, _, _, _ := benchEnv(b, n, 50*time.Millisecond)
			req := func() {
				r := e.do("GET", "/v1/inbox/conversations?limit=100", key, nil)
				if r.status != 200 || len(r.body["data"].([]any)) != n {
					b.Fatalf("list: %d %s", r.status, r.raw)
				}
			}
			req()
			b.ResetTimer()
			for b.Loop() {
				req()
			}
		})
	}
}

// BenchmarkProxyOverhead reads one conversation's messages straight from
// the emulator and through Parley, in the same run, and reports the median
// and p99 latency of each; the parallel variants give throughput.
func BenchmarkProxyOverhead(b *testing.B) {
	e, key, convs, _, base := benchEnv(b, 1, 0)
	_, thread, _ := convid.Decode(convs[0])
	direct := base + "/" + "v25.0/" + thread + "/messages?" + url.Values{"fields": {"id,created_time,from,to,message,attachments"}, "limit": {"25"}}.Encode()
	token := "IGQW-bench-17841400000000000"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func(u string, auth string) {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+auth)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var buf [32 << 10]byte
		for {
			if _, err := res.Body.Read(buf[:]); err != nil {
				break
			}
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("%s: %d", u, res.StatusCode)
		}
	}
	viaParley := e.url + "/v1/inbox/conversations/" + convs[0] + "/messages"
	for _, c := range []struct {
		name, url, auth string
	}{{"direct", direct, token}, {"parley", viaParley, key}} {
		b.Run(c.name, func(b *testing.B) {
			get(c.url, c.auth)
			lat := make([]time.Duration, 0, 4096)
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				get(c.url, c.auth)
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
		b.Run(c.name+"-parallel", func(b *testing.B) {
			// Enough concurrent clients to keep both cores busy, the same for
			// both paths, so the ratio compares throughput, not round trips.
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					get(c.url, c.auth)
				}
			})
		})
	}
}
