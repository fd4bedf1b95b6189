package mcpserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/mcpserver"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

const subXSecret = "x-consumer-secret-for-subscriptions"

// listener is an agent's session that records the notifications it hears.
type listener struct {
	cs      *mcp.ClientSession
	updated chan string
	listed  chan struct{}
}

func listen(t *testing.T, e *env, key string, lists bool) *listener {
	t.Helper()
	l := &listener{updated: make(chan string, 16), listed: make(chan struct{}, 16)}
	opts := &mcp.ClientOptions{ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
		l.updated <- r.Params.URI
	}}
	if lists {
		opts.ResourceListChangedHandler = func(context.Context, *mcp.ResourceListChangedRequest) { l.listed <- struct{}{} }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := &mcp.StreamableClientTransport{Endpoint: e.url + "/mcp", MaxRetries: -1,
		HTTPClient: &http.Client{Transport: bearer{key, http.DefaultTransport}}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "listener", Version: "1"}, opts).Connect(ctx, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	l.cs = cs
	return l
}

// next waits for the next resource update, failing after a few seconds.
func (l *listener) next(t *testing.T) string {
	t.Helper()
	select {
	case uri := <-l.updated:
		return uri
	case <-time.After(10 * time.Second):
		t.Fatal("no notifications/resources/updated within 10 s")
		return ""
	}
}

// TestSubscriptions: an agent subscribed to a conversation hears, over the
// Streamable HTTP stream, that the customer wrote, without polling; one
// subscribed to another conversation, or of another organisation, hears
// nothing of it.
func TestSubscriptions(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		lv := parleytest.StartLive(t, b, config.Config{XConsumerSecret: subXSecret}, server.Options{})
		l := &liveEnv{env: &env{t: t, srv: lv.Server.Server, url: lv.URL}, emu: lv.Emu, key: lv.Key, seeded: lv.Seeded}
		l.emu.X.SetWebhook(l.url+"/webhooks/x", subXSecret)
		xConv, igConv := l.conv("x/open"), l.conv("instagram/open")
		ctx := context.Background()

		agent := listen(t, l.env, l.key, true)
		if c := agent.cs.InitializeResult().Capabilities.Resources; c == nil || !c.Subscribe || !c.ListChanged {
			t.Fatalf("resources capability %+v, want subscribe and listChanged", c)
		}
		if err := agent.cs.Subscribe(ctx, &mcp.SubscribeParams{URI: mcpserver.ConversationURI(xConv)}); err != nil {
			t.Fatal(err)
		}
		elsewhere := listen(t, l.env, l.key, false)
		if err := elsewhere.cs.Subscribe(ctx, &mcp.SubscribeParams{URI: mcpserver.ConversationURI(igConv)}); err != nil {
			t.Fatal(err)
		}
		other := l.org("B")
		intruder := listen(t, l.env, other, true)
		if err := intruder.cs.Subscribe(ctx, &mcp.SubscribeParams{URI: mcpserver.ConversationURI(xConv)}); err != nil {
			t.Fatal(err)
		}
		// Another organisation cannot read the resource either.
		if _, err := intruder.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcpserver.ConversationURI(xConv)}); err == nil ||
			!strings.Contains(err.Error(), "resource.not_found") {
			t.Errorf("org B read org A's conversation: %v", err)
		}

		// The listen streams open in the background: say things until the
		// subscriber hears one, then check it reads the new message.
		said := 0
		say := func() {
			said++
			if _, err := l.emu.X.Inbound(l.seeded.NativeIDs[platform.X], "1500000000000000002", "are you there? "+string(rune('0'+said))); err != nil {
				t.Fatal(err)
			}
		}
		var uri string
		testsupport.Eventually(t, func() bool {
			say()
			select {
			case uri = <-agent.updated:
				return true
			case <-time.After(500 * time.Millisecond):
				return false
			}
		}, "the subscribed session hears the customer's message")
		if uri != mcpserver.ConversationURI(xConv) {
			t.Fatalf("updated %s, want %s", uri, mcpserver.ConversationURI(xConv))
		}
		res, err := agent.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		if err != nil {
			t.Fatal(err)
		}
		var tr struct {
			ID       string `json:"id"`
			Messages []struct {
				Direction, Text string
			} `json:"messages"`
		}
		if err := json.Unmarshal([]byte(res.Contents[0].Text), &tr); err != nil || tr.ID != xConv || len(tr.Messages) == 0 {
			t.Fatalf("resource %s: %v %+v", res.Contents[0].Text, err, tr)
		}
		if last := tr.Messages[len(tr.Messages)-1]; last.Direction != "incoming" || !strings.HasPrefix(last.Text, "are you there?") {
			t.Errorf("the transcript ends with %+v, want the customer's new message", last)
		}
		select {
		case <-agent.listed:
		case <-time.After(10 * time.Second):
			t.Error("no notifications/resources/list_changed for the new message")
		}

		// One more message, heard in turn: by now anything sent to the
		// others for the first one has arrived.
		for len(agent.updated) > 0 {
			<-agent.updated
		}
		say()
		if got := agent.next(t); got != mcpserver.ConversationURI(xConv) {
			t.Errorf("second update %s", got)
		}
		if len(elsewhere.updated) != 0 || len(intruder.updated) != 0 || len(intruder.listed) != 0 {
			t.Errorf("updates leaked: other conversation %d, other organisation %d (+%d list changes)",
				len(elsewhere.updated), len(intruder.updated), len(intruder.listed))
		}
	})
}

// TestResourcesAndPrompt: conversations are listed and read as resources,
// and reply_to_customer turns one into a ready instruction, for the
// caller's organisation only.
func TestResourcesAndPrompt(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		ctx := context.Background()
		cs := mustConnect(t, l.env, transports[0], l.key)
		late := l.conv("instagram/human_agent_only")

		list, err := cs.ListResources(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		uris := map[string]bool{}
		for _, r := range list.Resources {
			uris[r.URI] = true
		}
		if !uris[mcpserver.ConversationURI(late)] || !uris[mcpserver.ConversationURI(l.conv("x/open"))] {
			t.Errorf("resources/list %v lacks the seeded conversations", uris)
		}
		tpl, err := cs.ListResourceTemplates(ctx, nil)
		if err != nil || len(tpl.ResourceTemplates) != 1 || tpl.ResourceTemplates[0].URITemplate != "parley://conversations/{conversation_id}" {
			t.Errorf("templates %+v %v", tpl, err)
		}

		p, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "reply_to_customer", Arguments: map[string]string{"conversation_id": late, "tone": "warm"}})
		if err != nil {
			t.Fatal(err)
		}
		txt := p.Messages[0].Content.(*mcp.TextContent).Text
		for _, want := range []string{"Medium, please.", "HUMAN_AGENT", "warm", "send_dm", late} {
			if !strings.Contains(txt, want) {
				t.Errorf("prompt lacks %q:\n%s", want, txt)
			}
		}

		other := mustConnect(t, l.env, transports[0], l.org("B"))
		if _, err := other.GetPrompt(ctx, &mcp.GetPromptParams{Name: "reply_to_customer", Arguments: map[string]string{"conversation_id": late}}); err == nil ||
			!strings.Contains(err.Error(), "resource.not_found") {
			t.Errorf("org B prompted on org A's conversation: %v", err)
		}
		if list, err := other.ListResources(ctx, nil); err != nil || len(list.Resources) != 0 {
			t.Errorf("org B lists %d resources (%v)", len(list.Resources), err)
		}
		if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "parley://conversations/sapi_dm_nope"}); err == nil {
			t.Error("an unknown conversation was read")
		}
	})
}
