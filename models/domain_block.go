package models

import "time"

// DomainBlock is a server this instance does not federate with, chosen by
// its admins. Nothing signed by it is accepted, nothing is sent to it or
// fetched from it, and the memberships and follows between its actors and
// ours ended when it was blocked. Every subdomain of Host is blocked with
// it, as Mastodon and GoToSocial do: a server that wants around a block
// must not merely move to a new subdomain.
type DomainBlock struct {
	ID int64 `gorm:"primaryKey"`
	// Host is a lower-case host name without port.
	Host string `gorm:"size:255;not null;uniqueIndex"`
	// Reason is the admins' public explanation, shown on the About page.
	Reason string `gorm:"size:1000;not null;default:''"`
	// CreatedByID is the admin account that blocked it. No foreign key:
	// the block outlives the account.
	CreatedByID *int64 `gorm:"index"`
	CreatedAt   time.Time
}
