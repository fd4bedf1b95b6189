package mcpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestSendDMOverPlanLimit: an agent on a spent free plan gets the REST
// answer's 402 billing.interaction_limit body as a send_dm tool error, over
// both transports, and nothing reaches the platform.
func TestSendDMOverPlanLimit(t *testing.T) {
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		l := newLiveEnv(t, b)
		ctx := context.Background()
		c, err := l.srv.Service.Authenticate(ctx, "Bearer "+l.key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.srv.Plans.SetPlan(ctx, c.OrgID, apitype.PlanInput{Plan: "free"}); err != nil {
			t.Fatal(err)
		}
		for range 50 {
			if _, err := l.srv.Plans.Reserve(ctx, c.OrgID); err != nil {
				t.Fatal(err)
			}
		}
		conv := l.conv("x/open")
		before := len(l.emu.X.Messages(l.seeded.NativeIDs[platform.X]))

		// REST first, for the body the tool must carry.
		body, _ := json.Marshal(map[string]any{"text": "hello"})
		req, _ := http.NewRequest("POST", l.url+"/v1/inbox/conversations/"+conv+"/messages", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+l.key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var rest client.ErrorBody
		if err := json.NewDecoder(res.Body).Decode(&rest); err != nil || res.StatusCode != 402 {
			t.Fatalf("REST answered %d (%v)", res.StatusCode, err)
		}

		cs := mustConnect(t, l.env, tr, l.key)
		got := toolErr(t, call(t, cs, "send_dm", map[string]any{"conversation_id": conv, "text": "hello"}), "billing.interaction_limit")
		want, _ := json.Marshal(rest.Error)
		have, _ := json.Marshal(got)
		if !bytes.Equal(want, have) {
			t.Fatalf("send_dm error\n%s\nREST error\n%s", have, want)
		}
		if got.Meta["plan"] != "free" || got.Meta["limit"] != 50.0 || got.Meta["used"] != 50.0 || got.Meta["resets_at"] == nil {
			t.Fatalf("meta %v", got.Meta)
		}
		if n := len(l.emu.X.Messages(l.seeded.NativeIDs[platform.X])); n != before {
			t.Fatalf("the platform received %d messages past the limit", n-before)
		}
	})
}
