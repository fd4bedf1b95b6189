package emukit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fault is a toy platform error.
type fault struct {
	status int
	code   string
}

// toy is a minimal platform: token "good" is user "u1".
type toy struct {
	kit *Kit[fault, string]
}

func setup(t *testing.T, mod ...func(*Config[fault, string])) *toy {
	t.Helper()
	cfg := Config[fault, string]{
		Rand: rand.NewPCG(1, 2),
		Auth: func(_ http.ResponseWriter, r *http.Request) (string, fault, bool) {
			if r.Header.Get("Authorization") != "Bearer good" {
				return "", fault{http.StatusUnauthorized, "unauthorized"}, false
			}
			return "u1", fault{}, true
		},
		Transient: func() fault { return fault{http.StatusServiceUnavailable, "transient"} },
		Render: func(w http.ResponseWriter, _ *http.Request, _ string, f fault) {
			w.WriteHeader(f.status)
			_, _ = io.WriteString(w, f.code)
		},
		NotFound: func(w http.ResponseWriter, r *http.Request, p string) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, "no route "+r.URL.Path+" for "+p)
		},
	}
	for _, m := range mod {
		m(&cfg)
	}
	k := New(cfg)
	k.Handle("GET /things/{id}", func(w http.ResponseWriter, r *http.Request, p string) {
		_, _ = io.WriteString(w, p+":"+r.PathValue("id"))
	})
	k.Handle("POST /things", func(w http.ResponseWriter, r *http.Request, _ string) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	})
	k.HandlePublic("GET /open", func(w http.ResponseWriter, _ *http.Request, p string) {
		_, _ = io.WriteString(w, "open["+p+"]")
	})
	return &toy{kit: k}
}

func (x *toy) do(t *testing.T, method, target, token, body string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	x.kit.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func TestRoutesAuthAndPlatformAnswers(t *testing.T) {
	t.Parallel()
	x := setup(t)
	for _, tc := range []struct {
		name, method, target, token, body string
		status                            int
		want                              string
	}{
		{"routed with principal", "GET", "/things/7", "good", "", 200, "u1:7"},
		{"body reaches the handler", "POST", "/things", "good", `{"a":1}`, 200, `{"a":1}`},
		{"bad token gets the platform's error", "GET", "/things/7", "bad", "", 401, "unauthorized"},
		{"public route skips auth", "GET", "/open", "", "", 200, "open[]"},
		{"unknown path, after auth", "GET", "/nope", "good", "", 404, "no route /nope for u1"},
		{"unknown path needs auth too", "GET", "/nope", "", "", 401, "unauthorized"},
		// ServeMux would answer these itself (405, 301); a platform answers
		// them as unknown paths.
		{"other method is not a 405", "DELETE", "/things/7", "good", "", 404, "no route /things/7 for u1"},
		{"HEAD is not GET", "HEAD", "/things/7", "good", "", 404, "no route /things/7 for u1"},
		{"unclean path is not redirected", "GET", "/things//7", "good", "", 404, "no route /things//7 for u1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body := x.do(t, tc.method, tc.target, tc.token, tc.body)
			if status != tc.status || body != tc.want {
				t.Errorf("got %d %q, want %d %q", status, body, tc.status, tc.want)
			}
		})
	}
}

