package store

import (
	"time"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm"
)

// The frozen schema of migration 0001. These copies, not the live models,
// define what the step creates, so the step never changes meaning when a
// model gains a field (that is a new migration).

type v1InstanceSetting struct {
	Key       string `gorm:"primaryKey;size:100"`
	Value     string `gorm:"type:text;not null;default:''"`
	UpdatedAt time.Time
}

type v1Actor struct {
	ID                        int64            `gorm:"primaryKey"`
	IRI                       string           `gorm:"size:2048;not null;uniqueIndex"`
	Type                      models.ActorType `gorm:"size:32;not null"`
	Username                  string           `gorm:"size:255;not null;uniqueIndex:idx_actor_handle,priority:2"`
	Host                      string           `gorm:"size:255;not null;uniqueIndex:idx_actor_handle,priority:1;index"`
	Local                     bool             `gorm:"not null;default:false"`
	Kind                      string           `gorm:"size:16;not null;uniqueIndex:idx_actor_handle,priority:3"`
	Name                      string           `gorm:"size:512;not null;default:''"`
	Summary                   string           `gorm:"type:text;not null;default:''"`
	SummarySource             string           `gorm:"type:text;not null;default:''"`
	URL                       string           `gorm:"size:2048;not null;default:''"`
	IconURL                   string           `gorm:"size:2048;not null;default:''"`
	ImageURL                  string           `gorm:"size:2048;not null;default:''"`
	InboxURL                  string           `gorm:"size:2048;not null;default:''"`
	SharedInboxURL            string           `gorm:"size:2048;not null;default:''"`
	OutboxURL                 string           `gorm:"size:2048;not null;default:''"`
	FollowersURL              string           `gorm:"size:2048;not null;default:''"`
	FollowingURL              string           `gorm:"size:2048;not null;default:''"`
	FeaturedURL               string           `gorm:"size:2048;not null;default:''"`
	ModeratorsURL             string           `gorm:"size:2048;not null;default:''"`
	PublicKeyID               string           `gorm:"size:2048;not null;default:'';index"`
	PublicKeyPEM              string           `gorm:"type:text;not null;default:''"`
	PrivateKeyPEM             string           `gorm:"type:text;not null;default:''"`
	ManuallyApprovesFollowers bool             `gorm:"not null;default:false"`
	Discoverable              bool             `gorm:"not null;default:false"`
	FetchedAt                 *time.Time
	GoneAt                    *time.Time
	Published                 time.Time
	CreatedAt                 time.Time
	UpdatedAt                 time.Time
}

