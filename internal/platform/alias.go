package platform

import "strings"

// Canonical is the platform a caller's name stands for: the names Parley
// answers with, and "facebook", which hosted DM APIs call Messenger
// (SocialAPI.ai's list filter documents "platform (instagram, facebook, …)",
// https://docs.social-api.ai/api-reference/inbox/list-inbox-conversations,
// checked 2026-11-30). Any other name is returned as given, for the caller's
// own validation.
func Canonical(name string) Name {
	if strings.EqualFold(strings.TrimSpace(name), "facebook") {
		return Messenger
	}
	return Name(name)
}
