package api

import (
	"strconv"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// The API's own types: models never leave this package as they are, so a
// new column cannot leak by accident. Each converter picks the public
// fields; ids are strings so that JavaScript clients keep every digit.

// Instance describes this server.
type Instance struct {
	Name    string `json:"name"`
	Domain  string `json:"domain"`
	Version string `json:"version"`
	// SignupMode is open, approval, invite or closed.
	SignupMode string         `json:"signup_mode"`
	Counts     InstanceCounts `json:"counts"`
}

// InstanceCounts are the public counts of NodeInfo: members-only content
// is never counted.
type InstanceCounts struct {
	Users       int64 `json:"users"`
	Communities int64 `json:"communities"`
	Threads     int64 `json:"threads"`
	Replies     int64 `json:"replies"`
}

// Actor is a person (or another actor) as anyone may see it.
type Actor struct {
	// Acct is user@host, the handle to mention and to look up.
	Acct     string `json:"acct"`
	Username string `json:"username"`
	Host     string `json:"host"`
	Type     string `json:"type"`
	Name     string `json:"name"`
	IRI      string `json:"iri"`
	URL      string `json:"url"`
	IconURL  string `json:"icon_url,omitempty"`
	// Local says whether the actor lives on this server.
	Local bool `json:"local"`
}

// Me is the caller: its public face, its own account details and the
// token in use.
type Me struct {
	Actor        Actor  `json:"actor"`
	Email        string `json:"email"`
	Admin        bool   `json:"admin"`
	Organization string `json:"organization"`
	Token        Token  `json:"token"`
}

// Token describes an access token (never the token itself).
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	// RevokedAt is set on a revoked token, which never works again.
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Community is a community's public profile, and where the caller stands.
type Community struct {
	// Handle names the community in API paths: "name" for a local one,
	// "name@host" for a remote one.
	Handle  string   `json:"handle"`
	Acct    string   `json:"acct"`
	IRI     string   `json:"iri"`
	URL     string   `json:"url"`
	Name    string   `json:"name"`
	Host    string   `json:"host"`
	Local   bool     `json:"local"`
	IconURL string   `json:"icon_url,omitempty"`
	Summary string   `json:"summary"`
	Topics  []string `json:"topics"`
	// Visibility is public or members; JoinPolicy open, approval or invite.
	Visibility              string    `json:"visibility"`
	JoinPolicy              string    `json:"join_policy"`
	PostingRestrictedToMods bool      `json:"posting_restricted_to_mods"`
	CreatedAt               time.Time `json:"created_at"`
	// MemberCount is set where the caller may know it: local communities,
	// and of members-only ones only for their members.
	MemberCount *int64 `json:"member_count,omitempty"`
	// Membership is where the caller stands; set on single communities.
	Membership *Membership `json:"membership,omitempty"`
}

// Membership is where the caller stands with a community.
type Membership struct {
	// State is none, pending, accepted or rejected.
	State string `json:"state"`
	// Role is owner, moderator or member while accepted.
	Role string `json:"role,omitempty"`
}

// Member is an accepted member of a community.
type Member struct {
	Actor Actor  `json:"actor"`
	Role  string `json:"role"`
	// Origin is local for people of this server, remote otherwise.
	Origin   string    `json:"origin"`
	JoinedAt time.Time `json:"joined_at"`
}

// MembershipRequest is someone's request to join, waiting for a
// moderator's decision.
type MembershipRequest struct {
	Actor Actor `json:"actor"`
	// Origin is local for people of this server, remote otherwise.
	Origin      string    `json:"origin"`
	RequestedAt time.Time `json:"requested_at"`
}

// SetMemberRoleRequest is the body of PATCH
// /communities/{handle}/members/{member}.
type SetMemberRoleRequest struct {
	// Role is moderator or member.
	Role string `json:"role"`
}

// Ban is someone banned from a community by its moderators: a former
// member, or a stranger who posted to it without joining.
type Ban struct {
	Actor Actor `json:"actor"`
	// Origin is local for people of this server, remote otherwise.
	Origin string `json:"origin"`
	// Reason is the moderator's, sent with the ban to the person's server
	// and to the members' servers; it may be empty.
	Reason   string    `json:"reason"`
	BannedAt time.Time `json:"banned_at"`
}

// BanRequest is the body of POST /communities/{handle}/bans.
type BanRequest struct {
	// Member is the person's handle ("name" or "name@host" for people of
	// this server, "name@host" for others) or the iri of their actor:
	// anyone this server knows, member or not.
	Member *string `json:"member"`
	// Reason may be empty.
	Reason string `json:"reason"`
}

// Post is a thread's first post or a reply.
type Post struct {
	ID  string `json:"id"`
	IRI string `json:"iri"`
	URL string `json:"url"`
	// Community is the handle of the community it was posted in.
	Community string `json:"community"`
	Author    Actor  `json:"author"`
	// ThreadID is the id of the thread's first post; absent on a first post.
	ThreadID string `json:"thread_id,omitempty"`
	// InReplyTo is the iri of the post answered; absent on a first post.
	InReplyTo string `json:"in_reply_to,omitempty"`
	Title     string `json:"title,omitempty"`
	// Content is sanitised HTML; Source the author's Markdown, when known.
	Content string `json:"content"`
	Source  string `json:"source,omitempty"`
	// Audience is public or members.
	Audience   string     `json:"audience"`
	Sensitive  bool       `json:"sensitive"`
	Local      bool       `json:"local"`
	ReplyCount int        `json:"reply_count"`
	LikeCount  int        `json:"like_count"`
	Liked      bool       `json:"liked"`
	Featured   bool       `json:"featured"`
	Published  time.Time  `json:"published"`
	EditedAt   *time.Time `json:"edited_at,omitempty"`
}

// PostWithReplies is a post and one page of its replies.
type PostWithReplies struct {
	Post    Post       `json:"post"`
	Replies Page[Post] `json:"replies"`
}

// Page is one page of a listing. NextCursor is empty on the last page;
// pass it as ?cursor= for the next.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
	// Total is the size of the whole listing, where it is known.
	Total *int64 `json:"total,omitempty"`
}

