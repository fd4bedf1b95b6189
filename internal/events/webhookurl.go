package events

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/delivery"
)

// resolveTimeout bounds the look-up of an endpoint's host at registration.
const resolveTimeout = 3 * time.Second

// checkURL validates an endpoint URL (POST/PATCH /v1/webhooks). Its host
// must be allowed by delivery.Policy: a literal address directly, a name
// through every address it resolves to now. A name that does not resolve is
// accepted — the receiver may not be up yet — and delivery checks the
// address it actually dials on every attempt, so a name that resolves or
// rebinds to a refused address later is refused then.
func (s *Events) checkURL(ctx context.Context, raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || len(raw) > 2048 {
		return "", apierr.Invalid("url", "url must be an absolute http(s) URL without credentials")
	}
	if err := s.checkHost(ctx, u.Hostname()); err != nil {
		return "", err
	}
	if u.Scheme != "https" && !s.allowPrivate {
		return "", apierr.Invalid("url", "url must use https")
	}
	// What is stored is what delivery will parse: it must parse to the
	// same host.
	out := u.String()
	if again, err := url.Parse(out); err != nil || again.Hostname() != u.Hostname() {
		return "", apierr.Invalid("url", "url must be an absolute http(s) URL without credentials")
	}
	return out, nil
}

func (s *Events) checkHost(ctx context.Context, host string) error {
	policy := delivery.Policy{AllowPrivate: s.allowPrivate}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			// Zones only scope link-local addresses, which are refused.
			return apierr.Invalid("url", "url host must not carry an IPv6 zone")
		}
		if v, ok := policy.Allows(a); !ok {
			return addressRefused(v.Class, s.allowPrivate, "url is a "+v.Range+" address").With("range", v.Range)
		}
		return nil
	}
	if numericHost(host) {
		// Resolvers built on inet_aton read "127.1", "0x7f.0.0.1" or
		// "2130706433" as 127.0.0.1, and browsers follow the WHATWG URL
		// standard in doing the same; refuse the ambiguity outright.
		return apierr.Invalid("url", "url host %q looks like an IPv4 address in a non-standard form; write it as four decimal numbers a.b.c.d", host).
			With("reason", "ambiguous_address")
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		// RFC 6761 §6.3: these names are loopback whatever DNS says.
		if !s.allowPrivate {
			return addressRefused(delivery.ClassLoopback, false, "url host "+host+" is loopback")
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	r := s.resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if v, ok := policy.Allows(a); !ok {
			// The class, not the address or range: on a shared deployment
			// the names a tenant probes should not map internal DNS for them.
			return addressRefused(v.Class, s.allowPrivate, "url host "+host+" resolves to a "+v.Class.String()+" address")
		}
	}
	return nil
}

func addressRefused(c delivery.Class, allowPrivate bool, what string) *apierr.Error {
	why := "; webhooks are never delivered to special-purpose addresses (link-local, reserved, documentation, multicast, or translations of them)"
	if (c == delivery.ClassLoopback || c == delivery.ClassPrivate) && !allowPrivate {
		why = "; the operator has not allowed loopback or private addresses (PARLEY_WEBHOOK_ALLOW_PRIVATE)"
	}
	return apierr.Invalid("url", "%s%s", what, why).With("reason", delivery.ReasonAddressNotAllowed).With("address_class", c.String())
}

// numericHost reports whether a host that is not a valid IP address would
// still be read as an IPv4 address by the WHATWG URL standard and by
// inet_aton: its last label (ignoring one trailing dot) is a decimal, octal
// or 0x-hexadecimal number.
func numericHost(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if l := strings.ToLower(last); strings.HasPrefix(l, "0x") {
		return strings.Trim(l[2:], "0123456789abcdef") == ""
	}
	return strings.Trim(last, "0123456789") == ""
}
