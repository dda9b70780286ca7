package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service/content"
)

// Limits on a profile.
const (
	maxDisplayNameLen  = 100
	maxBioLen          = 5000
	maxOrganizationLen = 200
)

// ProfileInput is what the settings form sends.
type ProfileInput struct {
	DisplayName string
	// Bio is Markdown.
	Bio          string
	Organization string
	// Expertise are free topic tags.
	Expertise []string
}

// UpdateProfile changes a person's public profile: the Person actor's name
// and summary (rendered from the Markdown bio), and the account's
// organization and expertise. A new name or bio is federated as
// Update{Person} to the servers that show the person's posts
// (federateProfileUpdate).
func (s *Service) UpdateProfile(ctx context.Context, accountID int64, in ProfileInput) (*models.Account, error) {
	name := strings.TrimSpace(content.PlainText(in.DisplayName))
	bio := strings.TrimSpace(in.Bio)
	org := strings.TrimSpace(content.PlainText(in.Organization))
	switch {
	case utf8.RuneCountInString(name) > maxDisplayNameLen:
		return nil, Invalid("the display name may have at most %d characters", maxDisplayNameLen)
	case utf8.RuneCountInString(bio) > maxBioLen:
		return nil, Invalid("the bio may have at most %d characters", maxBioLen)
	case utf8.RuneCountInString(org) > maxOrganizationLen:
		return nil, Invalid("the organization may have at most %d characters", maxOrganizationLen)
	}
	tags, err := normalizeTopics(in.Expertise)
	if err != nil {
		return nil, err
	}
	acct, err := s.store.GetAccount(ctx, accountID)
	if err != nil {
		return nil, storeErr(err, "account")
	}
	if name == "" {
		name = acct.Actor.Username
	}
	acct.Organization, acct.Expertise = org, tags
	// Organization and expertise are not in the Person document: only a
	// new name or bio is worth an Update to every server that shows the
	// person (thousands in a large community), each of which fetches the
	// actor again.
	changed := acct.Actor.Name != name || acct.Actor.SummarySource != bio
	acct.Actor.Name, acct.Actor.SummarySource, acct.Actor.Summary = name, bio, content.RenderMarkdown(bio)
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.UpdateActorProfile(ctx, acct.Actor); err != nil {
			return storeErr(err, "profile")
		}
		if err := s.store.UpdateAccountProfile(ctx, acct); err != nil {
			return storeErr(err, "profile")
		}
		if !changed {
			return nil
		}
		return s.federateProfileUpdate(ctx, acct.Actor)
	})
	if err != nil {
		return nil, err
	}
	return acct, nil
}

// Profile is a person's public profile.
type Profile struct {
	Actor        *models.Actor
	Organization string
	Expertise    []string
}

// PersonProfile returns a local person's public profile by handle.
func (s *Service) PersonProfile(ctx context.Context, username string) (*Profile, error) {
	a, err := s.LocalPerson(ctx, username)
	if err != nil {
		return nil, err
	}
	acct, err := s.store.GetAccountByActorID(ctx, a.ID)
	if err != nil {
		return nil, storeErr(err, "person")
	}
	if !acct.Approved || acct.DisabledAt != nil {
		return nil, NotFound("person")
	}
	return &Profile{Actor: a, Organization: acct.Organization, Expertise: acct.Expertise}, nil
}

// SplitTags splits a comma-separated list of tags as forms send it.
func SplitTags(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' })
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
