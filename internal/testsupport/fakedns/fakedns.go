// Package fakedns scripts DNS answers for tests: a *net.Resolver (Go's own
// resolver, as production uses it) whose queries are answered in process,
// so a test can make a name resolve to an address no test server can listen
// on, or change its answer between two look-ups (DNS rebinding).
package fakedns

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
)

// Server holds the scripted answers. Names not set answer NXDOMAIN.
type Server struct {
	mu      sync.Mutex
	answers map[string][]netip.Addr
	queries map[string]int
}

// New returns a Server with no names.
func New() *Server {
	return &Server{answers: map[string][]netip.Addr{}, queries: map[string]int{}}
}

// Set makes name resolve to addrs (replacing what it resolved to before).
func (s *Server) Set(name string, addrs ...string) {
	as := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		as[i] = netip.MustParseAddr(a)
	}
	s.mu.Lock()
	s.answers[canonical(name)] = as
	s.mu.Unlock()
}

// Queries is how many questions (A and AAAA each count) name was asked.
func (s *Server) Queries(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[canonical(name)]
}

func canonical(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// Resolver is a resolver that asks only this Server.
func (s *Server) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		go s.serve(server)
		return client, nil
	}}
}

// serve answers DNS over a stream (two-byte length, then the message), which
// is how Go's resolver talks to a connection that is not a PacketConn.
func (s *Server) serve(c net.Conn) {
	defer c.Close()
	for {
		var n [2]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		a := s.answer(q)
		if a == nil {
			return
		}
		out := binary.BigEndian.AppendUint16(nil, uint16(len(a)))
		if _, err := c.Write(append(out, a...)); err != nil {
			return
		}
	}
}

const (
	typeA    = 1
	typeAAAA = 28
)

// answer builds the reply to one query: the header and question echoed,
// then an A or AAAA record per scripted address of the asked family.
func (s *Server) answer(q []byte) []byte {
	if len(q) < 12 {
		return nil
	}
	// The question: labels up to the root, then type and class.
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	question := q[12 : i+5]
	name := canonical(strings.Join(labels, "."))

	s.mu.Lock()
	addrs, known := s.answers[name]
	s.queries[name]++
	s.mu.Unlock()

	var records []byte
	count := 0
	for _, a := range addrs {
		var rdata []byte
		switch {
		case a.Is4() && qtype == typeA:
			b := a.As4()
			rdata = b[:]
		case a.Is6() && qtype == typeAAAA:
			b := a.As16()
			rdata = b[:]
		default:
			continue
		}
		records = append(records, 0xc0, 12) // the name: a pointer to the question's
		records = binary.BigEndian.AppendUint16(records, qtype)
		records = binary.BigEndian.AppendUint16(records, 1) // IN
		records = binary.BigEndian.AppendUint32(records, 1) // TTL
		records = binary.BigEndian.AppendUint16(records, uint16(len(rdata)))
		records = append(records, rdata...)
		count++
	}
	h := make([]byte, 12)
	copy(h[0:2], q[0:2])                              // id
	flags := uint16(0x8000 | 0x0400)                  // response, authoritative
	flags |= binary.BigEndian.Uint16(q[2:4]) & 0x0100 // recursion desired, echoed
	flags |= 0x0080                                   // recursion available
	if !known {
		flags |= 3 // NXDOMAIN
	}
	binary.BigEndian.PutUint16(h[2:4], flags)
	binary.BigEndian.PutUint16(h[4:6], 1)
	binary.BigEndian.PutUint16(h[6:8], uint16(count))
	return append(append(h, question...), records...)
}
