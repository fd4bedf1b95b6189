package rules

import (
	"reflect"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
)

func TestCapabilities(t *testing.T) {
	t.Parallel()
	caps := Capabilities()
	if len(caps) != 8 {
		t.Fatalf("want 8 platforms, got %d", len(caps))
	}
	tests := []struct {
		p         platform.Name
		dm        bool
		window    string
		hours     int
		ha        int
		tags      []string
		templates bool
		maxText   int
	}{
		{platform.Instagram, true, "standard", 24, 168, []string{TagHumanAgent}, false, 1000},
		{platform.Messenger, true, "standard", 24, 168, []string{TagHumanAgent}, false, 2000},
		{platform.WhatsApp, true, "customer_service", 24, 0, []string{}, true, 4096},
		{platform.LinkedIn, true, "none", 0, 0, []string{}, false, 0},
		{platform.X, true, "none", 0, 0, []string{}, false, 10000},
		{platform.TikTok, false, "none", 0, 0, []string{}, false, -1},
		{platform.Threads, false, "none", 0, 0, []string{}, false, -1},
		{platform.YouTube, false, "none", 0, 0, []string{}, false, -1},
	}
	for i, tt := range tests {
		t.Run(string(tt.p), func(t *testing.T) {
			c, ok := CapabilityOf(tt.p)
			if !ok {
				t.Fatal("unknown")
			}
			if !reflect.DeepEqual(caps[i], c) {
				t.Fatalf("Capabilities()[%d] differs from CapabilityOf: %+v vs %+v", i, caps[i], c)
			}
			if c.DMAPI != tt.dm || c.Window != tt.window || c.WindowHours != tt.hours || c.HumanAgentHours != tt.ha ||
				!reflect.DeepEqual(c.Tags, tt.tags) || c.Templates != tt.templates || c.Notes == "" {
				t.Fatalf("got %+v", c)
			}
			switch {
			case tt.maxText < 0 && c.TextLimit != nil:
				t.Fatalf("no DM API but a text limit: %+v", c.TextLimit)
			case tt.maxText >= 0 && (c.TextLimit == nil || c.TextLimit.Max != tt.maxText):
				t.Fatalf("text limit: want %d, got %+v", tt.maxText, c.TextLimit)
			}
		})
	}
	if _, ok := CapabilityOf("myspace"); ok {
		t.Fatal("unknown platform has capabilities")
	}
	wa, _ := CapabilityOf(platform.WhatsApp)
	if wa.EntryPointHours != 72 || len(wa.TemplateCategories) != 4 {
		t.Fatalf("whatsapp: %+v", wa)
	}
	ms, _ := CapabilityOf(platform.Messenger)
	if len(ms.RetiredTags) != 3 || ms.RetiredTags[0].Tag != TagAccountUpdate || ms.RetiredTags[0].Source == "" {
		t.Fatalf("messenger retired tags: %+v", ms.RetiredTags)
	}
	ms.RetiredTags[0].Tag = "MUTATED"
	if again, _ := CapabilityOf(platform.Messenger); again.RetiredTags[0].Tag != TagAccountUpdate {
		t.Fatal("RetiredTags shares the package's table")
	}
	ig, _ := CapabilityOf(platform.Instagram)
	if ig.AutomatedPerHour != 200 {
		t.Fatalf("instagram automated cap: %d", ig.AutomatedPerHour)
	}
}

func TestTagsFreshSlice(t *testing.T) {
	t.Parallel()
	// Callers may append to the result without corrupting the package's tables.
	a := append(Tags(platform.Messenger), "x")
	a[0] = "MUTATED"
	if Tags(platform.Messenger)[0] != TagHumanAgent {
		t.Fatal("Tags shares its backing array")
	}
	w := Window(platform.Messenger, Conversation{}, tPre)
	w.AllowedTags[0] = "MUTATED"
	if Window(platform.Messenger, Conversation{}, tPre).AllowedTags[0] != TagConfirmedEventUpdate {
		t.Fatal("Window shares its backing array")
	}
}
