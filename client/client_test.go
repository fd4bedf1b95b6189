package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
)

// TestEveryOperation calls each REST operation of the served OpenAPI
// document through its typed method, against a running sandbox (the
// emulators behind Parley) on each backend, and fails when the document
// has an operation the client does not cover.
func TestEveryOperation(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		const operatorToken = "operator-token-for-the-client-sdk-test"
		sb, base := sandboxWith(t, b, config.Config{OperatorToken: operatorToken})
		ctx := context.Background()
		c, err := client.New(base, sb.Key.Secret, client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		op, err := client.NewOperator(base, operatorToken, client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var (
			plans  []apitype.PlanView
			tenant apitype.Organization
			upload apitype.Media
		)
		hooks := newHookSink(t)
		conv := sb.Seeded.Conversations["instagram/open"]
		wa := sb.Seeded.Accounts["whatsapp"]
		li := sb.Seeded.Accounts["linkedin"]
		var (
			brand apitype.Brand
			wh    apitype.WebhookEndpoint
			key   apitype.APIKey
			ev    apitype.EventView
		)
		steps := []struct {
			op  string
			run func() error
		}{
			{"listBrands", func() error {
				l, err := c.ListBrands(ctx, client.PageQuery{Limit: 1})
				return want(err, len(l.Data) == 1 && l.Data[0].ID == sb.Brand.ID, "first brand page %+v", l)
			}},
			{"createBrand", func() (err error) {
				brand, err = c.CreateBrand(ctx, apitype.BrandInput{Name: "Second"})
				return want(err, strings.HasPrefix(brand.ID, "brand_"), "created %+v", brand)
			}},
			{"getBrand", func() error {
				got, err := c.GetBrand(ctx, brand.ID)
				return want(err, got.Name == "Second", "got %+v", got)
			}},
			{"updateBrand", func() error {
				got, err := c.UpdateBrand(ctx, brand.ID, apitype.BrandInput{Name: "Renamed"})
				return want(err, got.Name == "Renamed", "updated %+v", got)
			}},
			{"listAccounts", func() error {
				n, err := count(c.Accounts(ctx, client.AccountQuery{Limit: 2}))
				return want(err, n == 5, "%d accounts over pages of 2", n)
			}},
			{"createAccount", func() error {
				_, err := c.CreateAccount(ctx, apitype.AccountInput{BrandID: brand.ID, Platform: "instagram", NativeID: "17841499999999999", AccessToken: "forged"})
				return want(nil, client.HasCode(err, "account.token_invalid"), "a made-up token: %v", err)
			}},
			{"getAccount", func() error {
				a, err := c.GetAccount(ctx, wa)
				return want(err, a.Platform == "whatsapp", "got %+v", a)
			}},
			{"updateAccount", func() error {
				a, err := c.UpdateAccount(ctx, wa, apitype.AccountUpdate{DisplayName: client.Ptr("Support line")})
				return want(err, a.DisplayName == "Support line", "updated %+v", a)
			}},
			{"getWhatsAppUsage", func() error {
				l, err := c.ListWhatsAppUsage(ctx, wa, client.UsageQuery{Month: "2026-01"})
				return want(err, l.Data != nil, "usage %+v", l)
			}},
			{"listWhatsAppTemplates", func() error {
				ts, err := c.ListWhatsAppTemplates(ctx, wa, true)
				return want(err, slices.ContainsFunc(ts, func(t apitype.TemplateInfo) bool { return t.Name == "order_update" }), "templates %+v", ts)
			}},
			{"createConnectSession", func() error {
				s, err := c.CreateConnectSession(ctx, apitype.ConnectSessionInput{Platform: "x", BrandID: brand.ID})
				return want(err, strings.HasPrefix(s.URL, base+"/connect/"), "session %+v", s)
			}},
			{"connectAccount", func() error {
				s, err := c.ConnectAccount(ctx, apitype.ConnectAccountInput{Platform: "x"})
				return want(err, strings.HasPrefix(s.AuthURL, base+"/connect/"), "alias %+v", s)
			}},
			{"listPlatforms", func() error {
				n, err := count(c.Platforms(ctx))
				return want(err, n >= 5, "%d platforms", n)
			}},
			{"createWebhook", func() (err error) {
				wh, err = c.CreateWebhook(ctx, apitype.WebhookInput{URL: &hooks.url})
				return want(err, strings.HasPrefix(wh.Secret, "whsec_"), "endpoint %+v", wh)
			}},
			{"listWebhooks", func() error {
				l, err := c.ListWebhooks(ctx, client.PageQuery{})
				return want(err, len(l.Data) == 1 && l.Data[0].Secret == "", "endpoints %+v (never a secret)", l)
			}},
			{"getWebhook", func() error {
				got, err := c.GetWebhook(ctx, wh.ID)
				return want(err, got.URL == hooks.url, "got %+v", got)
			}},
			{"updateWebhook", func() error {
				got, err := c.UpdateWebhook(ctx, wh.ID, apitype.WebhookInput{Description: client.Ptr("test sink")})
				return want(err, got.Description == "test sink", "updated %+v", got)
			}},
			{"rotateWebhookSecret", func() error {
				got, err := c.RotateWebhookSecret(ctx, wh.ID)
				ok := strings.HasPrefix(got.Secret, "whsec_") && got.Secret != wh.Secret
				wh.Secret = got.Secret
				return want(err, ok, "rotated %+v", got)
			}},
			{"testWebhook", func() (err error) {
				ev, err = c.TestWebhook(ctx, wh.ID)
				if err != nil {
					return err
				}
				hooks.await(t, ev.ID)
				return nil
			}},
			{"listWebhookAttempts", func() error {
				// The attempt is recorded once the endpoint has answered,
				// just after the sink saw the delivery.
				var l client.List[apitype.DeliveryAttempt]
				var err error
				testsupport.Eventually(t, func() bool {
					l, err = c.ListWebhookAttempts(ctx, wh.ID, client.PageQuery{})
					return err != nil || len(l.Data) >= 1
				}, "an attempt listed for endpoint %s", wh.ID)
				return want(err, len(l.Data) >= 1 && l.Data[0].EventID == ev.ID, "attempts %+v", l)
			}},
			{"listEvents", func() error {
				var seen bool
				for e, err := range c.Events(ctx, client.PageQuery{Limit: 1}) {
					if err != nil {
						return err
					}
					seen = seen || e.ID == ev.ID
				}
				return want(nil, seen, "event %s not listed", ev.ID)
			}},
			{"getEvent", func() error {
				got, err := c.GetEvent(ctx, ev.ID)
				if err != nil {
					return err
				}
				d, err := client.DecodeEvent(got)
				data, ok := d.Data.(apitype.WebhookTestEvent)
				return want(err, ok && data.EndpointID == wh.ID, "decoded %+v", d)
			}},
			{"listEventAttempts", func() error {
				var l client.List[apitype.DeliveryAttempt]
				var err error
				testsupport.Eventually(t, func() bool {
					l, err = c.ListEventAttempts(ctx, ev.ID, client.PageQuery{})
					return err != nil || len(l.Data) >= 1
				}, "an attempt listed for event %s", ev.ID)
				return want(err, len(l.Data) >= 1 && l.Data[0].Success, "attempts %+v", l)
			}},
			{"replayEvent", func() error {
				if err := c.ReplayEvent(ctx, ev.ID, wh.ID); err != nil {
					return err
				}
				hooks.awaitN(t, ev.ID, 2)
				return nil
			}},
			{"deleteWebhook", func() error {
				err := c.DeleteWebhook(ctx, wh.ID)
				_, gerr := c.GetWebhook(ctx, wh.ID)
				return want(err, client.IsNotFound(gerr), "after delete: %v", gerr)
			}},
			{"createApiKey", func() (err error) {
				key, err = c.CreateAPIKey(ctx, apitype.CreateAPIKeyInput{Name: "second"})
				return want(err, strings.HasPrefix(key.Secret, "sapi_key_"), "key %+v", key)
			}},
			{"listApiKeys", func() error {
				l, err := c.ListAPIKeys(ctx, client.PageQuery{})
				return want(err, len(l.Data) == 2 && l.Data[0].Secret == "" && l.Data[1].Secret == "", "keys %+v", l)
			}},
			{"revokeApiKey", func() error {
				if err := c.RevokeAPIKey(ctx, key.ID); err != nil {
					return err
				}
				other, _ := client.New(base, key.Secret, client.Options{})
				_, err := other.ListBrands(ctx, client.PageQuery{})
				return want(nil, client.IsUnauthorized(err), "revoked key: %v", err)
			}},
			{"listConversations", func() error {
				var ids []string
				for cv, err := range c.Conversations(ctx, client.ConversationQuery{Platform: "instagram", Limit: 2}) {
					if err != nil {
						return err
					}
					ids = append(ids, cv.ID)
				}
				return want(nil, len(ids) == 3 && slices.Contains(ids, conv), "instagram conversations %v", ids)
			}},
			{"getConversation", func() error {
				cv, err := c.GetConversation(ctx, conv)
				return want(err, cv.ReplyWindow.Open, "conversation %+v", cv)
			}},
			{"listMessages", func() error {
				n, err := count(c.Messages(ctx, conv, client.PageQuery{Limit: 1}))
				return want(err, n == 3, "%d messages over pages of 1", n)
			}},
			{"sendMessage", func() error {
				m, err := c.SendMessage(ctx, conv, apitype.SendInput{Text: "Yes, medium is in stock!", IdempotencyKey: "k-1"})
				again, aerr := c.SendMessage(ctx, conv, apitype.SendInput{Text: "Yes, medium is in stock!", IdempotencyKey: "k-1"})
				return want(errors.Join(err, aerr), m.Direction == "outgoing" && !m.Replayed && again.Replayed && again.ID == m.ID, "sent %+v then %+v", m, again)
			}},
			{"updateConversation", func() error {
				archived, err := c.UpdateConversation(ctx, conv, apitype.ConversationUpdate{Status: "archived"})
				if err != nil {
					return err
				}
				n, lerr := count(c.Conversations(ctx, client.ConversationQuery{Status: "archived"}))
				active, aerr := c.UpdateConversation(ctx, conv, apitype.ConversationUpdate{Status: "active"})
				return want(errors.Join(lerr, aerr), archived.Status == "archived" && n == 1 && active.Status == "active",
					"archived %q (%d listed as archived), then %q", archived.Status, n, active.Status)
			}},
			{"uploadMedia", func() (err error) {
				img := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), make([]byte, 64)...)
				upload, err = c.UploadMedia(ctx, client.MediaUpload{Filename: "size-chart.png", ContentType: "image/png", Data: img, Platform: "instagram"})
				if err != nil {
					return err
				}
				m, err := c.SendMessage(ctx, conv, apitype.SendInput{Text: "Our size chart", Attachments: []apitype.Attachment{{Type: "image", MediaID: upload.ID}}})
				return want(err, upload.Type == "image" && upload.Size == int64(len(img)) && m.Direction == "outgoing", "uploaded %+v, sent %+v", upload, m)
			}},
			{"getMedia", func() error {
				m, err := c.GetMedia(ctx, upload.ID)
				return want(err, m.ID == upload.ID && m.UsedAt != nil, "media after its send %+v", m)
			}},
			{"deleteMedia", func() error {
				err := c.DeleteMedia(ctx, upload.ID)
				_, gerr := c.GetMedia(ctx, upload.ID)
				return want(err, client.IsNotFound(gerr), "after delete: %v", gerr)
			}},
			{"markConversationRead", func() error {
				if err := c.MarkRead(ctx, conv); err != nil {
					return err
				}
				cv, err := c.GetConversation(ctx, conv)
				return want(err, cv.UnreadCount == 0, "after mark read %+v", cv)
			}},
			{"deleteAccount", func() error {
				err := c.DeleteAccount(ctx, li)
				_, gerr := c.GetAccount(ctx, li)
				return want(err, client.IsNotFound(gerr), "after delete: %v", gerr)
			}},
			{"getUsage", func() error {
				u, err := c.GetUsage(ctx)
				return want(err, u.Plan != "", "usage %+v", u)
			}},
			{"operatorListPlans", func() (err error) {
				plans, err = op.ListPlans(ctx)
				return want(err, len(plans) > 1, "plans %+v", plans)
			}},
			{"operatorCreateOrganization", func() (err error) {
				tenant, err = op.CreateOrganization(ctx, apitype.OrganizationInput{Name: "Tenant B"})
				return want(err, strings.HasPrefix(tenant.ID, "org_"), "organisation %+v", tenant)
			}},
			{"operatorListOrganizations", func() error {
				var ids []string
				for o, err := range op.Organizations(ctx) {
					if err != nil {
						return err
					}
					ids = append(ids, o.ID)
				}
				return want(nil, slices.Contains(ids, tenant.ID), "organisations %v", ids)
			}},
			{"operatorGetOrganization", func() error {
				o, err := op.GetOrganization(ctx, tenant.ID)
				return want(err, o.Name == "Tenant B" && o.Usage != nil, "organisation %+v", o)
			}},
			{"operatorSetPlan", func() error {
				last := plans[len(plans)-1].Name
				o, err := op.SetPlan(ctx, tenant.ID, apitype.PlanInput{Plan: last})
				return want(err, o.Plan == last, "after set plan %+v", o)
			}},
			{"operatorCreateApiKey", func() error {
				k, err := op.CreateAPIKey(ctx, tenant.ID, apitype.CreateAPIKeyInput{Name: "first"})
				if err != nil {
					return err
				}
				// The new tenant's key sees none of the sandbox's brands.
				tc, _ := client.New(base, k.Secret, client.Options{})
				n, err := count(tc.Brands(ctx))
				return want(err, n == 0, "the new tenant sees %d brands", n)
			}},
			{"operatorGetUsage", func() error {
				u, err := op.GetUsage(ctx, tenant.ID)
				return want(err, u.Plan == plans[len(plans)-1].Name, "usage %+v", u)
			}},
			{"deleteBrand", func() error {
				err := c.DeleteBrand(ctx, brand.ID)
				_, gerr := c.GetBrand(ctx, brand.ID)
				return want(err, client.IsNotFound(gerr), "after delete: %v", gerr)
			}},
		}
		covered := map[string]bool{}
		for _, s := range steps {
			if err := s.run(); err != nil {
				t.Errorf("%s: %v", s.op, err)
			}
			covered[s.op] = true
		}
		var missing []string
		for _, op := range authenticatedOps(t, base) {
			if !covered[op] {
				missing = append(missing, op)
			}
			delete(covered, op)
		}
		if len(missing) > 0 || len(covered) > 0 {
			t.Errorf("the OpenAPI document's operations %v have no client method; %v are not in the document", missing, covered)
		}
	})
}

