package delivery_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/internal/delivery"
)

// TestPolicyUnmapsIPv4InIPv6: an IPv4 address written as IPv4-mapped IPv6
// is judged as the IPv4 address it is, so the IPv4-only ranges (the shared
// CGNAT space) cannot be reached by spelling them ::ffff:a.b.c.d.
func TestPolicyUnmapsIPv4InIPv6(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"::ffff:100.64.0.1":      false,
		"::ffff:100.127.255.254": false,
		"::ffff:127.0.0.1":       false,
		"::ffff:10.1.2.3":        false,
		"::ffff:169.254.169.254": false,
		"::ffff:93.184.216.34":   true,
		"::ffff:100.128.0.1":     true, // just past the CGNAT block
		"100.63.255.255":         true, // just before it
		"::ffff:0.0.0.0":         false,
		"::ffff:255.255.255.255": false,
	} {
		if _, got := (delivery.Policy{}).Allows(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allows(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestClientDoesNotFollowRedirects: a 3xx is a failed attempt (DESIGN §4),
// never a second request — otherwise a public endpoint could bounce
// deliveries, signed, to an internal address.
func TestClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))
	defer internal.Close()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		bounce := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, internal.URL+"/admin", status)
		}))
		// Loopback is allowed here so the test can run the two servers; the
		// redirect rule holds whatever the address policy.
		res, err := delivery.NewClient(delivery.Config{AllowPrivate: true}).Post(bounce.URL, "application/json", nil)
		bounce.Close()
		if err != nil {
			t.Fatalf("%d: %v", status, err)
		}
		res.Body.Close()
		if res.StatusCode != status {
			t.Errorf("%d: answered %d, want the redirect itself", status, res.StatusCode)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the redirect target was requested %d times", n)
	}
}
