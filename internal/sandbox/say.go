package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/config"
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
		c, err := sb.Server.Service.Authenticate(r.Context(), r.Header.Get("Authorization"))
		if err != nil || c.OrgID != sb.Org.ID {
			http.Error(w, `{"error":{"code":"auth.invalid_key","message":"use the sandbox's API key"}}`, http.StatusUnauthorized)
			return
		}
		var in struct {
			Platform string `json:"platform"`
			Text     string `json:"text"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil || strings.TrimSpace(in.Text) == "" {
			http.Error(w, `{"error":{"code":"validation.required","message":"send {\"platform\":\"instagram\",\"text\":\"hi\"}"}}`, http.StatusUnprocessableEntity)
			return
		}
		said, err := sb.Say(r.Context(), platform.Name(strings.ToLower(in.Platform)), in.Text)
		if err != nil {
			http.Error(w, fmt.Sprintf(`{"error":{"code":"system.sandbox","message":%q}}`, err.Error()), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"data": said})
	})
	mux.Handle("/", next)
	return mux
}
