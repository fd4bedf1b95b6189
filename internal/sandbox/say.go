package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/envelope"
	"github.com/parleyhq/parley/internal/platform"
)

// webhookSecrets gives each platform app of this run its own secret, so the
// emulators' webhooks are signed exactly as the platforms sign theirs.
func webhookSecrets(cfg *config.Config) {
	gen := func() string {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}
	cfg.MetaAppSecret, cfg.MetaVerifyToken = gen(), gen()
	cfg.XConsumerSecret, cfg.LinkedInClientSecret = gen(), gen()
}

// connectWebhooks points every emulator's webhooks at Parley.
func (sb *Sandbox) connectWebhooks(base string, cfg config.Config) {
	sb.Emulators.Graph.SetWebhook(base+"/webhooks/meta", cfg.MetaAppSecret)
	sb.Emulators.WhatsApp.SetWebhook(base+"/webhooks/meta", cfg.MetaAppSecret)
	sb.Emulators.X.SetWebhook(base+"/webhooks/x", cfg.XConsumerSecret)
	sb.Emulators.LinkedIn.SetWebhook(base+"/webhooks/linkedin", cfg.LinkedInClientSecret)
}

// Said is the answer to a simulated inbound DM.
type Said struct {
	Platform       string `json:"platform"`
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
}

// Say has the seeded customer on a platform write text to the business. The
// message arrives in the emulator, which posts its signed webhook to Parley,
// which records it and delivers message.received to the user's endpoints.
func (sb *Sandbox) Say(ctx context.Context, p platform.Name, text string) (Said, error) {
	e, s := sb.Emulators, sb.Seeded
	out := Said{Platform: string(p)}
	var err error
	switch p {
	case platform.Instagram, platform.Messenger:
		m, ierr := e.Graph.Inbound(s.NativeIDs[p], "6100000000000001", text)
		out.MessageID, out.ConversationID, err = m.ID, s.Conversations[string(p)+"/open"], ierr
	case platform.WhatsApp:
		m, ierr := e.WhatsApp.InboundAndNotify(s.NativeIDs[p], sampleWaID, "Ana", text)
		out.MessageID, out.ConversationID, err = m.ID, s.Conversations["whatsapp/open"], ierr
	case platform.X:
		ev, ierr := e.X.Inbound(s.NativeIDs[p], "1500000000000000002", text)
		out.MessageID, out.ConversationID, err = ev.ID, s.Conversations["x/open"], ierr
	case platform.LinkedIn:
		m, ierr := e.LinkedIn.Inbound(s.NativeIDs[p], "urn:li:person:sandboxEli", text)
		out.MessageID, out.ConversationID, err = m.ID, s.Conversations["linkedin/open"], ierr
	default:
		return out, fmt.Errorf("sandbox: no emulator for platform %q", p)
	}
	return out, err
}

// sayHandler serves POST /sandbox/inbound {"platform","text"} for the
// sandbox's own organisation.
func (sb *Sandbox) sayHandler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sandbox/inbound", func(w http.ResponseWriter, r *http.Request) {
		reply := func(status int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		}
		c, err := sb.Server.Service.Authenticate(r.Context(), r.Header.Get("Authorization"))
		if err != nil || c.OrgID != sb.Org.ID {
			reply(http.StatusUnauthorized, envelope.FromError(apierr.New(http.StatusUnauthorized, "auth.invalid_key", "use the sandbox's API key"), ""))
			return
		}
		var in struct {
			Platform string `json:"platform"`
			Text     string `json:"text"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil || strings.TrimSpace(in.Text) == "" {
			reply(http.StatusUnprocessableEntity, envelope.FromError(apierr.Required("text").With("example", map[string]string{"platform": "instagram", "text": "hi"}), ""))
			return
		}
		said, err := sb.Say(r.Context(), platform.Name(strings.ToLower(in.Platform)), in.Text)
		if err != nil {
			reply(http.StatusBadGateway, envelope.FromError(apierr.New(http.StatusBadGateway, "system.sandbox", "%s", err.Error()), ""))
			return
		}
		reply(http.StatusCreated, envelope.Single[Said]{Data: said})
	})
	mux.Handle("/", next)
	return mux
}
