package events

import (
	"context"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/delivery"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/testsupport/fakedns"
)

func TestNumericHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"127.1": true, "0x7f.0.0.1": true, "2130706433": true, "017700000001": true, "1.2.3.4.": true, "0X7F": true,
		"10.0.0.09": true, "hooks.example.com": false, "example.com.": false, "1.2.3.example": false, "0xg": false,
		"a-1": false, "": false, "x.0x": true,
	} {
		if got := numericHost(host); got != want {
			t.Errorf("numericHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// FuzzCheckURL: no URL panics the check; an accepted URL is accepted again
// as returned, and its host is never a literal address the policy refuses
// nor a number a resolver would read as one.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/parley", "http://127.1/", "https://0x7f.0.0.1/", "https://2130706433/",
		"https://[64:ff9b::a9fe:a9fe]/", "https://[fe80::1%25eth0]/", "https://localhost./", "http://:80/", "https://127.0.0.1./",
		"https://[::ffff:7f00:1]:8443/x?y#z", "https://user@h.example/"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	dns := fakedns.New()
	dns.Set("public.fuzz.test", "93.184.216.34")
	dns.Set("private.fuzz.test", "10.0.0.5")
	f.Fuzz(func(t *testing.T, raw string, allowPrivate bool) {
		s := New(domain.Deps{}, Config{AllowPrivate: allowPrivate, Resolver: dns.Resolver()})
		got, err := s.checkURL(context.Background(), raw)
		if err != nil {
			return
		}
		u, perr := url.Parse(got)
		if perr != nil {
			t.Fatalf("accepted %q as %q, which does not parse: %v", raw, got, perr)
		}
		host := u.Hostname()
		if a, err := netip.ParseAddr(host); err == nil {
			if v, ok := (delivery.Policy{AllowPrivate: allowPrivate}).Allows(a); !ok {
				t.Fatalf("accepted %q with a refused address (%s)", raw, v.Range)
			}
		} else if numericHost(host) {
			t.Fatalf("accepted %q with the numeric host %q", raw, host)
		}
		if again, err := s.checkURL(context.Background(), got); err != nil || again != got {
			t.Fatalf("%q accepted as %q, which then gives %q, %v", raw, got, again, err)
		}
	})
}

// TestLocalhostRefusedByName: RFC 6761 §6.3 makes "localhost" loopback
// whatever a resolver says, so it is refused by name — before any look-up,
// which on a host without a localhost entry (or with a resolver that lies)
// would not refuse it. The message says so, naming no resolved address.
func TestLocalhostRefusedByName(t *testing.T) {
	t.Parallel()
	dns := fakedns.New()
	dns.Set("localhost", "93.184.216.34") // a resolver that lies
	s := New(domain.Deps{}, Config{Resolver: dns.Resolver()})
	for _, host := range []string{"localhost", "LocalHost", "localhost.", "api.localhost"} {
		_, err := s.checkURL(context.Background(), "https://"+host+"/hook")
		e, ok := apierr.As(err)
		if !ok || e.Meta["reason"] != delivery.ReasonAddressNotAllowed || !strings.HasSuffix(strings.SplitN(e.Message, ";", 2)[0], " is loopback") {
			t.Errorf("https://%s/hook: %v, want refused by name as loopback", host, err)
		}
	}
}