// CreateCommunityRequest is the body of POST /communities.
type CreateCommunityRequest struct {
	Handle     *string  `json:"handle"`
	Name       string   `json:"name"`
	Summary    string   `json:"summary"`
	Topics     []string `json:"topics"`
	Visibility string   `json:"visibility"`
	JoinPolicy string   `json:"join_policy"`
}

// UpdateCommunityRequest is the body of PATCH /communities/{handle}; an
// absent field keeps its value.
type UpdateCommunityRequest struct {
	Name       *string   `json:"name"`
	Summary    *string   `json:"summary"`
	Topics     *[]string `json:"topics"`
	Visibility *string   `json:"visibility"`
	JoinPolicy *string   `json:"join_policy"`
}

// CreateThreadRequest is the body of POST /communities/{handle}/threads.
type CreateThreadRequest struct {
	Title *string `json:"title"`
	// Body is Markdown.
	Body *string `json:"body"`
}

// ReplyRequest is the body of POST /posts/{id}/replies.
type ReplyRequest struct {
	Body *string `json:"body"`
}

// EditPostRequest is the body of PATCH /posts/{id}; an absent field keeps
// its value.
type EditPostRequest struct {
	Title *string `json:"title"`
	Body  *string `json:"body"`
}

// Report is a report waiting for, or handled by, a community's moderators.
type Report struct {
	ID string `json:"id"`
	// Reporter is who reported: a person, or the instance actor of the
	// server that sent the report (Mastodon keeps the person private).
	Reporter Actor `json:"reporter"`
	// Subject is the person reported, when known.
	Subject *Actor `json:"subject,omitempty"`
	// Posts are the reported posts this server holds (removed ones with
	// empty content).
	Posts []Post `json:"posts"`
	// ObjectIRIs are what a report from another server named that this
	// server does not hold.
	ObjectIRIs []string `json:"object_iris"`
	Comment    string   `json:"comment"`
	// State is open, resolved or dismissed.
	State      string     `json:"state"`
	CreatedAt  time.Time  `json:"created_at"`
	ResolvedBy *Actor     `json:"resolved_by,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

// ReportPostRequest is the body of POST /posts/{id}/report.
type ReportPostRequest struct {
	// Comment says what is wrong; it may be empty.
	Comment string `json:"comment"`
}

// RemovePostRequest is the body of POST /posts/{id}/remove.
type RemovePostRequest struct {
	// Reason is shown to the members' servers; it may be empty.
	Reason string `json:"reason"`
}

// BlockedServer is a server this instance does not federate with, nor
// with its subdomains.
type BlockedServer struct {
	// Host is a lower-case host name, without port.
	Host string `json:"host"`
	// Reason is the admins' public explanation; it may be empty.
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// ServerBlocked is the answer to blocking a server: the block, and the
// relations with the server's actors that ended with it.
type ServerBlocked struct {
	Block BlockedServer `json:"block"`
	Ended BlockEnded    `json:"ended"`
}

// BlockEnded counts what a block ended.
type BlockEnded struct {
	// Memberships are memberships and join requests, the server's people's
	// in our communities and ours in its communities.
	Memberships int64 `json:"memberships"`
	// Follows are follows either way.
	Follows int64 `json:"follows"`
	// Deliveries are the deliveries to the server that were waiting and
	// will not be sent.
	Deliveries int64 `json:"deliveries"`
}

// BlockServerRequest is the body of POST /admin/blocked-servers.
type BlockServerRequest struct {
	// Host names the server: a host name, or a URL or handle on it.
	Host *string `json:"host"`
	// Reason is shown publicly on the About page; it may be empty.
	Reason string `json:"reason"`
}

// ActorToAPI is the public face of an actor: no keys, no inboxes.
func ActorToAPI(a *models.Actor) Actor {
	if a == nil {
		return Actor{}
	}
	return Actor{
		Acct: a.Username + "@" + a.Host, Username: a.Username, Host: a.Host, Type: string(a.Type),
		Name: a.Name, IRI: a.IRI, URL: firstNonEmpty(a.URL, a.IRI), IconURL: a.IconURL, Local: a.Local,
	}
}

// CommunityToAPI is a community's public profile. Member count and the
// caller's membership are added by the handlers that know them.
func CommunityToAPI(c *models.Community) Community {
	a := c.Actor
	if a == nil {
		a = &models.Actor{}
	}
	handle := a.Username
	if !c.Local {
		handle += "@" + a.Host
	}
	topics := c.Topics
	if topics == nil {
		topics = []string{}
	}
	return Community{
		Handle: handle, Acct: a.Username + "@" + a.Host, IRI: a.IRI, URL: firstNonEmpty(a.URL, a.IRI),
		Name: a.Name, Host: a.Host, Local: c.Local, IconURL: a.IconURL, Summary: a.Summary, Topics: topics,
		Visibility: string(c.Visibility), JoinPolicy: string(c.JoinPolicy),
		PostingRestrictedToMods: c.PostingRestrictedToMods, CreatedAt: c.CreatedAt,
	}
}

// MembershipToAPI is where the caller stands.
func MembershipToAPI(m service.Membership) Membership {
	if m.State == "" {
		return Membership{State: "none"}
	}
	out := Membership{State: m.State}
	if m.Member() {
		out.Role = string(m.Role)
	}
	return out
}

// MemberToAPI is one accepted member.
func MemberToAPI(m *models.Member) Member {
	origin := "remote"
	if m.Actor != nil && m.Actor.Local {
		origin = "local"
	}
	return Member{Actor: ActorToAPI(m.Actor), Role: string(m.Role), Origin: origin, JoinedAt: m.CreatedAt}
}

// ReportToAPI is one report of the community with the given handle.
func ReportToAPI(r *service.ReportView, communityHandle string) Report {
	out := Report{ID: idString(r.ID), Reporter: ActorToAPI(r.Reporter), Posts: []Post{}, ObjectIRIs: r.ObjectIRIs,
		Comment: r.Comment, State: string(r.State), CreatedAt: r.CreatedAt, ResolvedAt: r.ResolvedAt}
	if out.ObjectIRIs == nil {
		out.ObjectIRIs = []string{}
	}
	if r.Subject != nil {
		s := ActorToAPI(r.Subject)
		out.Subject = &s
	}
	if r.ResolvedBy != nil {
		by := ActorToAPI(r.ResolvedBy)
		out.ResolvedBy = &by
	}
	for i := range r.Posts {
		out.Posts = append(out.Posts, PostToAPI(&r.Posts[i], communityHandle, false))
	}
	return out
}

// MembershipRequestToAPI is one request waiting for a decision.
func MembershipRequestToAPI(m *models.Member) MembershipRequest {
	origin := "remote"
	if m.Actor != nil && m.Actor.Local {
		origin = "local"
	}
	return MembershipRequest{Actor: ActorToAPI(m.Actor), Origin: origin, RequestedAt: m.CreatedAt}
}

// BanToAPI is one ban.
func BanToAPI(m *models.Member) Ban {
	origin := "remote"
	if m.Actor != nil && m.Actor.Local {
		origin = "local"
	}
	return Ban{Actor: ActorToAPI(m.Actor), Origin: origin, Reason: m.BanReason, BannedAt: m.UpdatedAt}
}

// PostToAPI is a post the caller may see (the service decided), in the
// community with the given handle.
func PostToAPI(p *models.Post, communityHandle string, liked bool) Post {
	out := Post{
		ID: idString(p.ID), IRI: p.IRI, URL: firstNonEmpty(p.URL, p.IRI), Community: communityHandle,
		Author: ActorToAPI(p.Author), InReplyTo: p.InReplyTo, Title: p.Title, Content: p.Content,
		Audience: string(p.Audience), Sensitive: p.Sensitive, Local: p.Local, ReplyCount: p.ReplyCount,
		LikeCount: p.LikeCount, Liked: liked, Featured: p.FeaturedAt != nil, Published: p.Published, EditedAt: p.EditedAt,
	}
	if p.ThreadID != nil {
		out.ThreadID = idString(*p.ThreadID)
	}
	if p.Local {
		// A remote post's source is whatever its server sent; its HTML is
		// what we vouch for.
		out.Source = p.Source
	}
	return out
}

// BlockedServerToAPI is one blocked server. Which admin blocked it stays
// out: the list is public.
func BlockedServerToAPI(b *models.DomainBlock) BlockedServer {
	return BlockedServer{Host: b.Host, Reason: b.Reason, CreatedAt: b.CreatedAt}
}

// ServerBlockedToAPI is the outcome of a block.
func ServerBlockedToAPI(out *service.ServerBlocked) ServerBlocked {
	return ServerBlocked{
		Block: BlockedServerToAPI(&out.Block),
		Ended: BlockEnded{Memberships: out.Members, Follows: out.Follows, Deliveries: out.Deliveries},
	}
}

// TokenToAPI describes a token without revealing it.
func TokenToAPI(t *models.AccessToken) Token {
	return Token{ID: idString(t.ID), Name: t.Name, Scopes: t.Scopes, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

// postsToAPI converts a page of posts of one community.
func postsToAPI(pp service.PostPage, communityHandle, cursorKind string) Page[Post] {
	items := make([]Post, len(pp.Items))
	for i := range pp.Items {
		items[i] = PostToAPI(&pp.Items[i], communityHandle, pp.Liked[pp.Items[i].ID])
	}
	return Page[Post]{Items: items, NextCursor: encodeCursor(cursorKind, pp.Next)}
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
