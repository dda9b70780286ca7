package models

import (
	"slices"
	"time"
)

// Scopes an access token may carry.
const (
	// ScopeRead lets a token read what its account may see.
	ScopeRead = "read"
	// ScopeWrite lets a token act for its account: post, join, like …
	ScopeWrite = "write"
)

// AccessToken is a personal access token for the JSON API. Only the
// SHA-256 hash of the token is stored: the token itself is shown once, at
// creation, so a leaked database does not leak working credentials.
type AccessToken struct {
	ID        int64    `gorm:"primaryKey"`
	AccountID int64    `gorm:"not null;index"`
	Account   *Account `gorm:"constraint:OnDelete:CASCADE"`
	// Name is the owner's label for the token ("CI bot", "laptop").
	Name string `gorm:"size:100;not null"`
	// TokenHash is the hex SHA-256 of the whole token string.
	TokenHash string `gorm:"size:64;not null;uniqueIndex"`
	// Scopes lists ScopeRead and/or ScopeWrite, stored as JSON.
	Scopes     []string `gorm:"serializer:json;type:text"`
	LastUsedAt *time.Time
	CreatedAt  time.Time
	// RevokedAt is set once the token is revoked; it never works again.
	RevokedAt *time.Time
}

// HasScope reports whether the token carries scope.
func (t *AccessToken) HasScope(scope string) bool { return slices.Contains(t.Scopes, scope) }

// Revoked reports whether the token was revoked.
func (t *AccessToken) Revoked() bool { return t.RevokedAt != nil }
