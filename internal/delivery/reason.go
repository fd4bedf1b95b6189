package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// Why a delivery attempt failed, as the attempt records show it. These are
// part of the API: stable codes that name a category and never carry the
// resolved address, port or dial internals.
const (
	ReasonAddressNotAllowed = "address_not_allowed"
	ReasonDNS               = "dns_error"
	ReasonTimeout           = "timeout"
	ReasonConnRefused       = "connection_refused"
	ReasonConnection        = "connection_error"
	ReasonTLS               = "tls_error"
	ReasonHTTPStatus        = "http_status"
	ReasonRedirect          = "redirect_not_followed"
	ReasonInterrupted       = "interrupted"
	ReasonInvalidURL        = "invalid_url"
	ReasonFailed            = "delivery_failed"
)

// Reasons lists every reason code, for documentation and tests.
var Reasons = []string{ReasonAddressNotAllowed, ReasonDNS, ReasonTimeout, ReasonConnRefused, ReasonConnection, ReasonTLS,
	ReasonHTTPStatus, ReasonRedirect, ReasonInterrupted, ReasonInvalidURL, ReasonFailed}

var errInvalidURL = errors.New("delivery: invalid endpoint URL")

// ReasonOf maps a failed attempt (its error and the HTTP status, 0 when no
// answer came) to its reason code.
func ReasonOf(err error, status int) string {
	if status != 0 {
		if status >= 300 && status < 400 {
			return ReasonRedirect
		}
		return ReasonHTTPStatus
	}
	var (
		dnsErr   *net.DNSError
		certErr  *tls.CertificateVerificationError
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
		unknownA x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		netErr   net.Error
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrAddressNotAllowed):
		return ReasonAddressNotAllowed
	case errors.Is(err, errInvalidURL):
		return ReasonInvalidURL
	case errors.As(err, &dnsErr):
		return ReasonDNS
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &alertErr), errors.As(err, &unknownA),
		errors.As(err, &hostErr), errors.As(err, &invalid), strings.Contains(err.Error(), "tls: "):
		return ReasonTLS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ReasonTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonConnRefused
	case errors.Is(err, context.Canceled):
		return ReasonInterrupted
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return ReasonConnection
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return ReasonConnection
	}
	return ReasonFailed
}

// Describe is the sentence shown beside a reason code.
func Describe(reason string, status int) string {
	switch reason {
	case "":
		return ""
	case ReasonAddressNotAllowed:
		return "the endpoint's host resolved to an address deliveries may not go to (private, loopback, link-local or another special-purpose range)"
	case ReasonDNS:
		return "the endpoint's host name could not be resolved"
	case ReasonTimeout:
		return "the endpoint did not answer in time"
	case ReasonConnRefused:
		return "the endpoint refused the connection"
	case ReasonConnection:
		return "the connection to the endpoint failed or closed before it answered"
	case ReasonTLS:
		return "the TLS handshake with the endpoint failed (certificate or protocol)"
	case ReasonHTTPStatus:
		return fmt.Sprintf("the endpoint answered HTTP %d; only 2xx is success", status)
	case ReasonRedirect:
		return fmt.Sprintf("the endpoint answered HTTP %d, a redirect, which is not followed", status)
	case ReasonInterrupted:
		return "the attempt was interrupted while Parley shut down; it is retried"
	case ReasonInvalidURL:
		return "the endpoint URL cannot be requested"
	}
	return "the delivery failed"
}

// NormalizeReason turns what an attempt record stores into a reason code.
// Records written before reason codes existed hold the raw error text; it is
// mapped to a code by its wording so that no address or port in it is shown.
func NormalizeReason(stored string, status int) string {
	for _, r := range Reasons {
		if stored == r {
			return r
		}
	}
	if status != 0 && (status < 200 || status > 299) {
		// The old text was "endpoint answered <status>".
		return ReasonOf(nil, status)
	}
	if stored == "" {
		return ""
	}
	switch s := strings.ToLower(stored); {
	case strings.Contains(s, "address is not public"), strings.Contains(s, "not allowed"):
		return ReasonAddressNotAllowed
	case strings.Contains(s, "no such host"), strings.Contains(s, "lookup "):
		return ReasonDNS
	case strings.Contains(s, "tls: "), strings.Contains(s, "x509: "):
		return ReasonTLS
	case strings.Contains(s, "timeout"), strings.Contains(s, "deadline exceeded"):
		return ReasonTimeout
	case strings.Contains(s, "connection refused"):
		return ReasonConnRefused
	case strings.Contains(s, "context canceled"):
		return ReasonInterrupted
	case strings.Contains(s, "eof"), strings.Contains(s, "connection reset"), strings.Contains(s, "dial tcp"):
		return ReasonConnection
	}
	return ReasonFailed
}
