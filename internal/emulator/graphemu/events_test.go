package graphemu

import (
	"errors"
	"net/http"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
)

// since returns what the receiver got since it had n events, failing
// on any verification or parse error.
func (rc *receiver) since(t *testing.T, n int) []platform.InboundEvent {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.errs) > 0 {
		t.Fatalf("receiver errors: %v", rc.errs)
	}
	return append([]platform.InboundEvent(nil), rc.events[n:]...)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.events)
}

// TestEventWebhooksRoundTrip drives every webhook kind through a signed
// POST to a receiver that verifies X-Hub-Signature-256 and parses with
// Parley's meta.ParseWebhook: what the emulator sends is what Parley reads.
func TestEventWebhooksRoundTrip(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	rc, srv := newReceiver(t, fx.emu, appSecret, http.StatusOK)
	fx.emu.SetWebhook(srv.URL, appSecret)
	jane := fx.threads[pageID]["jane"]
	igJane := fx.threads[igID]["jane"]
	th, _ := fx.emu.Thread(jane)
	var inbound, outbound Message
	for _, m := range th.Messages {
		if m.Inbound {
			inbound = m
		} else {
			outbound = m
		}
	}
	igTh, _ := fx.emu.Thread(igJane)
	var igOut, igIn Message
	for _, m := range igTh.Messages {
		if m.Inbound {
			igIn = m
		} else {
			igOut = m
		}
	}
	ms := func() int64 { return fx.emu.opts.Now().UnixMilli() }
	tests := []struct {
		name  string
		do    func() error
		check func(t *testing.T, evs []platform.InboundEvent)
	}{
		{"messenger delivery", func() error { return fx.emu.Deliver(jane) }, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 1 || evs[0].Kind != platform.EventDelivered || evs[0].MessageID != outbound.ID || evs[0].Platform != platform.Messenger {
				t.Fatalf("%+v", evs)
			}
		}},
		{"nothing left to deliver", func() error { return fx.emu.Deliver(jane) }, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 0 {
				t.Fatalf("%+v", evs)
			}
		}},
		{"messenger read watermark", func() error { return fx.emu.Read(jane) }, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 1 || evs[0].Kind != platform.EventRead || evs[0].MessageID != "" || evs[0].At.UnixMilli() != ms() {
				t.Fatalf("%+v", evs)
			}
		}},
		{"instagram read names the message", func() error { return fx.emu.Read(igJane) }, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 1 || evs[0].Kind != platform.EventRead || evs[0].MessageID != igOut.ID || evs[0].Platform != platform.Instagram {
				t.Fatalf("%+v", evs)
			}
		}},
		{"react", func() error { return fx.emu.React(outbound.ID, "❤️", "love") }, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 1 || evs[0].Kind != platform.EventReaction || evs[0].MessageID != outbound.ID ||
				*evs[0].Reaction != (platform.Reaction{Action: "react", Emoji: "❤️", Name: "love"}) {
				t.Fatalf("%+v", evs)
			}
		}},
		{"unreact", func() error { return fx.emu.React(outbound.ID, "", "") }, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 1 || evs[0].Kind != platform.EventReaction || *evs[0].Reaction != (platform.Reaction{Action: "unreact"}) {
				t.Fatalf("%+v", evs)
			}
		}},
		{"instagram react", func() error { return fx.emu.React(igOut.ID, "🔥", "") }, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 1 || evs[0].Platform != platform.Instagram || evs[0].Reaction.Name != "other" || evs[0].Reaction.Emoji != "🔥" {
				t.Fatalf("%+v", evs)
			}
		}},
		{"edit", func() error { return fx.emu.Edit(inbound.ID, "Great, thanks!!") }, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 1 || evs[0].Kind != platform.EventEdited || evs[0].MessageID != inbound.ID || evs[0].EditCount != 1 || evs[0].Message.Text != "Great, thanks!!" {
				t.Fatalf("%+v", evs)
			}
		}},
		{"postback", func() error {
			_, err := fx.emu.Postback(pageID, th.Participant.ID, "Track my order", "TRACK")
			return err
		}, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 1 || evs[0].Kind != platform.EventMessage || evs[0].Message.Text != "Track my order" || evs[0].Standby {
				t.Fatalf("%+v", evs)
			}
		}},
		{"referral", func() error { return fx.emu.Referral(jane, "spring", "SHORTLINK") }, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 1 || evs[0].Kind != platform.EventReferral || !evs[0].Referral || evs[0].ParticipantID != th.Participant.ID {
				t.Fatalf("%+v", evs)
			}
		}},
		{"instagram unsend", func() error { return fx.emu.Unsend(igIn.ID) }, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 1 || evs[0].Kind != platform.EventDeleted || evs[0].MessageID != igIn.ID {
				t.Fatalf("%+v", evs)
			}
			if _, err := fx.emu.Thread(igJane); err != nil {
				t.Fatal(err)
			}
			got, _ := fx.emu.Thread(igJane)
			for _, m := range got.Messages {
				if m.ID == igIn.ID {
					t.Fatal("unsent message still in the thread")
				}
			}
		}},
		{"standby message", func() error {
			if err := fx.emu.SetStandby(jane, true); err != nil {
				return err
			}
			_, err := fx.emu.Inbound(pageID, th.Participant.ID, "hello?")
			return err
		}, func(t *testing.T, evs []platform.InboundEvent) {
			if len(evs) != 1 || evs[0].Kind != platform.EventMessage || !evs[0].Standby || evs[0].Message.Text != "hello?" {
				t.Fatalf("%+v", evs)
			}
		}},
		{"standby postback loses its payload", func() error {
			_, err := fx.emu.Postback(pageID, th.Participant.ID, "", "SECRET")
			return err
		}, func(t *testing.T, evs []platform.InboundEvent) {
			// No title and no payload: nothing a person would see.
			if len(evs) != 1 || !evs[0].Standby || evs[0].Message.Text != "" {
				t.Fatalf("%+v", evs)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := rc.count()
			if err := tt.do(); err != nil {
				t.Fatal(err)
			}
			tt.check(t, rc.since(t, n))
		})
	}
}

