package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/parleyhq/parley/internal/delivery"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/fakedns"
	"github.com/parleyhq/parley/internal/webhook/stdwebhook"
)

// refusedLiterals are URLs whose literal address deliveries never go to,
// whatever the operator allows.
var refusedLiterals = []string{
	"http://169.254.169.254/latest/meta-data/", "http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b::7f00:1]/",
	"http://[64:ff9b:1::808:808]/", "http://[2002:a9fe:a9fe::1]/", "http://[::169.254.169.254]/",
	"http://[::ffff:169.254.169.254]/", "http://[2001:0:4136:e378:8000:63bf:5601:5656]/", "http://198.18.0.1/",
	"http://240.0.0.1/", "http://192.0.0.9/", "http://192.0.2.1/", "http://198.51.100.1/", "http://203.0.113.1/",
	"http://224.0.0.1/", "http://0.0.0.0/", "http://[::]/", "http://[fe80::1%25lo]/", "http://[2001:db8::1]/",
	"http://255.255.255.255/", "http://[3fff::1]/", "http://[ff02::1]/",
}

// TestClientRefusesAtConnect: the dialer refuses the address it is about to
// dial, before connecting, so these fail at once with the refusal (no test
// server can listen on them, and nothing is sent to them).
func TestClientRefusesAtConnect(t *testing.T) {
	v6 := hasIPv6()
	for _, allowPrivate := range []bool{false, true} {
		urls := refusedLiterals
		if !allowPrivate {
			urls = append(urls, "http://10.0.0.5/", "http://100.64.0.1/", "http://[fc00::1]/", "http://127.0.0.1:1/", "http://[::1]:1/")
		}
		client := delivery.NewClient(delivery.Config{AllowPrivate: allowPrivate})
		for _, u := range urls {
			if !v6 && strings.Contains(u, "[") {
				continue
			}
			start := time.Now()
			_, err := client.Post(u, "application/json", strings.NewReader("{}"))
			if !errors.Is(err, delivery.ErrAddressNotAllowed) {
				t.Errorf("allowPrivate=%v %s: err = %v, want ErrAddressNotAllowed", allowPrivate, u, err)
				continue
			}
			if r := delivery.ReasonOf(err, 0); r != delivery.ReasonAddressNotAllowed {
				t.Errorf("%s: reason %q", u, r)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s: refused after %s; the check must run before connecting", u, d)
			}
		}
	}
}

