package convid

import (
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct{ account, thread string }{
		{"acct_01900000000070008000000000000001", "t_10161234567890"},
		{"acct_x", "aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ6"},
		{"acct_x", "1234-5678"},
		{"acct_x", "urn:li:messagingThread:2-abc=="},
		{"a", strings.Repeat("z", maxThreadLen)},
	} {
		id := Encode(tc.account, tc.thread)
		if !strings.HasPrefix(id, Prefix) || strings.ContainsAny(id, "+/=") {
			t.Fatalf("Encode = %q: not a url-safe sapi_dm_ id", id)
		}
		a, th, err := Decode(id)
		if err != nil || a != tc.account || th != tc.thread {
			t.Fatalf("Decode(Encode(%q,%q)) = %q,%q,%v", tc.account, tc.thread, a, th, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	valid := Encode("acct_1", "t_1")
	for _, id := range []string{
		"",
		"sapi_dm_",
		"dm_" + valid[len(Prefix):],
		valid + "=",
		valid + "A",
		"sapi_dm_AA",
		"sapi_dm_" + strings.Repeat("A", 4000),
		Prefix + "Ag" + valid[len(Prefix)+2:], // wrong version
		Encode("acct_1", ""),
		Encode("", "t_1"),
	} {
		if _, _, err := Decode(id); err == nil {
			t.Errorf("Decode(%q) accepted", id)
		}
	}
}

// FuzzDecode checks no input panics, and that whatever decodes is canonical:
// re-encoding gives the very same id, so one id names exactly one (account,
// thread) pair and cannot be bent to point elsewhere.
func FuzzDecode(f *testing.F) {
	f.Add(Encode("acct_1", "t_1"))
	f.Add("sapi_dm_AQZhY2N0XzF0XzE")
	f.Add("sapi_dm_")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, id string) {
		a, th, err := Decode(id)
		if err != nil {
			return
		}
		if Encode(a, th) != id {
			t.Fatalf("non-canonical id %q decoded to %q,%q", id, a, th)
		}
	})
}