// authenticatedOps are the operationIds of the served document that take
// an API key: the REST operations a client calls.
func authenticatedOps(t *testing.T, base string) []string {
	t.Helper()
	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Security    *[]any `json:"security"`
		} `json:"paths"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, methods := range doc.Paths {
		for _, op := range methods {
			if op.Security == nil || len(*op.Security) > 0 {
				ops = append(ops, op.OperationID)
			}
		}
	}
	sort.Strings(ops)
	if len(ops) < 30 {
		t.Fatalf("only %d authenticated operations in the document: %v", len(ops), ops)
	}
	return ops
}

func want(err error, ok bool, format string, args ...any) error {
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("unexpected: " + strings.TrimSpace(sprintf(format, args...)))
	}
	return nil
}

func count[T any](seq func(func(T, error) bool)) (int, error) {
	n := 0
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// hookSink is a webhook endpoint that records the event ids it receives.
type hookSink struct {
	url string
	mu  sync.Mutex
	ids []string
}

func newHookSink(t *testing.T) *hookSink {
	h := &hookSink{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var ev apitype.EventView
		_ = json.Unmarshal(raw, &ev)
		h.mu.Lock()
		h.ids = append(h.ids, ev.ID)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

func (h *hookSink) await(t *testing.T, id string) { t.Helper(); h.awaitN(t, id, 1) }

func (h *hookSink) awaitN(t *testing.T, id string, n int) {
	t.Helper()
	testsupport.Eventually(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		got := 0
		for _, x := range h.ids {
			if x == id {
				got++
			}
		}
		return got >= n
	}, "%d deliveries of %s", n, id)
}

// TestErrors: refusals arrive as *client.Error with the server's code,
// meta, status and request id, and the helpers classify them.
func TestErrors(t *testing.T) {
	sb, base := sandboxFor(t, storetest.Backend{Name: "sqlite"})
	ctx := context.Background()
	c, err := client.New(base, sb.Key.Secret, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SendMessage(ctx, sb.Seeded.Conversations["instagram/human_agent_only"], apitype.SendInput{Text: "Sorry for the wait"})
	var e *client.Error
	if !errors.As(err, &e) || !client.IsWindowClosed(err) || e.Status != 410 || e.RequestID == "" || e.Meta["options"] == nil {
		t.Fatalf("closed window: %#v", err)
	}
	// The same value satisfies the server's own error helpers, which the
	// MCP server relies on when it runs against a remote Parley.
	if ae, ok := apierr.As(err); !ok || ae.Code != "conversation.window_closed" || ae.Status != 410 {
		t.Errorf("apierr.As(%v) = %+v, %v", err, ae, ok)
	}
	if _, err := c.SendMessage(ctx, sb.Seeded.Conversations["whatsapp/closed"], apitype.SendInput{Text: "Hello again"}); !client.IsWindowClosed(err) {
		t.Errorf("whatsapp closed window: %v", err)
	}
	if _, err := c.GetConversation(ctx, "sapi_dm_a/b?c"); !client.IsNotFound(err) || client.IsWindowClosed(err) {
		t.Errorf("not found: %v", err)
	}
	if _, err := c.SendMessage(ctx, sb.Seeded.Conversations["instagram/open"], apitype.SendInput{}); !client.HasCode(err, "validation.required") {
		t.Errorf("empty send: %v", err)
	}
	bad, _ := client.New(base, "sapi_key_nope", client.Options{})
	if _, err := bad.ListBrands(ctx, client.PageQuery{}); !client.IsUnauthorized(err) || client.IsRateLimited(err) {
		t.Errorf("bad key: %v", err)
	}
}

func TestNew(t *testing.T) {
	for _, c := range []struct{ url, key string }{
		{"", "k"}, {"ftp://x", "k"}, {"http://", "k"}, {"http://x", " "}, {"127.0.0.1:8080", "k"},
	} {
		if _, err := client.New(c.url, c.key, client.Options{}); err == nil {
			t.Errorf("New(%q, %q) accepted", c.url, c.key)
		}
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
