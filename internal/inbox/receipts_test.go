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
		// wantAt is status_updated_at as the API shows it; zero: absent.
		wantAt time.Time
	}{
		{"no receipts", out(0, "sent"), time.Time{}, time.Time{}, "sent", t0},
		{"delivered up to it", out(0, "sent"), t0, time.Time{}, "delivered", t0},
		{"sent after the delivery watermark", out(time.Second, "sent"), t0, time.Time{}, "sent", t0.Add(time.Second)},
		{"read up to it", out(0, ""), t0, t0.Add(time.Minute), "read", t0.Add(time.Minute)},
		{"delivered, read watermark older", out(time.Minute, "sent"), t0.Add(time.Hour), t0, "delivered", t0.Add(time.Hour)},
		{"failed stays failed", out(0, "failed"), t0.Add(time.Hour), t0.Add(time.Hour), "failed", time.Time{}},
		{"read stays read", out(0, "read"), t0.Add(time.Hour), time.Time{}, "read", time.Time{}},
		{"incoming untouched", platform.Message{Direction: "incoming", CreatedAt: t0}, t0.Add(time.Hour), t0.Add(time.Hour), "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := []platform.Message{tt.msg}
			ApplyReceipts(msgs, tt.delivered, tt.read)
			if msgs[0].Status != tt.want {
				t.Fatalf("status %q, want %q", msgs[0].Status, tt.want)
			}
			v := MessageView("sapi_dm_x", msgs[0])
			if got := v.StatusUpdatedAt; (got == nil) != tt.wantAt.IsZero() || (got != nil && !got.Equal(tt.wantAt)) {
				t.Fatalf("status_updated_at %v, want %v", got, tt.wantAt)
			}
		})
	}
}