func TestFailNextAnswersQueuedFaultsInOrderAfterAuth(t *testing.T) {
	t.Parallel()
	x := setup(t)
	x.kit.FailNext(fault{429, "slow down"}, fault{500, "oops"})
	if status, body := x.do(t, "GET", "/things/1", "bad", ""); status != 401 || body != "unauthorized" {
		t.Fatalf("auth failure consumed a fault? %d %q", status, body)
	}
	if status, body := x.do(t, "GET", "/open", "", ""); status != 200 {
		t.Fatalf("public route got a fault: %d %q", status, body)
	}
	for _, want := range []string{"429 slow down", "500 oops", "200 u1:1"} {
		status, body := x.do(t, "GET", "/things/1", "good", "")
		if got := fmt.Sprintf("%d %s", status, body); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestFailureRateIsSeeded(t *testing.T) {
	t.Parallel()
	run := func() string {
		x := setup(t, func(c *Config[fault, string]) { c.FailureRate = 0.5; c.Rand = rand.NewPCG(3, 4) })
		var b strings.Builder
		for range 40 {
			status, _ := x.do(t, "GET", "/things/1", "good", "")
			fmt.Fprintf(&b, "%d ", status)
		}
		return b.String()
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("same seed, different failures:\n%s\n%s", a, b)
	}
	if n := strings.Count(a, "503"); n < 8 || n > 32 {
		t.Errorf("%d/40 transient failures at rate 0.5", n)
	}
}

func TestLatencyHonoursTheRequestContext(t *testing.T) {
	t.Parallel()
	x := setup(t, func(c *Config[fault, string]) { c.Latency = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/things/1", nil).WithContext(ctx)
	r.Header.Set("Authorization", "Bearer good")
	done := make(chan struct{})
	w := httptest.NewRecorder()
	go func() { x.kit.ServeHTTP(w, r); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("latency ignored a cancelled request")
	}
	if w.Body.Len() != 0 {
		t.Errorf("a dropped request was answered: %q", w.Body)
	}

	x = setup(t, func(c *Config[fault, string]) { c.Latency = 20 * time.Millisecond })
	start := time.Now()
	x.do(t, "GET", "/things/1", "good", "")
	if time.Since(start) < 20*time.Millisecond {
		t.Error("latency not applied")
	}
}

func TestBodyBeyondMaxBodyStaysReadable(t *testing.T) {
	t.Parallel()
	x := setup(t, func(c *Config[fault, string]) { c.MaxBody = 4 })
	if _, body := x.do(t, "POST", "/things", "good", "0123456789"); body != "0123456789" {
		t.Errorf("handler read %q", body)
	}
}

func TestBeginAndRoutePathRunBeforeRouting(t *testing.T) {
	t.Parallel()
	x := setup(t, func(c *Config[fault, string]) {
		c.Begin = func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("X-Request-Id", "r1") }
		c.RoutePath = func(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, "/v1") }
	})
	x.kit.Handle("GET /echo", func(w http.ResponseWriter, r *http.Request, _ string) {
		_, _ = io.WriteString(w, r.URL.String())
	})
	if _, body := x.do(t, "GET", "/v1/echo?a=b", "good", ""); body != "/v1/echo?a=b" {
		t.Errorf("handler saw %q, want the request's own URL", body)
	}
	r := httptest.NewRequest("GET", "/v1/things/3", nil)
	r.Header.Set("Authorization", "Bearer good")
	w := httptest.NewRecorder()
	x.kit.ServeHTTP(w, r)
	if w.Body.String() != "u1:3" || w.Header().Get("X-Request-Id") != "r1" {
		t.Errorf("got %q, header %q", w.Body, w.Header().Get("X-Request-Id"))
	}
}

func TestClockDefaultsAndIsInjectable(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := setup(t, func(c *Config[fault, string]) { c.Now = func() time.Time { return at } }).kit.Now(); !got.Equal(at) {
		t.Errorf("Now() = %v", got)
	}
	if got := setup(t).kit.Now(); time.Since(got) > time.Minute {
		t.Errorf("default clock = %v", got)
	}
}

var errToyWebhook = errors.New("toy: webhook failed")

func TestNotifySignsAndWrapsTheEmulatorsError(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Header.Get("X-Sig")+" "+r.UserAgent()+" "+string(b))
		mu.Unlock()
		if strings.Contains(string(b), "reject") {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	x := setup(t, func(c *Config[fault, string]) {
		c.Webhook = Webhook{Header: "X-Sig", UserAgent: "toyua", Err: errToyWebhook,
			Sign: func(secret string, body []byte) string { return secret + ":" + fmt.Sprint(len(body)) }}
	})
	if err := x.kit.Notify(func() ([]byte, error) { t.Error("built without a target"); return nil, nil }); err != nil {
		t.Fatalf("no target: %v", err)
	}
	x.kit.SetWebhook(srv.URL, "s3cret")
	if err := x.kit.Notify(func() ([]byte, error) { return []byte(`{"a":1}`), nil }); err != nil {
		t.Fatalf("notify: %v", err)
	}
	if err := x.kit.Notify(func() ([]byte, error) { return []byte(`"reject"`), nil }); !errors.Is(err, errToyWebhook) {
		t.Errorf("refused delivery: %v", err)
	}
	if err := x.kit.Notify(func() ([]byte, error) { return nil, errors.New("no body") }); !errors.Is(err, errToyWebhook) {
		t.Errorf("build failure: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != `s3cret:7 toyua {"a":1}` {
		t.Errorf("deliveries = %q", got)
	}
	x.kit.SetWebhook("", "")
	if x.kit.Webhook() != nil {
		t.Error("empty url left a target")
	}
}
