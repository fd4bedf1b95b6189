package ingest

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/platform"
)

// TestChangeKeys: a platform's retry of the same webhook maps to the same
// dedupe key (users get it once); a different act on the same message —
// unreacting, a second edit — to another.
func TestChangeKeys(t *testing.T) {
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	react := platform.InboundEvent{Kind: platform.EventReaction, MessageID: "m_1", Reaction: &platform.Reaction{Action: "react", Emoji: "❤️", Name: "love"}}
	unreact := platform.InboundEvent{Kind: platform.EventReaction, MessageID: "m_1", Reaction: &platform.Reaction{Action: "unreact"}}
	edit1 := platform.InboundEvent{Kind: platform.EventEdited, MessageID: "m_2", EditCount: 1, Message: platform.Message{Text: "a"}}
	edit2 := platform.InboundEvent{Kind: platform.EventEdited, MessageID: "m_2", EditCount: 2, Message: platform.Message{Text: "b"}}
	del := platform.InboundEvent{Kind: platform.EventDeleted, MessageID: "m_3"}
	key := func(ev platform.InboundEvent) (string, string, apitype.MessageEvent) {
		var d apitype.MessageEvent
		typ, k, ok := change(ev, "acct_1", at, &d)
		if !ok {
			t.Fatalf("%s not a change", ev.Kind)
		}
		return typ, k, d
	}
	tests := []struct {
		name string
		a, b platform.InboundEvent
		same bool
	}{
		{"retried reaction", react, react, true},
		{"react then unreact", react, unreact, false},
		{"two edits", edit1, edit2, false},
		{"retried unsend", del, del, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ka, _ := key(tt.a)
			_, kb, _ := key(tt.b)
			if (ka == kb) != tt.same {
				t.Fatalf("keys %q and %q", ka, kb)
			}
		})
	}
	if typ, _, d := key(react); typ != "message.reaction" || d.Reaction == nil || d.Reaction.Emoji != "❤️" {
		t.Fatalf("reaction: %s %+v", typ, d)
	}
	if typ, _, d := key(edit2); typ != "message.edited" || d.Text != "b" || d.EditCount != 2 {
		t.Fatalf("edit: %s %+v", typ, d)
	}
	if _, _, ok := change(platform.InboundEvent{Kind: platform.EventMessage}, "acct_1", at, &apitype.MessageEvent{}); ok {
		t.Fatal("a message is not a change")
	}
	if _, _, ok := change(platform.InboundEvent{Kind: platform.EventReaction}, "acct_1", at, &apitype.MessageEvent{}); ok {
		t.Fatal("a reaction without its reaction is not published")
	}
}
