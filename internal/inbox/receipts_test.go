package inbox

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/platform"
)

func TestApplyReceipts(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	out := func(at time.Duration, status string) platform.Message {
		return platform.Message{Direction: "outgoing", CreatedAt: t0.Add(at), Status: status}
	}
	tests := []struct {
		name            string
		msg             platform.Message
		delivered, read time.Time
		want            string
	}{
		{"no receipts", out(0, "sent"), time.Time{}, time.Time{}, "sent"},
		{"delivered up to it", out(0, "sent"), t0, time.Time{}, "delivered"},
		{"sent after the delivery watermark", out(time.Second, "sent"), t0, time.Time{}, "sent"},
		{"read up to it", out(0, ""), t0, t0.Add(time.Minute), "read"},
		{"delivered, read watermark older", out(time.Minute, "sent"), t0.Add(time.Hour), t0, "delivered"},
		{"failed stays failed", out(0, "failed"), t0.Add(time.Hour), t0.Add(time.Hour), "failed"},
		{"read stays read", out(0, "read"), t0.Add(time.Hour), time.Time{}, "read"},
		{"incoming untouched", platform.Message{Direction: "incoming", CreatedAt: t0}, t0.Add(time.Hour), t0.Add(time.Hour), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := []platform.Message{tt.msg}
			ApplyReceipts(msgs, tt.delivered, tt.read)
			if msgs[0].Status != tt.want {
				t.Fatalf("status %q, want %q", msgs[0].Status, tt.want)
			}
		})
	}
}
