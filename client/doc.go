// Package client is the Go SDK of Parley's REST API: typed methods for
// every operation, structured errors, retries and webhook verification.
//
// Create a Client with the server's URL and an API key, then call it with
// a context:
//
//	c, err := client.New("https://parley.example.com", os.Getenv("PARLEY_API_KEY"), client.Options{})
//	for conv, err := range c.Conversations(ctx, client.ConversationQuery{Unread: client.Ptr(true)}) { … }
//	msg, err := c.SendMessage(ctx, conv.ID, apitype.SendInput{Text: "Thanks!"})
//
// The values it returns are the public JSON shapes of package
// github.com/parleyhq/parley/apitype, the same types the server renders.
//
// Errors. A refusal is an *Error carrying the server's Code, Message,
// Meta, HTTP Status and RequestID (find it with errors.As, or ask
// IsWindowClosed, IsRateLimited, IsNotFound, HasCode).
//
// Retries. A 429 is retried after the server's Retry-After, and a 5xx or a
// connection failure of an idempotent request after a short backoff, up to
// Options.MaxRetries times. Sends are made idempotent: SendMessage sends an
// Idempotency-Key (generated when the input has none) and reuses it on each
// retry, so a retried send never sends twice.
//
// Pagination. ListXxx methods return one page; the plural methods
// (Conversations, Messages, Accounts, …) return an iter.Seq2 that follows
// the cursors until the last page or the first error.
//
// Webhooks. WebhookReceiver verifies Parley's Standard Webhooks signatures
// and decodes each event into a typed value.
package client
