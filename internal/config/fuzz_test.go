package config

import (
	"strings"
	"testing"
)

// FuzzLoad: whatever a variable holds, Load does not panic, a config it
// accepts passes Validate, and a secret value never appears in its errors.
func FuzzLoad(f *testing.F) {
	f.Add("PARLEY_ACCOUNT_TIMEOUT", "abc")
	f.Add("PARLEY_LISTEN", "[::1]:8080")
	f.Add("PARLEY_TRUSTED_PROXIES", "10.0.0.0/8,::ffff:1.2.3.4")
	f.Add("PARLEY_SECRET_KEYS", "k1:AAAA,k1:BBBB")
	f.Add("PARLEY_DATABASE_URL", "postgres://u:p@h:5432/db?sslmode=disable")
	f.Fuzz(func(t *testing.T, name, value string) {
		if strings.ContainsAny(name, "=\x00") || value == "" {
			return
		}
		c, _, err := Load([]string{name + "=" + value}, nil)
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Load accepted %s=%q but Validate refuses: %v", name, value, verr)
			}
			return
		}
		for _, v := range Variables() {
			if v.Name != name || !v.Secret {
				continue
			}
			secret := []string{value}
			if name == "PARLEY_SECRET_KEYS" {
				// Key ids are named in errors; the keys never are.
				secret = nil
				for _, e := range strings.Split(value, ",") {
					_, key, _ := strings.Cut(e, ":")
					secret = append(secret, key)
				}
			}
			for _, s := range secret {
				if len(s) > 3 && strings.Contains(err.Error(), s) {
					t.Fatalf("secret %s echoed: %v", name, err)
				}
			}
		}
	})
}
