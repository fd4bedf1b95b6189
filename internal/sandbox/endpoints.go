package sandbox

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/service"
)

// StartStandalone starts the five emulators and seeds them, without Parley:
// for developers who point their own platform SDKs at them
// (`parley sandbox emulators`). Close the Emulators when done.
func StartStandalone(now time.Time) (*Emulators, Seeded, error) {
	e, err := StartEmulators(EmulatorOptions{})
	if err != nil {
		return nil, Seeded{}, err
	}
	s, err := e.Seed(context.Background(), nil, service.Caller{}, "", now)
	if err != nil {
		e.Close()
		return nil, Seeded{}, err
	}
	return e, s, nil
}

// Endpoints writes each emulator's base URL with the seeded account's native
// id and access token, and one request to try: what a platform SDK needs to
// talk to the emulator instead of the real host.
func (e *Emulators) Endpoints(w io.Writer, s Seeded) {
	rows := []struct {
		name, url, idLabel string
		p                  platform.Name
		extra, try         string
	}{
		{"Messenger (graph.facebook.com)", e.FacebookURL, "page id", platform.Messenger, "",
			fmt.Sprintf("curl -s '%s/v25.0/me/conversations?platform=messenger&access_token=%s'", e.FacebookURL, s.Tokens[platform.Messenger])},
		{"Instagram (graph.instagram.com)", e.InstagramURL, "instagram account id", platform.Instagram, "",
			fmt.Sprintf("curl -s '%s/v25.0/me/conversations?platform=instagram&access_token=%s'", e.InstagramURL, s.Tokens[platform.Instagram])},
		{"WhatsApp Cloud API (graph.facebook.com)", e.WhatsAppURL, "phone number id", platform.WhatsApp, "WABA id " + waWABAID,
			fmt.Sprintf("curl -s '%s/v25.0/%s/message_templates' -H 'Authorization: Bearer %s'", e.WhatsAppURL, waWABAID, s.Tokens[platform.WhatsApp])},
		{"X API (api.x.com)", e.XURL, "user id", platform.X, "",
			fmt.Sprintf("curl -s '%s/2/dm_events' -H 'Authorization: Bearer %s'", e.XURL, s.Tokens[platform.X])},
		{"LinkedIn (api.linkedin.com)", e.LinkedInURL, "organization", platform.LinkedIn, "",
			""},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %s\n    base URL      %s\n    %-13s %s\n    access token  %s\n", r.name, r.url, r.idLabel, s.NativeIDs[r.p], s.Tokens[r.p])
		if r.extra != "" {
			fmt.Fprintf(w, "    %s\n", r.extra)
		}
		if r.try != "" {
			fmt.Fprintf(w, "    try           %s\n", r.try)
		}
		fmt.Fprintln(w)
	}
}