type v1Account struct {
	ID           int64    `gorm:"primaryKey"`
	ActorID      int64    `gorm:"not null;uniqueIndex"`
	Actor        *v1Actor `gorm:"constraint:OnDelete:CASCADE"`
	Email        string   `gorm:"size:320;not null;uniqueIndex"`
	PasswordHash string   `gorm:"size:255;not null"`
	Admin        bool     `gorm:"not null;default:false"`
	Approved     bool     `gorm:"not null;default:false"`
	Organization string   `gorm:"size:255;not null;default:''"`
	Expertise    []string `gorm:"serializer:json;type:text"`
	DisabledAt   *time.Time
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

type v1Community struct {
	ID                      int64             `gorm:"primaryKey"`
	ActorID                 int64             `gorm:"not null;uniqueIndex"`
	Actor                   *v1Actor          `gorm:"constraint:OnDelete:CASCADE"`
	Local                   bool              `gorm:"not null;default:false;index"`
	Topics                  []string          `gorm:"serializer:json;type:text"`
	Visibility              models.Visibility `gorm:"size:16;not null;default:'public'"`
	JoinPolicy              models.JoinPolicy `gorm:"size:16;not null;default:'open'"`
	PostingRestrictedToMods bool              `gorm:"not null;default:false"`
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

type v1Member struct {
	ID          int64              `gorm:"primaryKey"`
	CommunityID int64              `gorm:"not null;uniqueIndex:idx_member,priority:1;index:idx_member_state,priority:1"`
	ActorID     int64              `gorm:"not null;uniqueIndex:idx_member,priority:2;index"`
	Actor       *v1Actor           `gorm:"constraint:OnDelete:CASCADE"`
	Role        models.Role        `gorm:"size:16;not null;default:'member'"`
	State       models.MemberState `gorm:"size:16;not null;default:'pending';index:idx_member_state,priority:2"`
	FollowIRI   string             `gorm:"size:2048;not null;default:''"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

type v1Follow struct {
	ID            int64              `gorm:"primaryKey"`
	ActorID       int64              `gorm:"not null;uniqueIndex:idx_follow,priority:1"`
	TargetActorID int64              `gorm:"not null;uniqueIndex:idx_follow,priority:2;index"`
	State         models.FollowState `gorm:"size:16;not null;default:'pending'"`
	ActivityIRI   string             `gorm:"size:2048;not null;uniqueIndex"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

type v1Post struct {
	ID          int64           `gorm:"primaryKey"`
	IRI         string          `gorm:"size:2048;not null;uniqueIndex"`
	CommunityID *int64          `gorm:"index:idx_post_thread,priority:1"`
	AuthorID    int64           `gorm:"not null;index"`
	Author      *v1Actor        `gorm:"constraint:OnDelete:CASCADE"`
	ThreadID    *int64          `gorm:"index:idx_post_thread,priority:2"`
	InReplyTo   string          `gorm:"size:2048;not null;default:'';index"`
	Type        string          `gorm:"size:32;not null;default:'Note'"`
	Title       string          `gorm:"size:1024;not null;default:''"`
	Content     string          `gorm:"type:text;not null;default:''"`
	Source      string          `gorm:"type:text;not null;default:''"`
	URL         string          `gorm:"size:2048;not null;default:''"`
	Audience    models.Audience `gorm:"size:16;not null;default:'public';index"`
	Local       bool            `gorm:"not null;default:false"`
	Sensitive   bool            `gorm:"not null;default:false"`
	ReplyCount  int             `gorm:"not null;default:0"`
	LikeCount   int             `gorm:"not null;default:0"`
	Published   time.Time
	EditedAt    *time.Time
	FeaturedAt  *time.Time
	DeletedAt   *time.Time `gorm:"index"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

type v1Like struct {
	ID          int64  `gorm:"primaryKey"`
	PostID      int64  `gorm:"not null;uniqueIndex:idx_like,priority:1"`
	ActorID     int64  `gorm:"not null;uniqueIndex:idx_like,priority:2"`
	ActivityIRI string `gorm:"size:2048;not null;default:''"`
	CreatedAt   time.Time
}

type v1Activity struct {
	ID          int64           `gorm:"primaryKey"`
	IRI         string          `gorm:"size:2048;not null;uniqueIndex"`
	Type        string          `gorm:"size:32;not null"`
	ActorID     int64           `gorm:"not null;index"`
	ObjectIRI   string          `gorm:"size:2048;not null;default:'';index"`
	CommunityID *int64          `gorm:"index"`
	Audience    models.Audience `gorm:"size:16;not null;default:'public'"`
	Local       bool            `gorm:"not null;default:false"`
	InOutbox    bool            `gorm:"not null;default:false"`
	JSON        string          `gorm:"type:text;not null"`
	CreatedAt   time.Time
}

type v1Delivery struct {
	ID            int64                `gorm:"primaryKey"`
	ActivityID    int64                `gorm:"not null;uniqueIndex:idx_delivery,priority:1"`
	InboxURL      string               `gorm:"size:2048;not null;uniqueIndex:idx_delivery,priority:2"`
	Host          string               `gorm:"size:255;not null;index"`
	State         models.DeliveryState `gorm:"size:16;not null;default:'pending';index:idx_delivery_due,priority:1"`
	Priority      int                  `gorm:"not null;default:0"`
	Attempts      int                  `gorm:"not null;default:0"`
	NextAttemptAt time.Time            `gorm:"not null;index:idx_delivery_due,priority:2"`
	LastStatus    int                  `gorm:"not null;default:0"`
	LastError     string               `gorm:"size:1024;not null;default:''"`
	DeliveredAt   *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

type v1InboxItem struct {
	ID          int64             `gorm:"primaryKey"`
	ActivityIRI string            `gorm:"size:2048;not null;uniqueIndex"`
	ActorIRI    string            `gorm:"size:2048;not null"`
	KeyID       string            `gorm:"size:2048;not null;default:''"`
	Type        string            `gorm:"size:32;not null;default:''"`
	Body        string            `gorm:"type:text;not null"`
	State       models.InboxState `gorm:"size:16;not null;default:'received';index"`
	Error       string            `gorm:"size:1024;not null;default:''"`
	Attempts    int               `gorm:"not null;default:0"`
	ReceivedAt  time.Time         `gorm:"not null"`
	ProcessedAt *time.Time
}

type v1RemoteHost struct {
	Host                string `gorm:"primaryKey;size:255"`
	FailingSince        *time.Time
	ConsecutiveFailures int `gorm:"not null;default:0"`
	OpenUntil           *time.Time
	UnavailableAt       *time.Time
	LastSuccessAt       *time.Time
	UpdatedAt           time.Time
}

type v1Tombstone struct {
	IRI        string `gorm:"primaryKey;size:2048"`
	FormerType string `gorm:"size:32;not null;default:''"`
	DeletedAt  time.Time
}

func (v1InstanceSetting) TableName() string { return "instance_settings" }
func (v1Actor) TableName() string           { return "actors" }
func (v1Account) TableName() string         { return "accounts" }
func (v1Community) TableName() string       { return "communities" }
func (v1Member) TableName() string          { return "members" }
func (v1Follow) TableName() string          { return "follows" }
func (v1Post) TableName() string            { return "posts" }
func (v1Like) TableName() string            { return "likes" }
func (v1Activity) TableName() string        { return "activities" }
func (v1Delivery) TableName() string        { return "deliveries" }
func (v1InboxItem) TableName() string       { return "inbox_items" }
func (v1RemoteHost) TableName() string      { return "remote_hosts" }
func (v1Tombstone) TableName() string       { return "tombstones" }

func migrateInitial(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(
		&v1InstanceSetting{}, &v1Actor{}, &v1Account{}, &v1Community{}, &v1Member{},
		&v1Follow{}, &v1Post{}, &v1Like{}, &v1Activity{}, &v1Delivery{}, &v1InboxItem{},
		&v1RemoteHost{}, &v1Tombstone{},
	)
}
