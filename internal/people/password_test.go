package people

import (
	"net/url"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the configured cost", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	parts := strings.Split(h, "$")
	for _, tc := range []struct {
		name, hash, password string
		want                 bool
	}{
		{"right password", h, "correct horse battery", true},
		{"wrong password", h, "correct horse batterz", false},
		{"empty hash", "", "", false},
		{"argon2i, not id", strings.Replace(h, "argon2id", "argon2i", 1), "correct horse battery", false},
		{"other salt", strings.Join(append(parts[:4:4], "AAAAAAAAAAAAAAAAAAAAAA", parts[5]), "$"), "correct horse battery", false},
		{"absurd memory", strings.Replace(h, "m=19456", "m=999999999", 1), "correct horse battery", false},
		{"truncated", h[:len(h)-10], "correct horse battery", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckPassword(tc.hash, tc.password); got != tc.want {
				t.Fatalf("CheckPassword = %v, want %v", got, tc.want)
			}
		})
	}
}

// Stored hashes are read back from the database; a damaged one must be
// refused without panicking or allocating without bound.
func FuzzCheckPassword(f *testing.F) {
	h, _ := HashPassword("pw")
	f.Add(h, "pw")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		_ = CheckPassword(hash, pw)
	})
}

func TestLocalPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/app/c/sapi_dm_1", "/app/c/sapi_dm_1"},
		{"/app/?platform=x", "/app/?platform=x"},
		{"//evil.example/", "/app/"},
		{"/\\evil.example", "/app/"},
		{"https://evil.example/", "/app/"},
		{"/app\r\nSet-Cookie: x=1", "/app/"},
		{"", "/app/"},
	} {
		if got := localPath(tc.in, "/app/"); got != tc.want {
			t.Errorf("localPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// next comes from the query string and forms of the sign-in pages: whatever
// it is, the redirect stays on this site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/app/", "//evil.example", "/\\evil", "https://evil.example", "/app/c/x?y=1#z", "/%2f%2fevil", "/\t/evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localPath(next, "/app/")
		if got == "/app/" {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t") {
			t.Fatalf("localPath(%q) = %q leaves the site", next, got)
		}
	})
}

// What one password sign-in costs the server (the argon2id hash).
func BenchmarkCheckPassword(b *testing.B) {
	h, _ := HashPassword("correct horse battery")
	for b.Loop() {
		CheckPassword(h, "correct horse battery")
	}
}
