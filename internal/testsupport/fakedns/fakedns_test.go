package fakedns_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/parleyhq/parley/internal/testsupport/fakedns"
)

func TestScriptedAnswers(t *testing.T) {
	dns := fakedns.New()
	dns.Set("hook.example.test", "93.184.216.34", "2606:2800:220:1::1")
	r := dns.Resolver()
	got, err := r.LookupNetIP(context.Background(), "ip", "hook.example.test")
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, netip.Addr.Compare)
	if want := []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("2606:2800:220:1::1")}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Rebinding: the next look-up sees the new answer.
	dns.Set("hook.example.test", "169.254.169.254")
	if got, _ := r.LookupNetIP(context.Background(), "ip4", "hook.example.test"); len(got) != 1 || got[0] != netip.MustParseAddr("169.254.169.254") {
		t.Fatalf("after rebinding: %v", got)
	}
	if dns.Queries("hook.example.test") < 2 {
		t.Fatalf("queries: %d", dns.Queries("hook.example.test"))
	}
	var dnsErr *net.DNSError
	if _, err := r.LookupNetIP(context.Background(), "ip", "nowhere.example.test"); !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("unknown name: %v", err)
	}
}
