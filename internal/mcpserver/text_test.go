package mcpserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestInvalidUTF8ToolArguments: the SDK would decode invalid UTF-8 in a
// tool call into U+FFFD and send_dm would send that; /mcp refuses the raw
// body instead, with REST's error, and nothing reaches the platform.
func TestInvalidUTF8ToolArguments(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		body := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"send_dm","arguments":{"conversation_id":"` +
			l.conv("instagram/open") + "\",\"text\":\"caf\xe9\"}}}"
		req, _ := http.NewRequest("POST", l.url+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+l.key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var got struct {
			Error struct {
				Code string         `json:"code"`
				Meta map[string]any `json:"meta"`
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &got)
		if res.StatusCode != 422 || got.Error.Code != "validation.invalid_text" || got.Error.Meta["field"] != "params.arguments.text" || got.Error.Meta["position"] != 3.0 {
			t.Fatalf("%d %s", res.StatusCode, raw)
		}
		if s := l.emu.Graph.Messages(l.seeded.NativeIDs[platform.Instagram]); len(s) != 0 {
			t.Fatalf("sent %+v", s)
		}
	})
}
