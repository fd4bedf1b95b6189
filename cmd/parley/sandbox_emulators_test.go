package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/testsupport"
)

// TestSandboxEmulatorsOnly: `parley sandbox emulators` runs the seeded
// emulators alone and prints, for each, a base URL and a token that a
// platform SDK can use as printed; it stops cleanly when its context ends.
func TestSandboxEmulatorsOnly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	cmd := root()
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"sandbox", "emulators"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	testsupport.Eventually(t, func() bool { return strings.Contains(out.String(), "Press Ctrl-C") }, "the emulators banner")
	text := out.String()

	urls := regexp.MustCompile(`base URL +(http://127\.0\.0\.1:\d+)`).FindAllStringSubmatch(text, -1)
	tokens := regexp.MustCompile(`access token +(\S+)`).FindAllStringSubmatch(text, -1)
	if len(urls) != 5 || len(tokens) != 5 {
		t.Fatalf("want 5 base URLs and 5 tokens:\n%s", text)
	}
	if strings.Contains(text, "PARLEY_API_KEY") || strings.Contains(text, "sapi_key_") {
		t.Fatalf("emulators-only mode printed a Parley key:\n%s", text)
	}
	// Messenger first: its printed URL and token read the seeded inbox.
	res, err := http.Get(urls[0][1] + "/v25.0/me/conversations?platform=messenger&access_token=" + tokens[0][1])
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Data []map[string]any `json:"data"`
	}
	err = json.NewDecoder(res.Body).Decode(&list)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || len(list.Data) != 4 { // open, human_agent_only, closed, quick_reply
		t.Fatalf("messenger conversations: %d %+v %v", res.StatusCode, list, err)
	}
	// Every other printed URL is served, and the printed "try" lines use the
	// printed values.
	for _, u := range urls[1:] {
		res, err := http.Get(u[1] + "/")
		if err != nil {
			t.Fatalf("%s not served: %v", u[1], err)
		}
		res.Body.Close()
	}
	// Instagram with its token, as printed.
	res, err = http.Get(urls[1][1] + "/v25.0/me/conversations?platform=instagram&access_token=" + tokens[1][1])
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("instagram conversations: %d", res.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("emulators command: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("emulators command did not stop when its context ended")
	}
	if _, err := http.Get(urls[0][1] + "/"); err == nil {
		t.Fatal("emulator still serving after the command returned")
	}
}
