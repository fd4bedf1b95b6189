package client_test

// These examples are a getting-started guide. They run as tests against
// `parley sandbox` (started by TestMain), whose URL and API key they read
// from PARLEY_URL and PARLEY_API_KEY exactly as your program would after
// pasting the sandbox's `export` line.

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/client"
)

// List the conversations of every connected Instagram account, newest
// first, with what a reply may do now. The iterator follows the pages.
func Example() {
	ctx := context.Background()
	c, err := client.New(os.Getenv("PARLEY_URL"), os.Getenv("PARLEY_API_KEY"), client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for conv, err := range c.Conversations(ctx, client.ConversationQuery{Platform: "instagram"}) {
		if err != nil {
			log.Fatal(err)
		}
		w := conv.ReplyWindow
		fmt.Printf("%-10s open=%-5v tags=%v\n", conv.ParticipantName, w.Open, w.AllowedTags)
	}
	// Output:
	// Maya Lopez open=true  tags=[HUMAN_AGENT]
	// Jonas Berg open=false tags=[HUMAN_AGENT]
	// Ana Souza  open=false tags=[]
}

// Reply to a customer. The Idempotency-Key makes the send safe to repeat:
// the second call answers the first outcome instead of sending again
// (without a key the client makes one up, so its own retries are safe).
func ExampleClient_SendMessage() {
	ctx := context.Background()
	c, err := client.New(os.Getenv("PARLEY_URL"), os.Getenv("PARLEY_API_KEY"), client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	conv := find(ctx, c, "instagram", "Maya Lopez")
	in := apitype.SendInput{Text: "Yes, medium is in stock!", IdempotencyKey: "maya-stock-reply"}
	for range 2 {
		m, err := c.SendMessage(ctx, conv.ID, in)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %q replayed=%v\n", m.Direction, m.Text, m.Replayed)
	}
	// Output:
	// outgoing "Yes, medium is in stock!" replayed=false
	// outgoing "Yes, medium is in stock!" replayed=true
}

// Handle a closed reply window. Parley refuses a send the platform would
// refuse, and says in the error's meta what remains possible: here a
// person may still answer with Meta's HUMAN_AGENT tag.
func ExampleIsWindowClosed() {
	ctx := context.Background()
	c, err := client.New(os.Getenv("PARLEY_URL"), os.Getenv("PARLEY_API_KEY"), client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	conv := find(ctx, c, "instagram", "Jonas Berg")
	in := apitype.SendInput{Text: "Sorry for the wait, your size is back."}
	_, err = c.SendMessage(ctx, conv.ID, in)
	if !client.IsWindowClosed(err) {
		log.Fatalf("expected a closed window, got %v", err)
	}
	e, _ := client.AsError(err)
	fmt.Println("refused:", e.Code)
	options, _ := e.Meta["options"].([]any)
	for _, o := range options {
		o := o.(map[string]any)
		fmt.Println("option:", o["kind"], o["tag"])
		if o["kind"] == "tag" && o["tag"] == "HUMAN_AGENT" {
			in.Tag = "HUMAN_AGENT" // a person is writing this reply
		}
	}
	m, err := c.SendMessage(ctx, conv.ID, in)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent with tag:", m.Direction)
	// Output:
	// refused: conversation.window_closed
	// option: tag HUMAN_AGENT
	// option: wait_for_inbound <nil>
	// sent with tag: outgoing
}

// Receive events on your own endpoint. The receiver verifies each
// delivery's Standard Webhooks signature with the endpoint's secret and
// decodes it into a typed value; anything else gets 401.
func ExampleWebhookReceiver_Handler() {
	ctx := context.Background()
	c, err := client.New(os.Getenv("PARLEY_URL"), os.Getenv("PARLEY_API_KEY"), client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	got := make(chan client.Event, 1)
	handle := func(ctx context.Context, ev client.Event) error {
		got <- ev // store it, queue the work; answer quickly
		return nil
	}
	// Your endpoint; in production, http.ListenAndServe on a public HTTPS
	// address. The handler is created once the secret is known.
	var rcv *client.WebhookReceiver
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rcv.Handler(handle).ServeHTTP(w, r)
	}))
	defer endpoint.Close()

	ep, err := c.CreateWebhook(ctx, apitype.WebhookInput{URL: &endpoint.URL, Events: &[]string{apitype.EventMessageReceived}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.DeleteWebhook(ctx, ep.ID)
	// The secret is shown once, when the endpoint is created: keep it.
	if rcv, err = client.NewWebhookReceiver(client.WebhookOptions{Secrets: []string{ep.Secret}}); err != nil {
		log.Fatal(err)
	}

	// In the sandbox, have a customer write on WhatsApp (what
	// `parley sandbox say` does).
	say(ctx, "whatsapp", "Where is my order?")

	select {
	case ev := <-got:
		switch d := ev.Data.(type) {
		case apitype.MessageEvent:
			fmt.Printf("%s on %s: %q\n", ev.Type, d.Platform, d.Message.Text)
		default:
			fmt.Println("other event:", ev.Type)
		}
	case <-time.After(30 * time.Second):
		fmt.Println("no event")
	}
	// Output:
	// message.received on whatsapp: "Where is my order?"
}

// find returns the conversation of a customer, by name.
func find(ctx context.Context, c *client.Client, platform, name string) apitype.Conversation {
	for conv, err := range c.Conversations(ctx, client.ConversationQuery{Platform: platform}) {
		if err != nil {
			log.Fatal(err)
		}
		if conv.ParticipantName == name {
			return conv
		}
	}
	log.Fatal(errors.New("no conversation with " + name))
	return apitype.Conversation{}
}

// say posts to the sandbox's simulated-customer route.
func say(ctx context.Context, platform, text string) {
	body := fmt.Sprintf(`{"platform":%q,"text":%q}`, platform, text)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, os.Getenv("PARLEY_URL")+"/sandbox/inbound", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+os.Getenv("PARLEY_API_KEY"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		log.Fatalf("sandbox say: %s", res.Status)
	}
}