// TestEventRefusals: what Meta does not send, the emulator refuses rather
// than inventing.
func TestEventRefusals(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	jane, igJane := fx.threads[pageID]["jane"], fx.threads[igID]["jane"]
	th, _ := fx.emu.Thread(jane)
	igTh, _ := fx.emu.Thread(igJane)
	var in, out Message
	for _, m := range th.Messages {
		if m.Inbound {
			in = m
		} else {
			out = m
		}
	}
	if err := fx.emu.Deliver(igJane); !errors.Is(err, ErrNotOnPlatform) {
		t.Errorf("instagram delivery: %v", err)
	}
	if err := fx.emu.Edit(igTh.Messages[0].ID, "x"); !errors.Is(err, ErrNotOnPlatform) {
		t.Errorf("instagram edit: %v", err)
	}
	if err := fx.emu.Edit(out.ID, "x"); err == nil {
		t.Error("edit of the business's message accepted")
	}
	if err := fx.emu.Unsend(out.ID); err == nil {
		t.Error("unsend of the business's message accepted")
	}
	for i := 0; i < MaxEdits; i++ {
		if err := fx.emu.Edit(in.ID, "v"); err != nil {
			t.Fatal(err)
		}
	}
	if err := fx.emu.Edit(in.ID, "sixth"); !errors.Is(err, ErrTooManyEdits) {
		t.Errorf("sixth edit: %v", err)
	}
	for name, err := range map[string]error{
		"react": fx.emu.React("m_nope", "x", ""), "deliver": fx.emu.Deliver("t_nope"), "standby": fx.emu.SetStandby("t_nope", true),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s on unknown id: %v", name, err)
		}
	}
}