// TestClientChecksResolvedAddresses: a name is checked by what it resolves
// to at connect time, every time, so a name that passed registration and
// then rebinds to loopback or to the metadata address is refused, and the
// receiver listening there is never contacted.
func TestClientChecksResolvedAddresses(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	dns := fakedns.New()
	url := fmt.Sprintf("http://hook.rebind.test:%d/hook", port)
	post := func(allowPrivate bool) error {
		res, err := delivery.NewClient(delivery.Config{AllowPrivate: allowPrivate, Resolver: dns.Resolver()}).
			Post(url, "application/json", strings.NewReader("{}"))
		if err == nil {
			res.Body.Close()
		}
		return err
	}

	dns.Set("hook.rebind.test", "127.0.0.1")
	if err := post(false); !errors.Is(err, delivery.ErrAddressNotAllowed) {
		t.Fatalf("name rebound to loopback: err = %v, want ErrAddressNotAllowed", err)
	}
	dns.Set("hook.rebind.test", "169.254.169.254")
	if err := post(true); !errors.Is(err, delivery.ErrAddressNotAllowed) {
		t.Fatalf("name rebound to the metadata address, operator allowing private: err = %v", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the receiver behind a refused address got %d requests", n)
	}
	// Each address is checked, not the answer as a whole: with the operator
	// allowing loopback, the refused address is skipped and loopback used.
	dns.Set("hook.rebind.test", "169.254.169.254", "127.0.0.1")
	if err := post(true); err != nil || hits.Load() != 1 {
		t.Fatalf("allowed loopback beside a refused address: err %v, hits %d", err, hits.Load())
	}
	if dns.Queries("hook.rebind.test") < 3 {
		t.Fatalf("the name was resolved %d times; it must be resolved on every connect", dns.Queries("hook.rebind.test"))
	}
	// localhost goes through the system resolver and is loopback.
	local := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if _, err := delivery.NewClient(delivery.Config{}).Get(local); !errors.Is(err, delivery.ErrAddressNotAllowed) {
		t.Fatalf("localhost: err = %v, want ErrAddressNotAllowed", err)
	}
}

// TestReasons: each way an attempt fails maps to its stable reason, and
// neither the reason nor its sentence repeats an address or a port.
func TestReasons(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client hanging up
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(block) // before slow.Close, which waits for the handler
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSrv.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()
	dns := fakedns.New()

	// Only the slow endpoint meets the short timeout; the others get a
	// generous one, so a TLS handshake slowed by a busy machine is still
	// judged a TLS failure rather than a timeout.
	short := delivery.NewClient(delivery.Config{AllowPrivate: true, Timeout: 200 * time.Millisecond, Resolver: dns.Resolver()})
	long := delivery.NewClient(delivery.Config{AllowPrivate: true, Timeout: 30 * time.Second, Resolver: dns.Resolver()})
	for _, c := range []struct {
		url, want string
		client    *http.Client
	}{
		{"http://169.254.169.254/", delivery.ReasonAddressNotAllowed, long},
		{slow.URL, delivery.ReasonTimeout, short},
		{closedURL, delivery.ReasonConnRefused, long},
		{tlsSrv.URL, delivery.ReasonTLS, long},
		{"http://nowhere.rebind.test/", delivery.ReasonDNS, long},
	} {
		_, err := c.client.Post(c.url, "application/json", strings.NewReader("{}"))
		if err == nil {
			t.Fatalf("%s: no error", c.url)
		}
		if got := delivery.ReasonOf(err, 0); got != c.want {
			t.Errorf("%s: reason %q, want %q (err %v)", c.url, got, c.want, err)
		}
		assertNoAddress(t, delivery.Describe(c.want, 0))
	}
	for status, want := range map[int]string{500: delivery.ReasonHTTPStatus, 404: delivery.ReasonHTTPStatus, 302: delivery.ReasonRedirect, 308: delivery.ReasonRedirect} {
		if got := delivery.ReasonOf(errors.New("endpoint answered"), status); got != want {
			t.Errorf("status %d: reason %q, want %q", status, got, want)
		}
	}
	if d := delivery.Describe(delivery.ReasonHTTPStatus, 503); !strings.Contains(d, "503") {
		t.Errorf("http_status sentence %q lacks the status", d)
	}
	// Records written before reasons existed hold raw error text; it is
	// shown as a reason, never as the text.
	for stored, want := range map[string]string{
		`Post "http://hook.example:8080/x": delivery: address is not public: 10.0.0.5`:                                 delivery.ReasonAddressNotAllowed,
		`Post "https://h.example/x": dial tcp 10.1.2.3:443: connect: connection refused`:                               delivery.ReasonConnRefused,
		`Post "https://h.example/x": dial tcp: lookup h.example on 10.255.255.53:53: no such host`:                     delivery.ReasonDNS,
		`Post "https://h.example/x": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`:       delivery.ReasonTimeout,
		`Post "https://h.example/x": tls: failed to verify certificate: x509: certificate signed by unknown authority`: delivery.ReasonTLS,
		"something else at 192.0.2.1:443": delivery.ReasonFailed,
		delivery.ReasonTimeout:            delivery.ReasonTimeout,
	} {
		if got := delivery.NormalizeReason(stored, 0); got != want {
			t.Errorf("NormalizeReason(%q) = %q, want %q", stored, got, want)
		}
	}
	if got := delivery.NormalizeReason("endpoint answered 500", 500); got != delivery.ReasonHTTPStatus {
		t.Errorf("legacy status record: %q", got)
	}
}

// assertNoAddress fails when s looks like it carries an address or port.
func assertNoAddress(t *testing.T, s string) {
	t.Helper()
	for _, bad := range []string{"127.0.0.1", "169.254", "::", "dial", "tcp", "lookup", "localhost"} {
		if strings.Contains(s, bad) {
			t.Errorf("%q contains %q", s, bad)
		}
	}
	if regexp.MustCompile(`\d+\.\d+\.\d+\.\d+|:\d{2,5}\b`).MatchString(s) {
		t.Errorf("%q contains an address or port", s)
	}
}

func hasIPv6() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func TestRetryScheduleWithJitter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	w := delivery.NewWorker(delivery.Config{Now: func() time.Time { return now }})
	for attempt := 1; attempt < len(delivery.Schedule); attempt++ {
		want := delivery.Schedule[attempt]
		for range 50 {
			got := w.NextRetry(&river.Job[delivery.Args]{JobRow: &rivertype.JobRow{Attempt: attempt}}).Sub(now)
			if got < want-want/10 || got > want+want/10 {
				t.Fatalf("attempt %d: retry in %s, want %s ±10%%", attempt, got, want)
			}
		}
	}
	var total time.Duration
	for _, d := range delivery.Schedule {
		total += d
	}
	if total < 24*time.Hour || total > 36*time.Hour {
		t.Fatalf("schedule spans %s, want about a day", total)
	}
}

