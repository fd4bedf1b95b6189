package liemu

import (
	"testing"
)

// FuzzParseCreate checks the POST /rest/messages body parser never panics and
// that whatever it accepts satisfies the documented rules.
func FuzzParseCreate(f *testing.F) {
	f.Add([]byte(`{"author":"urn:li:organization:1","thread":"urn:li:messagingThread:2-a","body":"hi"}`))
	f.Add([]byte(`{"author":"urn:li:organization:1","recipients":["urn:li:person:a"],"body":"hi","attachments":["urn:li:digitalmediaAsset:X"]}`))
	f.Add([]byte(`{"author":"a","thread":"t","recipients":["p"],"body":"<b>x</b>"}`))
	f.Add([]byte(`{"body":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		cm, rerr := parseCreate(raw)
		if rerr != nil {
			if rerr.Status != 400 || rerr.Message == "" {
				t.Fatalf("bad error %+v", rerr)
			}
			return
		}
		if cm.Author == "" || (cm.Thread == "") == (len(cm.Recipients) == 0) || (blank(cm.Body) && len(cm.Attachments) == 0) {
			t.Fatalf("accepted invalid body %+v", cm)
		}
	})
}

// FuzzParsePaging checks start/count parsing never panics or yields negative
// or uncapped values.
func FuzzParsePaging(f *testing.F) {
	f.Add("0", "10", 100)
	f.Add("", "", 0)
	f.Add("-1", "99999999999999999999", 100)
	f.Fuzz(func(t *testing.T, start, count string, maxCount int) {
		s, c, problem := parsePaging(start, count, maxCount)
		if problem != "" {
			return
		}
		if s < 0 || c < 0 || (maxCount > 0 && c > maxCount) {
			t.Fatalf("parsePaging(%q,%q,%d) = %d,%d", start, count, maxCount, s, c)
		}
	})
}
