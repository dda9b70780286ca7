package service

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// newID returns a random, URL-safe, unguessable id for a local object or
// activity: ids of members-only objects must not be enumerable.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
