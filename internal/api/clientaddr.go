package api

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads PARLEY_TRUSTED_PROXIES: comma-separated CIDRs
// or single addresses of the reverse proxies in front of Parley. A bad
// entry is an error, not skipped: trusting less than the operator meant
// would put every client behind one proxy address, and one client's failed
// keys would then lock out all of them.
func ParseTrustedProxies(spec string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("PARLEY_TRUSTED_PROXIES: %q is neither a CIDR nor an IP address", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// clientAddr is the address a request's rate limits are keyed on: the TCP
// peer, unless the peer is a trusted proxy, in which case X-Forwarded-For is
// read from the right (each proxy appends the address it saw) and the first
// address that is not a trusted proxy is the client. Entries to its left
// were written by the client itself and are never believed; without
// trusted proxies the header is ignored altogether, so a client cannot
// rotate it to escape its limits.
//
// IPv6 clients are keyed by their /64: a single host is routinely given a
// whole /64 and could otherwise change address for every request.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return ""
	}
	client := peer
	if isTrusted(peer, trusted) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, ok := parseAddr(strings.TrimSpace(hops[i]))
			if !ok {
				break // garbage: the last hop we could read is the client
			}
			client = a
			if !isTrusted(a, trusted) {
				break
			}
		}
	}
	if client.Is4() {
		return client.String()
	}
	return netip.PrefixFrom(client, 64).Masked().String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr reads "ip", "ip:port" and "[ipv6]:port", dropping any zone and
// IPv4-in-IPv6 mapping.
func parseAddr(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.WithZone("").Unmap(), true
		}
	}
	return netip.Addr{}, false
}
