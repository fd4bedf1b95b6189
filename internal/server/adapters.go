package server

import (
	"context"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/journal"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/linkedin"
	"github.com/parleyhq/parley/internal/platform/meta"
	"github.com/parleyhq/parley/internal/platform/whatsapp"
	"github.com/parleyhq/parley/internal/platform/xapi"
)

// Adapters builds the five platform adapters from configuration. Every
// platform call shares one HTTP client, whose pool is sized for fan-out.
func Adapters(cfg config.Config, jr *journal.Journal) platform.Registry {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	metaOpts := meta.Options{HTTPClient: hc, FacebookBaseURL: cfg.GraphFacebookURL, InstagramBaseURL: cfg.GraphInstagramURL}
	return platform.Registry{
		platform.Instagram: meta.NewInstagram(metaOpts),
		platform.Messenger: meta.NewMessenger(metaOpts),
		platform.WhatsApp: whatsapp.New(whatsapp.Options{BaseURL: cfg.WhatsAppURL, HTTPClient: hc, Journal: jr,
			WABAID: func(_ context.Context, acct platform.Account) (string, error) {
				if acct.BusinessAccountID == "" {
					return "", apierr.Required("business_account_id").With("hint", "set business_account_id on the WhatsApp account to list its templates")
				}
				return acct.BusinessAccountID, nil
			}}),
		platform.X:        xapi.New(cfg.XURL, hc),
		platform.LinkedIn: linkedin.New(cfg.LinkedInURL, hc),
	}
}
