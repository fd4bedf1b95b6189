package api

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	t.Parallel()
	proxies, err := ParseTrustedProxies(" 10.0.0.0/8, 192.0.2.1 ,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer, xff string
		trusted         []netip.Prefix
		want            string
	}{
		{"peer", "203.0.113.9:5123", "", nil, "203.0.113.9"},
		{"header ignored without trusted proxies", "203.0.113.9:5123", "198.51.100.1", nil, "203.0.113.9"},
		{"header ignored from an untrusted peer", "203.0.113.9:5123", "198.51.100.1", proxies, "203.0.113.9"},
		{"trusted proxy names the client", "10.1.2.3:80", "198.51.100.1", proxies, "198.51.100.1"},
		{"rightmost untrusted hop wins", "10.1.2.3:80", "6.6.6.6, 198.51.100.1, 192.0.2.1", proxies, "198.51.100.1"},
		{"a client's own prefix is not believed", "10.1.2.3:80", "1.2.3.4, 203.0.113.9", proxies, "203.0.113.9"},
		{"garbage stops the walk at the last readable hop", "10.1.2.3:80", "198.51.100.1, not-an-ip, 10.9.9.9", proxies, "10.9.9.9"},
		{"only proxies: the first one", "10.1.2.3:80", "10.0.0.7, 192.0.2.1", proxies, "10.0.0.7"},
		{"empty header from a proxy", "10.1.2.3:80", "", proxies, "10.1.2.3"},
		{"ports and brackets", "10.1.2.3:80", "[2001:db8:1:2:3:4:5:6]:443", proxies, "2001:db8:1:2::/64"},
		{"IPv6 keyed by /64", "[2001:db8:aa:bb:1::9]:5000", "", nil, "2001:db8:aa:bb::/64"},
		{"IPv4-mapped IPv6 is IPv4", "[::ffff:203.0.113.9]:5000", "", nil, "203.0.113.9"},
		{"IPv6 proxy", "[fd00::1]:80", "203.0.113.5", proxies, "203.0.113.5"},
		{"no usable peer", "@", "", nil, ""},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := clientAddr(r, c.trusted); got != c.want {
			t.Errorf("%s: clientAddr = %q, want %q", c.name, got, c.want)
		}
	}
	// Several header lines are one list, in order.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:80"
	r.Header.Add("X-Forwarded-For", "198.51.100.1")
	r.Header.Add("X-Forwarded-For", "203.0.113.7, 10.0.0.2")
	if got := clientAddr(r, proxies); got != "203.0.113.7" {
		t.Errorf("multi-line header: %q", got)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	t.Parallel()
	for spec, n := range map[string]int{"": 0, " , ": 0, "10.0.0.0/8": 1, "127.0.0.1,::1": 2, "::ffff:10.0.0.1": 1} {
		if p, err := ParseTrustedProxies(spec); err != nil || len(p) != n {
			t.Errorf("%q: %v %v", spec, p, err)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0.1:8080", "10.0.0.0/8;"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzClientAddr: whatever a client writes in X-Forwarded-For, the address
// is a parsable host or /64 and, from an untrusted peer, the peer itself.
func FuzzClientAddr(f *testing.F) {
	f.Add("10.1.2.3:80", "198.51.100.1, 10.0.0.2")
	f.Add("203.0.113.9:1", "1.2.3.4")
	f.Add("10.0.0.1:80", "[fe80::1%eth0]:80, ::ffff:1.2.3.4")
	f.Add("[fd00::1]:80", ",,, ,")
	proxies, _ := ParseTrustedProxies("10.0.0.0/8,fd00::/8")
	f.Fuzz(func(t *testing.T, peer, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", xff)
		got := clientAddr(r, proxies)
		if got == "" {
			if _, ok := parseAddr(peer); ok {
				t.Fatalf("no address for peer %q", peer)
			}
			return
		}
		if _, err := netip.ParseAddr(got); err != nil {
			if p, err := netip.ParsePrefix(got); err != nil || p.Bits() != 64 {
				t.Fatalf("clientAddr(%q, %q) = %q", peer, xff, got)
			}
		}
		if a, ok := parseAddr(peer); ok && !isTrusted(a, proxies) {
			r.Header.Del("X-Forwarded-For")
			if want := clientAddr(r, proxies); got != want {
				t.Fatalf("untrusted peer %q: header %q changed the address to %q", peer, xff, got)
			}
		}
	})
}
