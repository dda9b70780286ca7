package models

import "time"

// InstanceSetting is one key/value setting of the instance, changed by admins
// at run time (sign-up mode, instance description …).
type InstanceSetting struct {
	Key       string `gorm:"primaryKey;size:100"`
	Value     string `gorm:"type:text;not null;default:''"`
	UpdatedAt time.Time
}

// Actor is an ActivityPub actor, local or remote: a Person, a Group (a
// community), or an instance actor. Local actors hold their private key.
type Actor struct {
	ID       int64     `gorm:"primaryKey"`
	IRI      string    `gorm:"size:2048;not null;uniqueIndex"`
	Type     ActorType `gorm:"size:32;not null"`
	Username string    `gorm:"size:255;not null;uniqueIndex:idx_actor_handle,priority:2"`
	// Host is the lower-cased host (with port when not default) of the IRI.
	Host  string `gorm:"size:255;not null;uniqueIndex:idx_actor_handle,priority:1;index"`
	Local bool   `gorm:"not null;default:false"`
	// Kind separates people from groups in the handle namespace: a person and
	// a group may share a name, as on Lemmy.
	Kind           string `gorm:"size:16;not null;uniqueIndex:idx_actor_handle,priority:3"`
	Name           string `gorm:"size:512;not null;default:''"`
	Summary        string `gorm:"type:text;not null;default:''"`
	SummarySource  string `gorm:"type:text;not null;default:''"`
	URL            string `gorm:"size:2048;not null;default:''"`
	IconURL        string `gorm:"size:2048;not null;default:''"`
	ImageURL       string `gorm:"size:2048;not null;default:''"`
	InboxURL       string `gorm:"size:2048;not null;default:''"`
	SharedInboxURL string `gorm:"size:2048;not null;default:''"`
	OutboxURL      string `gorm:"size:2048;not null;default:''"`
	FollowersURL   string `gorm:"size:2048;not null;default:''"`
	FollowingURL   string `gorm:"size:2048;not null;default:''"`
	FeaturedURL    string `gorm:"size:2048;not null;default:''"`
	ModeratorsURL  string `gorm:"size:2048;not null;default:''"`
	PublicKeyID    string `gorm:"size:2048;not null;default:'';index"`
	PublicKeyPEM   string `gorm:"type:text;not null;default:''"`
	// PrivateKeyPEM is set for local actors only and never leaves the store
	// except to sign.
	PrivateKeyPEM             string `gorm:"type:text;not null;default:''"`
	ManuallyApprovesFollowers bool   `gorm:"not null;default:false"`
	Discoverable              bool   `gorm:"not null;default:false"`
	// FetchedAt is when a remote actor document was last fetched.
	FetchedAt *time.Time
	// GoneAt is set when a remote answered 410 or sent Delete of the actor.
	GoneAt    *time.Time
	Published time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Actor kinds for the handle namespace (Actor.Kind).
const (
	// KindPerson is people (Person, Service bots …).
	KindPerson = "person"
	// KindGroup is communities.
	KindGroup = "group"
	// KindInstance is instance actors.
	KindInstance = "instance"
)

// KindOf maps an actor type to its handle namespace.
func KindOf(t ActorType) string {
	switch t {
	case ActorGroup:
		return KindGroup
	case ActorApplication:
		return KindInstance
	default:
		return KindPerson
	}
}

// Account is a local login. Its public face is a Person actor.
type Account struct {
	ID           int64  `gorm:"primaryKey"`
	ActorID      int64  `gorm:"not null;uniqueIndex"`
	Actor        *Actor `gorm:"constraint:OnDelete:CASCADE"`
	Email        string `gorm:"size:320;not null;uniqueIndex"`
	PasswordHash string `gorm:"size:255;not null"`
	Admin        bool   `gorm:"not null;default:false"`
	Approved     bool   `gorm:"not null;default:false"`
	Organization string `gorm:"size:255;not null;default:''"`
	// Expertise is a list of free topic tags, stored as JSON.
	Expertise   []string `gorm:"serializer:json;type:text"`
	DisabledAt  *time.Time
	LastLoginAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Community is a Community of Practice: a Group actor plus its domain
// statement and policies. Remote communities we know of are stored too, with
// Local false, so that people can explore and join them.
type Community struct {
	ID      int64  `gorm:"primaryKey"`
	ActorID int64  `gorm:"not null;uniqueIndex"`
	Actor   *Actor `gorm:"constraint:OnDelete:CASCADE"`
	Local   bool   `gorm:"not null;default:false;index"`
	// Topics are the key issues of the community's domain, stored as JSON.
	Topics                  []string   `gorm:"serializer:json;type:text"`
	Visibility              Visibility `gorm:"size:16;not null;default:'public'"`
	JoinPolicy              JoinPolicy `gorm:"size:16;not null;default:'open'"`
	PostingRestrictedToMods bool       `gorm:"not null;default:false"`
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// Member is an actor's membership of a local community. Accepted members are
// the Group's followers. Remote people are members too.
type Member struct {
	ID          int64       `gorm:"primaryKey"`
	CommunityID int64       `gorm:"not null;uniqueIndex:idx_member,priority:1;index:idx_member_state,priority:1"`
	ActorID     int64       `gorm:"not null;uniqueIndex:idx_member,priority:2;index"`
	Actor       *Actor      `gorm:"constraint:OnDelete:CASCADE"`
	Role        Role        `gorm:"size:16;not null;default:'member'"`
	State       MemberState `gorm:"size:16;not null;default:'pending';index:idx_member_state,priority:2"`
	// FollowIRI is the id of the Follow activity that asked for membership,
	// embedded again in the Accept or Reject.
	FollowIRI string `gorm:"size:2048;not null;default:''"`
	// BanReason is the moderator's reason for a ban (MemberBanned), shown
	// to moderators and sent with the Block.
	BanReason string `gorm:"size:1000;not null;default:''"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Follow is an outgoing follow by a local actor (a person joining a remote
// community, or a community linking to another).
type Follow struct {
	ID            int64       `gorm:"primaryKey"`
	ActorID       int64       `gorm:"not null;uniqueIndex:idx_follow,priority:1"`
	TargetActorID int64       `gorm:"not null;uniqueIndex:idx_follow,priority:2;index"`
	State         FollowState `gorm:"size:16;not null;default:'pending'"`
	ActivityIRI   string      `gorm:"size:2048;not null;uniqueIndex"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Post is a thread-starting post or a reply, local or remote. A deleted post
// keeps its row as a tombstone (DeletedAt) so a late Create is dropped.
type Post struct {
	ID          int64  `gorm:"primaryKey"`
	IRI         string `gorm:"size:2048;not null;uniqueIndex"`
	CommunityID *int64 `gorm:"index:idx_post_thread,priority:1"`
	AuthorID    int64  `gorm:"not null;index"`
	Author      *Actor `gorm:"constraint:OnDelete:CASCADE"`
	// ThreadID is the id of the thread's first post; nil on a first post.
	ThreadID   *int64   `gorm:"index:idx_post_thread,priority:2"`
	InReplyTo  string   `gorm:"size:2048;not null;default:'';index"`
	Type       string   `gorm:"size:32;not null;default:'Note'"`
	Title      string   `gorm:"size:1024;not null;default:''"`
	Content    string   `gorm:"type:text;not null;default:''"`
	Source     string   `gorm:"type:text;not null;default:''"`
	URL        string   `gorm:"size:2048;not null;default:''"`
	Audience   Audience `gorm:"size:16;not null;default:'public';index"`
	Local      bool     `gorm:"not null;default:false"`
	Sensitive  bool     `gorm:"not null;default:false"`
	ReplyCount int      `gorm:"not null;default:0"`
	LikeCount  int      `gorm:"not null;default:0"`
	Published  time.Time
	EditedAt   *time.Time
	// FeaturedAt is set while a moderator has the post pinned (featured).
	FeaturedAt *time.Time
	DeletedAt  *time.Time `gorm:"index"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Like is an actor's like of a post.
type Like struct {
	ID          int64  `gorm:"primaryKey"`
	PostID      int64  `gorm:"not null;uniqueIndex:idx_like,priority:1"`
	ActorID     int64  `gorm:"not null;uniqueIndex:idx_like,priority:2"`
	ActivityIRI string `gorm:"size:2048;not null;default:''"`
	CreatedAt   time.Time
}

// Activity is an activity we published (Local) or accepted and redistribute.
// Its JSON is rendered once and kept, so every delivery sends the same bytes.
type Activity struct {
	ID          int64    `gorm:"primaryKey"`
	IRI         string   `gorm:"size:2048;not null;uniqueIndex"`
	Type        string   `gorm:"size:32;not null"`
	ActorID     int64    `gorm:"not null;index"`
	ObjectIRI   string   `gorm:"size:2048;not null;default:'';index"`
	CommunityID *int64   `gorm:"index"`
	Audience    Audience `gorm:"size:16;not null;default:'public'"`
	Local       bool     `gorm:"not null;default:false"`
	// InOutbox marks activities listed in the actor's outbox collection.
	InOutbox  bool   `gorm:"not null;default:false"`
	JSON      string `gorm:"type:text;not null"`
	CreatedAt time.Time
}

// Delivery is one activity to send to one inbox. The database holds the
// truth about pending work; asynq only wakes the workers.
type Delivery struct {
	ID         int64         `gorm:"primaryKey"`
	ActivityID int64         `gorm:"not null;uniqueIndex:idx_delivery,priority:1"`
	InboxURL   string        `gorm:"size:2048;not null;uniqueIndex:idx_delivery,priority:2"`
	Host       string        `gorm:"size:255;not null;index"`
	State      DeliveryState `gorm:"size:16;not null;default:'pending'"`
	Priority   int           `gorm:"not null;default:0"`
	Attempts   int           `gorm:"not null;default:0"`
	// NextAttemptAt of pending rows is indexed (idx_delivery_pending_due,
	// partial) and, with the state, by activity (migration 0005).
	NextAttemptAt time.Time `gorm:"not null"`
	LastStatus    int       `gorm:"not null;default:0"`
	LastError     string    `gorm:"size:1024;not null;default:''"`
	DeliveredAt   *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// InboxItem is a raw activity received at an inbox, stored before it is
// processed, idempotently on its activity id.
type InboxItem struct {
	ID          int64      `gorm:"primaryKey"`
	ActivityIRI string     `gorm:"size:2048;not null;uniqueIndex"`
	ActorIRI    string     `gorm:"size:2048;not null"`
	KeyID       string     `gorm:"size:2048;not null;default:''"`
	Type        string     `gorm:"size:32;not null;default:''"`
	Body        string     `gorm:"type:text;not null"`
	State       InboxState `gorm:"size:16;not null;default:'received';index"`
	Error       string     `gorm:"size:1024;not null;default:''"`
	Attempts    int        `gorm:"not null;default:0"`
	ReceivedAt  time.Time  `gorm:"not null"`
	ProcessedAt *time.Time
}

// RemoteHost tracks delivery health per remote host: the circuit breaker and
// the unavailable mark.
type RemoteHost struct {
	Host string `gorm:"primaryKey;size:255"`
	// FailingSince is the first failure of the current run of failures.
	FailingSince *time.Time
	// ConsecutiveFailures counts failures since the last success.
	ConsecutiveFailures int `gorm:"not null;default:0"`
	// OpenUntil keeps the circuit open (no bulk sends) until then.
	OpenUntil *time.Time
	// UnavailableAt is set after seven days of failure; reset on contact.
	UnavailableAt *time.Time
	LastSuccessAt *time.Time
	UpdatedAt     time.Time
}

// Tombstone remembers a deleted object id so that a Create arriving after
// its Delete is dropped.
type Tombstone struct {
	IRI        string `gorm:"primaryKey;size:2048"`
	FormerType string `gorm:"size:32;not null;default:''"`
	DeletedAt  time.Time
}
