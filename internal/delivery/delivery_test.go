package delivery_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/parleyhq/parley/internal/delivery"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/webhook/stdwebhook"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1:248:1893:25c8:1946": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false,
		"::1": false, "fe80::1": false, "fc00::1": false, "100.64.0.1": false, "0.0.0.0": false, "::ffff:127.0.0.1": false,
	} {
		if got := delivery.Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

// The guard runs at connect time, so a public-looking name that resolves
// to loopback is refused too.
func TestClientRefusesPrivateAtConnect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	_, err := delivery.NewClient(false).Get(url)
	if !errors.Is(err, delivery.ErrPrivateAddress) {
		t.Fatalf("loopback delivery: err = %v, want ErrPrivateAddress", err)
	}
	res, err := delivery.NewClient(true).Get(url)
	if err != nil {
		t.Fatalf("allowed loopback delivery: %v", err)
	}
	res.Body.Close()
}

func TestRetryScheduleWithJitter(t *testing.T) {
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
		if len(atts) != 2 || atts[0].StatusCode != 503 || atts[0].Success {
			t.Fatalf("attempts: %+v", atts)
		}
	})
}
