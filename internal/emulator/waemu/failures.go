package waemu

import "strings"

// Asynchronous failures. "Cloud API errors are returned either
// synchronously as a Graph API response, asynchronously via Webhook, or
// sometimes through both methods"
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes,
// checked 2026-11-30). For the failures decided at delivery rather than at
// the request, the Cloud API answers the send 200 with a wamid and later
// posts a status webhook {status: "failed", errors: [{code, title, message,
// error_data: {details}, href}]} without pricing (the message is not
// billed) — e.g. 131047 "Meta accepts synchronously, then rejects async
// via the on.status webhook" (fabrahaingo/joel PR #314, 2026-07-04). The
// emulator does the same for:
//
//   - 131047 re-engagement: a free-form message outside the customer
//     service window (synchronous instead with Options.SyncFailures);
//   - 131026 undeliverable: a user MarkUndeliverable names (synchronous
//     with Options.SyncFailures);
//   - 131049 "This message was not delivered to maintain healthy ecosystem
//     engagement": a marketing template to a user at WhatsApp's per-user
//     marketing limit (MarkMarketingLimited); always asynchronous;
//   - 130472 "User's number is part of an experiment": a marketing
//     template to a user in Meta's marketing message experiment
//     (MarkInExperiment) with no open service or free entry point window;
//     "a status messages webhook will be triggered with status set to
//     failed and error code set to 130472"
//     (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/experiments,
//     updated Nov 13 2025).

// Codes of the failures reported only in status webhooks.
const (
	CodeEcosystemLimit = 131049 // per-user marketing template limit
	CodeExperiment     = 130472 // user in the marketing message experiment
)

// ErrorHref is the href Meta puts in a failed status's errors[].
const ErrorHref = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"

// Failure is why an accepted message failed, as its failed status webhook
// reports it.
type Failure struct {
	Code    int
	Title   string
	Message string
	Details string
}

// failureOf turns a synchronous error into the failure a status webhook
// carries for it: the same code, title and details.
func failureOf(ae *Error) *Failure {
	title := ae.Body.Message
	// Meta's synchronous message is "(#CODE) Title"; the webhook carries the title alone.
	if i := strings.Index(title, ") "); strings.HasPrefix(title, "(#") && i > 0 {
		title = title[i+2:]
	}
	f := &Failure{Code: ae.Body.Code, Title: title, Message: title}
	if ae.Body.ErrorData != nil {
		f.Details = ae.Body.ErrorData.Details
	}
	return f
}

func failEcosystem() *Failure {
	t := "This message was not delivered to maintain healthy ecosystem engagement."
	return &Failure{Code: CodeEcosystemLimit, Title: t, Message: t,
		Details: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."}
}

func failExperiment() *Failure {
	t := "User's number is part of an experiment"
	return &Failure{Code: CodeExperiment, Title: t, Message: t,
		Details: "Failed to send message because this user's phone number is part of an experiment"}
}

// MarkMarketingLimited puts a user at WhatsApp's per-user marketing limit:
// marketing templates to them are accepted and then fail with 131049.
func (e *Emulator) MarkMarketingLimited(waID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.user(waID).marketingLimited = true
}

// MarkInExperiment puts a user in Meta's marketing message experiment:
// marketing templates to them fail with 130472 unless a customer service
// or free entry point window is open.
func (e *Emulator) MarkInExperiment(waID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.user(waID).inExperiment = true
}

// deliveryFailure decides, for an accepted send, whether it fails later.
// Must be called with e.mu held.
func (e *Emulator) deliveryFailure(u *waUser, tpl *Template, inWindow, inEntryPoint bool) *Failure {
	marketing := tpl != nil && strings.EqualFold(tpl.Category, "MARKETING")
	switch {
	case !inWindow && tpl == nil:
		return failureOf(errReengagement())
	case e.undeliver[u.waID]:
		return failureOf(errUndeliverable())
	case marketing && u.marketingLimited:
		return failEcosystem()
	case marketing && u.inExperiment && !inWindow && !inEntryPoint:
		return failExperiment()
	}
	return nil
}
