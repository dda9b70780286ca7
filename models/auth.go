package models

import "time"

// Session is a browser login. The cookie carries a random token; only its
// SHA-256 hash is stored, so a leaked database does not leak live logins.
type Session struct {
	ID int64 `gorm:"primaryKey"`
	// TokenHash is the hex SHA-256 of the cookie's token.
	TokenHash string   `gorm:"size:64;not null;uniqueIndex"`
	AccountID int64    `gorm:"not null;index"`
	Account   *Account `gorm:"constraint:OnDelete:CASCADE"`
	// CSRFToken is echoed in a hidden field of every form the session
	// submits; a cross-site page cannot read it.
	CSRFToken string    `gorm:"size:64;not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
	CreatedAt time.Time
}

// Invite is a sign-up link an admin created: /signup?invite=CODE.
type Invite struct {
	ID   int64  `gorm:"primaryKey"`
	Code string `gorm:"size:64;not null;uniqueIndex"`
	// CreatedByID is the admin account that made it.
	CreatedByID int64 `gorm:"not null;index"`
	// MaxUses bounds the accounts the link may create.
	MaxUses   int `gorm:"not null;default:1"`
	Uses      int `gorm:"not null;default:0"`
	ExpiresAt *time.Time
	CreatedAt time.Time
}

// Visit kinds (Visit.Kind).
const (
	// VisitThread is a visit of a thread page; TargetID is the first post.
	VisitThread = "thread"
	// VisitCommunity is a visit of a community page; TargetID is the community.
	VisitCommunity = "community"
)

// Visit remembers how far a person has read a thread or a community, so
// pages can mark what is new since their last visit. Post row ids only
// grow, so the highest one seen is the bookmark.
type Visit struct {
	ActorID  int64  `gorm:"primaryKey;autoIncrement:false"`
	Kind     string `gorm:"primaryKey;size:16"`
	TargetID int64  `gorm:"primaryKey;autoIncrement:false"`
	// LastPostID is the highest post id the person has seen there.
	LastPostID int64     `gorm:"not null;default:0"`
	SeenAt     time.Time `gorm:"not null"`
}