// TestEndpointFailingForDaysIsDisabled: once every delivery has failed for
// DisableAfter, the next failure disables the endpoint and records the notice.
func TestEndpointFailingForDaysIsDisabled(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		ring, _ := secrets.GenerateKey(time.Now())
		keys, _ := secrets.ParseKeyRing(ring)
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
		defer down.Close()

		now := time.Now().UTC()
		org := store.Organization{ID: store.NewID("org"), Name: "o", CreatedAt: now}
		if err := db.CreateOrganization(ctx, org); err != nil {
			t.Fatal(err)
		}
		since := now.Add(-delivery.DisableAfter - time.Hour)
		ep := store.Endpoint{ID: store.NewID("whep"), OrgID: org.ID, URL: down.URL, Enabled: true, FailingSince: &since, CreatedAt: now, UpdatedAt: now}
		secret, _ := stdwebhook.NewSecret()
		ep.Secret, _ = keys.Seal([]byte(secret), []byte(ep.ID))
		if err := db.CreateEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
		ev := store.Event{ID: store.NewID("evt"), OrgID: org.ID, Type: "message.received", DedupeKey: "k", Payload: []byte(`{}`), CreatedAt: now}
		if _, err := db.InsertEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		var notices []string
		disableErr := errors.New("database unavailable")
		w := delivery.NewWorker(delivery.Config{Store: db, Keys: keys, AllowPrivate: true,
			Disable: func(_ context.Context, orgID, endpointID, reason string, _ time.Time) error {
				notices = append(notices, orgID+"/"+endpointID+": "+reason)
				return disableErr
			}})
		job := &river.Job[delivery.Args]{JobRow: &rivertype.JobRow{Attempt: 3},
			Args: delivery.Args{OrgID: org.ID, EventID: ev.ID, EndpointID: ep.ID}}
		// Disabling failed: the job must be retried, not cancelled, or the
		// endpoint would never be disabled.
		err := w.Work(ctx, job)
		var cancel *river.JobCancelError
		if err == nil || errors.As(err, &cancel) || !errors.Is(err, disableErr) {
			t.Fatalf("Work = %v, want a retryable error carrying the disable failure", err)
		}
		disableErr = nil
		err = w.Work(ctx, job)
		if !errors.As(err, &cancel) {
			t.Fatalf("Work = %v, want the job cancelled", err)
		}
		want := org.ID + "/" + ep.ID + ": every delivery failed for " + delivery.DisableAfter.String()
		if len(notices) != 2 || notices[1] != want {
			t.Fatalf("disable calls %q, want two ending with %q", notices, want)
		}
		atts, _ := db.ListAttempts(ctx, org.ID, ev.ID, "", store.Page{})
		if len(atts) != 2 || atts[0].StatusCode != 503 || atts[0].Success || atts[0].Error != delivery.ReasonHTTPStatus {
			t.Fatalf("attempts: %+v", atts)
		}
	})
}
