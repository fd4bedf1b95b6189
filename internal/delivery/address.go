package delivery

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
)

// Class is what kind of address a delivery would go to.
type Class uint8

const (
	// ClassPublic is globally reachable unicast: deliveries may go there.
	ClassPublic Class = iota
	// ClassLoopback is this host (127.0.0.0/8, ::1).
	ClassLoopback
	// ClassPrivate is a private network: RFC 1918, shared address space
	// (RFC 6598, which tailnets and carrier NAT use) and unique-local IPv6.
	ClassPrivate
	// ClassSpecial is everything else that is not globally reachable:
	// link-local (cloud metadata lives at 169.254.169.254), documentation,
	// benchmarking, reserved, multicast, broadcast, anycast addresses of
	// services the nearest network runs, and translation or tunnelling
	// addresses that embed any of those.
	ClassSpecial
)

func (c Class) String() string {
	switch c {
	case ClassPublic:
		return "public"
	case ClassLoopback:
		return "loopback"
	case ClassPrivate:
		return "private"
	}
	return "special-purpose"
}

// Verdict is the class of an address and the range that decided it, for
// messages ("link-local 169.254.0.0/16"); it never repeats the address.
type Verdict struct {
	Class Class
	Range string
}

// Policy decides where deliveries may go.
//
// AllowPrivate is the operator's PARLEY_WEBHOOK_ALLOW_PRIVATE (and the
// sandbox): it opens loopback and private networks, for a receiver on the
// operator's own machine or LAN. It never opens ClassSpecial — link-local
// (the cloud metadata service), reserved, multicast, and NAT64, 6to4, Teredo
// or IPv4-compatible forms of private addresses — because no receiver a
// self-hoster runs needs those and they are how a URL reaches what it should
// not. IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address itself on a
// dual-stack socket, so it gets the IPv4 address's class.
type Policy struct {
	AllowPrivate bool
}

// Allows reports whether deliveries may go to a, and why not.
func (p Policy) Allows(a netip.Addr) (Verdict, bool) {
	v := Classify(a)
	switch v.Class {
	case ClassPublic:
		return v, true
	case ClassLoopback, ClassPrivate:
		return v, p.AllowPrivate
	}
	return v, false
}

// Classify says what kind of address a is. It is pure: a table lookup (the
// most specific matching range wins) plus, for the forms that embed an IPv4
// address, the class of what they embed.
func Classify(a netip.Addr) Verdict {
	a = a.WithZone("")
	if !a.IsValid() {
		return Verdict{ClassSpecial, "invalid address"}
	}
	r := lookup(a)
	if r.embeds == nil {
		return Verdict{r.class, r.String()}
	}
	if a.Is4In6() {
		// The kernel sends to the IPv4 address itself.
		return Classify(a.Unmap())
	}
	for _, v4 := range r.embeds(a) {
		if v := Classify(v4); v.Class != ClassPublic {
			return Verdict{ClassSpecial, fmt.Sprintf("%s embedding %s", r, v.Range)}
		}
	}
	return Verdict{ClassPublic, r.String()}
}

func (r addrRange) String() string { return r.name + " " + r.prefix.String() }

type addrRange struct {
	prefix netip.Prefix
	name   string
	class  Class
	// embeds extracts the IPv4 addresses an IPv6 form carries; the address
	// is public only when every one of them is.
	embeds func(netip.Addr) []netip.Addr
}

func lookup(a netip.Addr) addrRange {
	for _, r := range ranges {
		if r.prefix.Contains(a) {
			return r
		}
	}
	panic("delivery: no range covers " + a.String()) // 0.0.0.0/0 and ::/0 cover everything
}

