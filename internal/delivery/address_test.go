package delivery

import (
	"net/netip"
	"testing"
)

const (
	pub  = ClassPublic
	loop = ClassLoopback
	priv = ClassPrivate
	spec = ClassSpecial
)

// classCases walk every range of the policy with addresses just inside and
// just outside each edge, and each embedding form with public and
// non-public embedded addresses.
var classCases = []struct {
	addr string
	want Class
}{
	// IPv4.
	{"0.0.0.0", spec}, {"0.255.255.255", spec}, {"1.0.0.0", pub},
	{"9.255.255.255", pub}, {"10.0.0.0", priv}, {"10.255.255.255", priv}, {"11.0.0.0", pub},
	{"100.63.255.255", pub}, {"100.64.0.0", priv}, {"100.127.255.255", priv}, {"100.128.0.0", pub},
	{"126.255.255.255", pub}, {"127.0.0.0", loop}, {"127.0.0.1", loop}, {"127.255.255.255", loop}, {"128.0.0.0", pub},
	{"169.253.255.255", pub}, {"169.254.0.0", spec}, {"169.254.169.254", spec}, {"169.254.255.255", spec}, {"169.255.0.0", pub},
	{"172.15.255.255", pub}, {"172.16.0.0", priv}, {"172.31.255.255", priv}, {"172.32.0.0", pub},
	{"191.255.255.255", pub}, {"192.0.0.0", spec}, {"192.0.0.7", spec}, {"192.0.0.8", spec}, {"192.0.0.9", spec},
	{"192.0.0.10", spec}, {"192.0.0.170", spec}, {"192.0.0.171", spec}, {"192.0.0.255", spec}, {"192.0.1.0", pub},
	{"192.0.1.255", pub}, {"192.0.2.0", spec}, {"192.0.2.255", spec}, {"192.0.3.0", pub},
	{"192.31.195.255", pub}, {"192.31.196.0", spec}, {"192.31.196.255", spec}, {"192.31.197.0", pub},
	{"192.52.192.255", pub}, {"192.52.193.0", spec}, {"192.52.193.255", spec}, {"192.52.194.0", pub},
	{"192.88.98.255", pub}, {"192.88.99.0", spec}, {"192.88.99.2", spec}, {"192.88.99.255", spec}, {"192.88.100.0", pub},
	{"192.167.255.255", pub}, {"192.168.0.0", priv}, {"192.168.255.255", priv}, {"192.169.0.0", pub},
	{"192.175.47.255", pub}, {"192.175.48.0", spec}, {"192.175.48.255", spec}, {"192.175.49.0", pub},
	{"198.17.255.255", pub}, {"198.18.0.0", spec}, {"198.19.255.255", spec}, {"198.20.0.0", pub},
	{"198.51.99.255", pub}, {"198.51.100.0", spec}, {"198.51.100.255", spec}, {"198.51.101.0", pub},
	{"203.0.112.255", pub}, {"203.0.113.0", spec}, {"203.0.113.255", spec}, {"203.0.114.0", pub},
	{"223.255.255.255", pub}, {"224.0.0.0", spec}, {"239.255.255.255", spec}, {"240.0.0.0", spec},
	{"255.255.255.254", spec}, {"255.255.255.255", spec},
	{"8.8.8.8", pub}, {"93.184.216.34", pub},

	// IPv6 outside 2000::/3.
	{"::", spec}, {"::1", loop}, {"::2", spec}, {"::8.8.8.8", spec}, {"::169.254.169.254", spec}, {"::127.0.0.1", spec},
	{"::ffff:ffff", spec}, {"::1:0:0", spec},
	{"::fffe:ffff:ffff", spec}, {"::ffff:0.0.0.0", spec}, {"::ffff:8.8.8.8", pub}, {"::ffff:127.0.0.1", loop},
	{"::ffff:10.0.0.1", priv}, {"::ffff:169.254.169.254", spec}, {"::ffff:255.255.255.255", spec}, {"::1:0:0:0", spec},
	{"::ffff:0:8.8.8.8", spec}, // IPv4-translated (RFC 2765), outside 2000::/3
	{"64:ff9b::808:808", pub}, {"64:ff9b::8.8.8.8", pub}, {"64:ff9b::a9fe:a9fe", spec}, {"64:ff9b::7f00:1", spec},
	{"64:ff9b::a00:1", spec}, {"64:ff9b::c000:201", spec}, {"64:ff9b::", spec}, {"64:ff9b::ffff:ffff", spec},
	{"64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", spec}, {"64:ff9b::1:0:0", spec},
	{"64:ff9b:1::808:808", spec}, {"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", spec}, {"64:ff9b:2::808:808", spec},
	{"100::", spec}, {"100::ffff:ffff:ffff:ffff", spec}, {"100:0:0:1::", spec}, {"100:0:0:1:ffff:ffff:ffff:ffff", spec},
	{"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", spec}, {"4000::", spec}, {"5f00::", spec}, {"5f00:ffff::1", spec},
	{"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", spec}, {"fc00::", priv}, {"fd00::1", priv},
	{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", priv}, {"fe00::", spec}, {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", spec},
	{"fe80::", spec}, {"fe80::1", spec}, {"fe80::1%eth0", spec}, {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", spec},
	{"fec0::", spec}, {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", spec}, {"ff00::", spec}, {"ff02::1", spec},
	{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", spec},

	// IPv6 inside 2000::/3.
	{"2000::", pub}, {"2606:4700:4700::1111", pub}, {"3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", pub}, // last of 2000::/3
	{"3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", pub}, {"3fff::", spec}, {"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", spec},
	{"3fff:1000::", pub},
	// Teredo 2001::/32: server in bits 32–63, client inverted in 96–127.
	{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", pub},  // server 65.54.227.120, client 8.8.8.8
	{"2001:0:4136:e378:8000:63bf:3fff:fdd2", spec}, // client 192.0.2.45
	{"2001:0:a00:1:8000:63bf:f7f7:f7f7", spec},     // server 10.0.0.1
	{"2001:0:4136:e378:8000:63bf:5601:5656", spec}, // client 169.254.169.169
	{"2001::", spec}, // server 0.0.0.0
	{"2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", pub}, // just below 2001::/23
	{"2001:1::", spec}, {"2001:1::1", spec}, {"2001:1::2", spec}, {"2001:1::3", spec}, {"2001:1::4", spec},
	{"2001:2::", spec}, {"2001:2:0:ffff:ffff:ffff:ffff:ffff", spec}, {"2001:2:1::", spec},
	{"2001:3::", spec}, {"2001:3:ffff:ffff:ffff:ffff:ffff:ffff", spec},
	{"2001:4:112::", spec}, {"2001:4:112:ffff:ffff:ffff:ffff:ffff", spec}, {"2001:4:113::", spec},
	{"2001:10::", spec}, {"2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", spec},
	{"2001:20::", pub}, {"2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", pub}, {"2001:30::", pub},
	{"2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", pub}, {"2001:40::", spec},
	{"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", spec}, {"2001:200::", pub}, // last of 2001::/23, first after
	{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", pub}, {"2001:db8::", spec}, {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", spec},
	{"2001:db9::", pub},
	// 6to4 2002::/16: the IPv4 address in bits 16–47.
	{"2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", pub}, {"2002:808:808::1", pub}, {"2002:a9fe:a9fe::1", spec},
	{"2002:7f00:1::", spec}, {"2002:c0a8:101::", spec}, {"2002:a00:1::", spec}, {"2002::", spec},
	{"2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", spec}, {"2003::", pub},
	{"2620:4f:7fff:ffff:ffff:ffff:ffff:ffff", pub}, {"2620:4f:8000::", spec}, {"2620:4f:8000:ffff:ffff:ffff:ffff:ffff", spec},
	{"2620:4f:8001::", pub},
}

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, c := range classCases {
		if got := Classify(netip.MustParseAddr(c.addr)); got.Class != c.want {
			t.Errorf("Classify(%s) = %v (%s), want %v", c.addr, got.Class, got.Range, c.want)
		}
	}
	if got := Classify(netip.Addr{}); got.Class != ClassSpecial {
		t.Errorf("the zero Addr is %v", got.Class)
	}
}

// TestEveryRangeDecidesItsEdges: each range's first and last addresses are
// decided by that range (or one nested in it), and the addresses just
// outside by another one, so no row is shadowed and no off-by-one widens or
// narrows a range.
func TestEveryRangeDecidesItsEdges(t *testing.T) {
	t.Parallel()
	seen := map[netip.Prefix]bool{}
	for _, r := range ranges {
		if seen[r.prefix] || r.prefix != r.prefix.Masked() {
			t.Errorf("%s is listed twice or not in canonical form", r)
		}
		seen[r.prefix] = true
		first := r.prefix.Addr()
		last := lastAddr(r.prefix)
		for _, a := range []netip.Addr{first, last} {
			if got := lookup(a); got.prefix != r.prefix && (got.prefix.Bits() <= r.prefix.Bits() || !r.prefix.Overlaps(got.prefix)) {
				t.Errorf("%s (edge of %s) is decided by %s", a, r, got)
			}
		}
		for _, a := range []netip.Addr{first.Prev(), last.Next()} {
			if a.IsValid() && a.BitLen() == first.BitLen() && lookup(a).prefix == r.prefix {
				t.Errorf("%s (outside %s) is decided by it", a, r)
			}
		}
	}
}

// TestNamedRangesAreRefused: every range the issue names, and the metadata
// address in each form that embeds it.
func TestNamedRangesAreRefused(t *testing.T) {
	t.Parallel()
	for _, a := range []string{
		"64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "2002:a9fe:a9fe::", "::169.254.169.254", "::ffff:169.254.169.254",
		"2001:0:4136:e378:8000:63bf:5601:5656", "198.18.0.1", "240.0.0.1", "192.0.0.1", "192.0.2.1", "198.51.100.1",
		"203.0.113.1", "224.0.0.1", "ff02::1", "0.0.0.1", "fe80::1", "2001:db8::1", "255.255.255.255", "169.254.169.254",
	} {
		v, ok := Policy{AllowPrivate: true}.Allows(netip.MustParseAddr(a))
		if ok || v.Class != ClassSpecial || v.Range == "" {
			t.Errorf("%s: verdict %+v, allowed %v even for the operator", a, v, ok)
		}
	}
	for _, a := range []string{"100.64.0.1", "fc00::1", "10.0.0.5", "127.0.0.1", "::1"} {
		if _, ok := (Policy{}).Allows(netip.MustParseAddr(a)); ok {
			t.Errorf("%s allowed without the operator's flag", a)
		}
	}
}

func TestPolicyAllowPrivate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		addr          string
		plain, withOp bool
	}{
		{"93.184.216.34", true, true}, {"2606:4700:4700::1111", true, true}, {"64:ff9b::808:808", true, true},
		{"127.0.0.1", false, true}, {"::1", false, true}, {"::ffff:127.0.0.1", false, true}, {"10.0.0.5", false, true},
		{"172.16.0.1", false, true}, {"192.168.1.1", false, true}, {"100.64.0.1", false, true}, {"fd12:3456::1", false, true},
		// The operator's flag opens loopback and private networks, never
		// link-local metadata or translations of private addresses.
		{"169.254.169.254", false, false}, {"fe80::1", false, false}, {"64:ff9b::7f00:1", false, false},
		{"64:ff9b::a00:5", false, false}, {"2002:7f00:1::", false, false}, {"::127.0.0.1", false, false},
		{"0.0.0.0", false, false}, {"::", false, false}, {"224.0.0.1", false, false},
	} {
		a := netip.MustParseAddr(c.addr)
		if _, ok := (Policy{}).Allows(a); ok != c.plain {
			t.Errorf("%s allowed = %v, want %v", c.addr, ok, c.plain)
		}
		if _, ok := (Policy{AllowPrivate: true}).Allows(a); ok != c.withOp {
			t.Errorf("%s allowed with the operator's flag = %v, want %v", c.addr, ok, c.withOp)
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
