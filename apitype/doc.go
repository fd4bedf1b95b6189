// Package apitype holds the JSON shapes of Parley's public API (DESIGN §1):
// the resources it answers with, the bodies it accepts, and the envelopes
// around both.
//
// It imports nothing of Parley's, only the standard library, so anything
// that speaks the API — the REST server, its Go client, the MCP tools, a
// future SDK — can share these types without depending on the server's
// domain layer. The server computes the values (the reply window in
// internal/rules, the views in the domain packages); this package only says
// what they look like on the wire. JSON tags here are the contract: change
// one and every client breaks.
package apitype