// ranges mirrors the IANA IPv4 and IPv6 Special-Purpose Address Registries
// row for row (checked 2026-11-30; the IPv6 registry's last update then was
// 2025-10-09):
//
//	https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml
//	https://www.iana.org/assignments/iana-ipv6-special-registry/iana-ipv6-special-registry.xhtml
//
// plus what the address-space registries reserve outside them (multicast,
// site-local, everything in IPv6 outside 2000::/3):
//
//	https://www.iana.org/assignments/multicast-addresses/multicast-addresses.xhtml
//	https://www.iana.org/assignments/ipv6-address-space/ipv6-address-space.xhtml
//
// A row marked "Globally Reachable: False" is never public. Rows marked True
// are public except the anycast addresses (PCP, TURN, DNS-SD SRP, AMT,
// AS112, 6to4/6a44 relays): those are answered by whichever nearby network
// runs the service, often the operator's own router, and no webhook receiver
// lives there. Registry updates that add a range land in the 0.0.0.0/0 or
// 2000::/3 rows until this table is updated; outside 2000::/3, IPv6 is
// refused by default, so new IPv6 special ranges there are safe already.
var ranges = sortRanges([]addrRange{
	// IPv4.
	v4("0.0.0.0/0", "global unicast", ClassPublic),
	v4("0.0.0.0/8", "\"this network\"", ClassSpecial),
	v4("10.0.0.0/8", "private-use", ClassPrivate),
	v4("100.64.0.0/10", "shared address space", ClassPrivate),
	v4("127.0.0.0/8", "loopback", ClassLoopback),
	v4("169.254.0.0/16", "link-local", ClassSpecial),
	v4("172.16.0.0/12", "private-use", ClassPrivate),
	v4("192.0.0.0/24", "IETF protocol assignments", ClassSpecial),
	v4("192.0.0.0/29", "IPv4 service continuity", ClassSpecial),
	v4("192.0.0.8/32", "IPv4 dummy address", ClassSpecial),
	v4("192.0.0.9/32", "port control protocol anycast", ClassSpecial),
	v4("192.0.0.10/32", "TURN anycast", ClassSpecial),
	v4("192.0.0.170/31", "NAT64/DNS64 discovery", ClassSpecial),
	v4("192.0.2.0/24", "documentation (TEST-NET-1)", ClassSpecial),
	v4("192.31.196.0/24", "AS112 anycast", ClassSpecial),
	v4("192.52.193.0/24", "AMT relay anycast", ClassSpecial),
	v4("192.88.99.0/24", "deprecated 6to4 relay anycast", ClassSpecial),
	v4("192.168.0.0/16", "private-use", ClassPrivate),
	v4("192.175.48.0/24", "AS112 direct delegation anycast", ClassSpecial),
	v4("198.18.0.0/15", "benchmarking", ClassSpecial),
	v4("198.51.100.0/24", "documentation (TEST-NET-2)", ClassSpecial),
	v4("203.0.113.0/24", "documentation (TEST-NET-3)", ClassSpecial),
	v4("224.0.0.0/4", "multicast", ClassSpecial),
	v4("240.0.0.0/4", "reserved", ClassSpecial),
	v4("255.255.255.255/32", "limited broadcast", ClassSpecial),

	// IPv6.
	v6("::/0", "reserved by the IETF", ClassSpecial),
	v6("::/128", "unspecified", ClassSpecial),
	v6("::1/128", "loopback", ClassLoopback),
	// Deprecated by RFC 4291 §2.5.5.1; nothing routes it, so refuse it
	// whatever it embeds.
	v6("::/96", "IPv4-compatible", ClassSpecial),
	embedding("::ffff:0:0/96", "IPv4-mapped", last32),
	embedding("64:ff9b::/96", "NAT64", last32),
	v6("64:ff9b:1::/48", "local-use IPv4/IPv6 translation", ClassSpecial),
	v6("100::/64", "discard-only", ClassSpecial),
	v6("100:0:0:1::/64", "dummy prefix", ClassSpecial),
	v6("2000::/3", "global unicast", ClassPublic),
	v6("2001::/23", "IETF protocol assignments", ClassSpecial),
	embedding("2001::/32", "Teredo", teredo),
	v6("2001:1::1/128", "port control protocol anycast", ClassSpecial),
	v6("2001:1::2/128", "TURN anycast", ClassSpecial),
	v6("2001:1::3/128", "DNS-SD service registration anycast", ClassSpecial),
	v6("2001:2::/48", "benchmarking", ClassSpecial),
	v6("2001:3::/32", "AMT relay anycast", ClassSpecial),
	v6("2001:4:112::/48", "AS112 anycast", ClassSpecial),
	v6("2001:10::/28", "deprecated ORCHID", ClassSpecial),
	v6("2001:20::/28", "ORCHIDv2", ClassPublic),
	v6("2001:30::/28", "drone remote ID entity tags", ClassPublic),
	v6("2001:db8::/32", "documentation", ClassSpecial),
	embedding("2002::/16", "6to4", sixToFour),
	v6("2620:4f:8000::/48", "AS112 direct delegation anycast", ClassSpecial),
	v6("3fff::/20", "documentation", ClassSpecial),
	v6("5f00::/16", "segment routing SIDs", ClassSpecial),
	v6("fc00::/7", "unique-local", ClassPrivate),
	v6("fe80::/10", "link-local", ClassSpecial),
	v6("fec0::/10", "deprecated site-local", ClassSpecial),
	v6("ff00::/8", "multicast", ClassSpecial),
})

func v4(p, name string, c Class) addrRange {
	return addrRange{prefix: netip.MustParsePrefix(p), name: name, class: c}
}

func v6(p, name string, c Class) addrRange { return v4(p, name, c) }

func embedding(p, name string, embeds func(netip.Addr) []netip.Addr) addrRange {
	return addrRange{prefix: netip.MustParsePrefix(p), name: name, class: ClassSpecial, embeds: embeds}
}

// sortRanges puts the most specific ranges first, so the first match wins.
func sortRanges(rs []addrRange) []addrRange {
	slices.SortStableFunc(rs, func(a, b addrRange) int { return cmp.Compare(b.prefix.Bits(), a.prefix.Bits()) })
	return rs
}

// last32 is the IPv4 address in the low 32 bits (IPv4-mapped, and NAT64's
// well-known prefix per RFC 6052 §2.2).
func last32(a netip.Addr) []netip.Addr {
	b := a.As16()
	return []netip.Addr{netip.AddrFrom4([4]byte(b[12:16]))}
}

// sixToFour is the IPv4 address in bits 16–47 (RFC 3056 §2).
func sixToFour(a netip.Addr) []netip.Addr {
	b := a.As16()
	return []netip.Addr{netip.AddrFrom4([4]byte(b[2:6]))}
}

// teredo is the Teredo server (bits 32–63) and the client's public address,
// stored inverted in bits 96–127 (RFC 4380 §4).
func teredo(a netip.Addr) []netip.Addr {
	b := a.As16()
	client := [4]byte{^b[12], ^b[13], ^b[14], ^b[15]}
	return []netip.Addr{netip.AddrFrom4([4]byte(b[4:8])), netip.AddrFrom4(client)}
}
