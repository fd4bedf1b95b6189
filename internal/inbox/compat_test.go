package inbox

import (
	"reflect"
	"testing"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/convid"
)

// TestNormalizeSend: the hosted DM API's send names become Parley's, and
// two names for one thing that disagree are refused naming the field,
// never resolved by dropping one.
func TestNormalizeSend(t *testing.T) {
	conv := convid.Encode("acct_mine", "thread-1")
	img := func(u string) *apitype.Attachment { return &apitype.Attachment{Type: "image", URL: u} }
	tests := []struct {
		name string
		id   string
		in   apitype.SendInput
		want apitype.SendInput
		// field is the field a refusal names; "" means accepted.
		field string
	}{
		{name: "the documented example", id: conv,
			in:   apitype.SendInput{AccountID: "acct_mine", Text: "Thanks for your message!", AttachmentURL: "https://cdn.example.com/photo.jpg"},
			want: apitype.SendInput{Text: "Thanks for your message!", Attachment: img("https://cdn.example.com/photo.jpg")}},
		{name: "type inferred from the extension, any case, query ignored", id: conv,
			in:   apitype.SendInput{AttachmentURL: "https://cdn.example.com/clip.MP4?sig=1"},
			want: apitype.SendInput{Attachment: &apitype.Attachment{Type: "video", URL: "https://cdn.example.com/clip.MP4?sig=1"}}},
		{name: "unknown extension is a file", id: conv,
			in:   apitype.SendInput{AttachmentURL: "https://cdn.example.com/invoice.pdf"},
			want: apitype.SendInput{Attachment: &apitype.Attachment{Type: "file", URL: "https://cdn.example.com/invoice.pdf"}}},
		{name: "attachment_type given wins", id: conv,
			in:   apitype.SendInput{AttachmentURL: "https://cdn.example.com/x.jpg", AttachmentType: "file"},
			want: apitype.SendInput{Attachment: &apitype.Attachment{Type: "file", URL: "https://cdn.example.com/x.jpg"}}},
		{name: "attachment_url repeating attachment", id: conv,
			in:   apitype.SendInput{AttachmentURL: "https://cdn.example.com/x.jpg", Attachment: img("https://cdn.example.com/x.jpg")},
			want: apitype.SendInput{Attachment: img("https://cdn.example.com/x.jpg")}},
		{name: "attachment_url repeating one of attachments", id: conv,
			in:   apitype.SendInput{AttachmentURL: "https://c.example/b.jpg", Attachments: []apitype.Attachment{*img("https://c.example/a.jpg"), *img("https://c.example/b.jpg")}},
			want: apitype.SendInput{Attachments: []apitype.Attachment{*img("https://c.example/a.jpg"), *img("https://c.example/b.jpg")}}},
		{name: "message_tag is tag", id: conv,
			in:   apitype.SendInput{Text: "hi", MessageTag: "HUMAN_AGENT"},
			want: apitype.SendInput{Text: "hi", Tag: "HUMAN_AGENT"}},
		{name: "message_tag and the same tag", id: conv,
			in:   apitype.SendInput{Text: "hi", MessageTag: "HUMAN_AGENT", Tag: "HUMAN_AGENT"},
			want: apitype.SendInput{Text: "hi", Tag: "HUMAN_AGENT"}},
		{name: "an id that does not decode is left to the 404", id: "sapi_dm_nonsense",
			in:   apitype.SendInput{Text: "hi", AccountID: "acct_other"},
			want: apitype.SendInput{Text: "hi"}},

		{name: "another account", id: conv, in: apitype.SendInput{Text: "hi", AccountID: "acct_other"}, field: "account_id"},
		{name: "message_tag and a different tag", id: conv, in: apitype.SendInput{Text: "hi", MessageTag: "HUMAN_AGENT", Tag: "ACCOUNT_UPDATE"}, field: "message_tag"},
		{name: "attachment_url beside another attachment", id: conv,
			in: apitype.SendInput{AttachmentURL: "https://c.example/a.jpg", Attachment: img("https://c.example/b.jpg")}, field: "attachment_url"},
		{name: "attachment_url not among attachments", id: conv,
			in: apitype.SendInput{AttachmentURL: "https://c.example/a.jpg", Attachments: []apitype.Attachment{*img("https://c.example/b.jpg")}}, field: "attachment_url"},
		{name: "unknown attachment_type", id: conv, in: apitype.SendInput{AttachmentURL: "https://c.example/a.jpg", AttachmentType: "sticker"}, field: "attachment_type"},
		{name: "attachment_type without attachment_url", id: conv, in: apitype.SendInput{Text: "hi", AttachmentType: "image"}, field: "attachment_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			err := normalizeSend(tt.id, &in)
			if tt.field != "" {
				e, ok := apierr.As(err)
				if !ok || e.Status != 422 || e.Meta["field"] != tt.field {
					t.Fatalf("error %v, want a 422 naming %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in, tt.want) {
				t.Fatalf("normalised to\n %+v\nwant\n %+v", in, tt.want)
			}
		})
	}
}

// FuzzNormalizeSend: whatever the hosted API's fields hold, normalising
// either refuses with a structured error or leaves none of them behind,
// and an attachment_url it accepts is sent, with a type Parley knows.
func FuzzNormalizeSend(f *testing.F) {
	f.Add("acct_mine", "https://cdn.example.com/photo.jpg", "", "HUMAN_AGENT", "")
	f.Add("", "https://cdn.example.com/a%2F.b.PNG?x=.mp4", "image", "", "HUMAN_AGENT")
	f.Add("acct_x", "::not a url", "file", "A", "B")
	conv := convid.Encode("acct_mine", "thread-1")
	f.Fuzz(func(t *testing.T, account, attURL, attType, msgTag, tag string) {
		in := apitype.SendInput{Text: "hi", AccountID: account, AttachmentURL: attURL, AttachmentType: attType, MessageTag: msgTag, Tag: tag}
		err := normalizeSend(conv, &in)
		if err != nil {
			if _, ok := apierr.As(err); !ok {
				t.Fatalf("unstructured error %v", err)
			}
			return
		}
		if in.AccountID != "" || in.AttachmentURL != "" || in.AttachmentType != "" || in.MessageTag != "" {
			t.Fatalf("hosted-API fields left behind: %+v", in)
		}
		if attURL != "" && (in.Attachment == nil || in.Attachment.URL != attURL || !attachmentTypes[in.Attachment.Type]) {
			t.Fatalf("attachment_url %q became %+v", attURL, in.Attachment)
		}
		if msgTag != "" && in.Tag != msgTag {
			t.Fatalf("message_tag %q became tag %q", msgTag, in.Tag)
		}
	})
}
