package models

// Audience says who may see an object. Every stored object carries one from
// the first migration so that private spaces never need a redesign.
type Audience string

const (
	// AudiencePublic objects are addressed to the ActivityStreams Public
	// collection and may be served to anyone.
	AudiencePublic Audience = "public"
	// AudienceMembers objects are addressed to a community's members only and
	// are served only to signed requests by members.
	AudienceMembers Audience = "members"
	// AudienceDirect objects are addressed to named actors only.
	AudienceDirect Audience = "direct"
)

// Valid reports whether a is one of the known audiences.
func (a Audience) Valid() bool {
	return a == AudiencePublic || a == AudienceMembers || a == AudienceDirect
}

// ActorType is the ActivityStreams type of an actor.
type ActorType string

const (
	// ActorPerson is a human account.
	ActorPerson ActorType = "Person"
	// ActorGroup is a community.
	ActorGroup ActorType = "Group"
	// ActorApplication is an instance actor (ours, and Mastodon's).
	ActorApplication ActorType = "Application"
	// ActorService is a bot or instance actor on some servers.
	ActorService ActorType = "Service"
	// ActorOrganization is an organization actor; accepted from remotes.
	ActorOrganization ActorType = "Organization"
)

// Visibility says whether a community's content is public or for members only.
type Visibility string

const (
	// VisibilityPublic communities publish to everyone.
	VisibilityPublic Visibility = "public"
	// VisibilityMembers communities publish to members only.
	VisibilityMembers Visibility = "members"
)

// Valid reports whether v is a known visibility.
func (v Visibility) Valid() bool { return v == VisibilityPublic || v == VisibilityMembers }

// Audience is the audience a new post in a community with this visibility gets.
func (v Visibility) Audience() Audience {
	if v == VisibilityMembers {
		return AudienceMembers
	}
	return AudiencePublic
}

// JoinPolicy says how people become members of a community.
type JoinPolicy string

const (
	// JoinOpen communities accept every Follow at once.
	JoinOpen JoinPolicy = "open"
	// JoinApproval communities hold Follows until a moderator decides.
	JoinApproval JoinPolicy = "approval"
	// JoinInvite communities accept only invited people.
	JoinInvite JoinPolicy = "invite"
)

// Valid reports whether p is a known join policy.
func (p JoinPolicy) Valid() bool { return p == JoinOpen || p == JoinApproval || p == JoinInvite }

// Role is a member's role in a community.
type Role string

const (
	// RoleOwner created the community or was handed it.
	RoleOwner Role = "owner"
	// RoleModerator approves members and moderates content.
	RoleModerator Role = "moderator"
	// RoleMember takes part.
	RoleMember Role = "member"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleModerator || r == RoleMember }

// Moderates reports whether the role may moderate.
func (r Role) Moderates() bool { return r == RoleOwner || r == RoleModerator }

// MemberState is where a membership stands.
type MemberState string

const (
	// MemberPending waits for a moderator's decision.
	MemberPending MemberState = "pending"
	// MemberAccepted is a full member (a follower of the Group).
	MemberAccepted MemberState = "accepted"
	// MemberRejected was refused; kept so a repeated Follow is answered alike.
	MemberRejected MemberState = "rejected"
	// MemberBanned is banned by a moderator: not a member, and may not
	// post, reply or like in the community, nor ask to join, until unbanned.
	// Anyone may be banned, members or not (a stranger posting to a public
	// community by mentioning it).
	MemberBanned MemberState = "banned"
)

// FollowState is where an outgoing follow by a local actor stands.
type FollowState string

const (
	// FollowPending was sent and waits for Accept or Reject.
	FollowPending FollowState = "pending"
	// FollowAccepted was accepted by the remote.
	FollowAccepted FollowState = "accepted"
	// FollowRejected was rejected by the remote.
	FollowRejected FollowState = "rejected"
)

// DeliveryState is where one outgoing delivery stands.
type DeliveryState string

const (
	// DeliveryPending is due at NextAttemptAt.
	DeliveryPending DeliveryState = "pending"
	// DeliveryDone got a 2xx.
	DeliveryDone DeliveryState = "done"
	// DeliveryFailed failed finally (a 4xx, the actor gone, or retries spent).
	DeliveryFailed DeliveryState = "failed"
)

// InboxState is where one received activity stands.
type InboxState string

const (
	// InboxReceived is stored and waits for a worker.
	InboxReceived InboxState = "received"
	// InboxProcessed was handled.
	InboxProcessed InboxState = "processed"
	// InboxRefused was understood and refused; Error says why.
	InboxRefused InboxState = "refused"
	// InboxFailed failed in a way a retry may fix.
	InboxFailed InboxState = "failed"
	// InboxWaiting was handed to the fetch pool: a reply whose thread is
	// being fetched from other servers, or an activity received with it
	// that names it and waits for it.
	InboxWaiting InboxState = "waiting"
)

// SignupMode is how new accounts may be created on the instance.
type SignupMode string

const (
	// SignupOpen lets anyone sign up.
	SignupOpen SignupMode = "open"
	// SignupApproval holds new accounts until an admin approves them.
	SignupApproval SignupMode = "approval"
	// SignupInvite needs an invite link.
	SignupInvite SignupMode = "invite"
	// SignupClosed allows no sign-ups; admins create accounts.
	SignupClosed SignupMode = "closed"
)
