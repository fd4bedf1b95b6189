package apitype

import "time"

// PlatformInfo is one row of the capability matrix (GET /v1/platforms).
type PlatformInfo struct {
	Capability
	// Read is true when history can be read (live, or from the journal).
	Read bool `json:"read"`
	// History says where history comes from: "live" or "journal".
	History string `json:"history,omitempty"`
	// Send is true when Parley can send on the platform.
	Send bool `json:"send"`
	// Attachments is true when an attachment can be sent by URL.
	Attachments bool `json:"attachments"`
	// MarkRead is true when the platform has a read receipt to send.
	MarkRead bool `json:"mark_read"`
	// Limits are the ceilings Parley enforces before calling the platform.
	Limits []Limit `json:"limits"`
}

// Limit is one published ceiling.
type Limit struct {
	// Scope is what is counted: account, account_automated or recipient.
	Scope string `json:"scope"`
	// Max is how many per window.
	Max int `json:"max"`
	// WindowSeconds is the window's length.
	WindowSeconds int `json:"window_seconds"`
	// Description cites the platform's published limit.
	Description string `json:"description"`
}

// Capability describes one platform's messaging rules.
type Capability struct {
	// Platform is the platform's name (instagram, messenger, …).
	Platform string `json:"platform"`
	// DMAPI is false for platforms without a public DM API (TikTok, Threads,
	// YouTube): every DM call on them answers 501 resource.not_supported.
	DMAPI bool `json:"dm_api"`
	// Window is "standard" (Meta, from the last inbound), "customer_service"
	// (WhatsApp) or "none".
	Window string `json:"window"`
	// WindowHours is the window's length; 0 when there is none.
	WindowHours int `json:"window_hours"`
	// HumanAgentHours is how long a person may reply with HUMAN_AGENT after
	// the last inbound; 0 when the platform has no such tag.
	HumanAgentHours int `json:"human_agent_hours"`
	// Tags are the message tags the platform supports.
	Tags []string `json:"tags"`
	// RetiredTags are the platform's message tags Meta retired (or will
	// retire), with the date and a source; sends using them are refused
	// with 422 conversation.tag_retired from that date.
	RetiredTags []RetiredTag `json:"retired_tags,omitempty"`
	// Templates is true where approved templates may be sent (WhatsApp),
	// including outside the window.
	Templates bool `json:"templates"`
	// TemplateCategories are the WhatsApp pricing categories of templates.
	TemplateCategories []string `json:"template_categories,omitempty"`
	// EntryPointHours is the free entry point window after a Click-to-WhatsApp
	// ad or Page CTA (WhatsApp); 0 elsewhere.
	EntryPointHours int `json:"entry_point_hours,omitempty"`
	// TextLimit is the documented maximum text length (Max 0 = none documented).
	TextLimit *TextLimit `json:"text_limit,omitempty"`
	// AutomatedPerHour is the cap on automated sends per account and hour,
	// where DESIGN §2 sets one (Instagram: 200).
	AutomatedPerHour int `json:"automated_per_hour,omitempty"`
	// Rich is what the platform carries of a rich message and its limits.
	Rich *RichCapability `json:"rich,omitempty"`
	// Notes is a sentence for humans.
	Notes string `json:"notes,omitempty"`
}

// RichCapability is what a platform carries of a rich message (issue 18)
// and the platform's documented limits. A zero count means the platform
// cannot carry the field: a send with it answers 422
// validation.unsupported_on_platform before any platform call.
type RichCapability struct {
	// Attachments is the most attachments by URL per send (0: none).
	Attachments int `json:"attachments"`
	// QuickReplies is the most quick replies; QuickReplyTitle and
	// QuickReplyPayload their maximum lengths in characters.
	QuickReplies      int `json:"quick_replies"`
	QuickReplyTitle   int `json:"quick_reply_title,omitempty"`
	QuickReplyPayload int `json:"quick_reply_payload,omitempty"`
	// Buttons is the most buttons under a text; ButtonTitle, ButtonPayload
	// and ButtonText (the text above them) their maximum lengths.
	Buttons         int  `json:"buttons"`
	ButtonTitle     int  `json:"button_title,omitempty"`
	ButtonPayload   int  `json:"button_payload,omitempty"`
	ButtonText      int  `json:"button_text,omitempty"`
	URLButtons      bool `json:"url_buttons"`
	PostbackButtons bool `json:"postback_buttons"`
	// Cards is the most cards in a carousel, with their limits.
	Cards        int `json:"cards"`
	CardTitle    int `json:"card_title,omitempty"`
	CardSubtitle int `json:"card_subtitle,omitempty"`
	CardButtons  int `json:"card_buttons,omitempty"`
	// ReplyTo is true when a send may answer one earlier message.
	ReplyTo bool `json:"reply_to"`
}

// RetiredTag is one Meta message tag that Meta stopped accepting.
type RetiredTag struct {
	// Tag is the tag's name (e.g. ACCOUNT_UPDATE).
	Tag string `json:"tag"`
	// On is the first instant Meta refuses the tag. A send dated earlier was
	// allowed.
	On time.Time `json:"retired_on"`
	// Source is where the retirement is reported.
	Source string `json:"source"`
}

// TextLimit is a platform's documented maximum text length.
type TextLimit struct {
	// Max is the limit; 0 means none is documented.
	Max int `json:"max"`
	// Unit is "characters" (Unicode code points) or "bytes" (UTF-8).
	Unit string `json:"unit"`
}
