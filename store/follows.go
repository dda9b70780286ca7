package store

import (
	"context"
	"fmt"

	"github.com/practica-social/practica/models"
)

// PutFollow inserts an outgoing follow or, when the (actor, target) pair
// exists, replaces its state and activity id.
func (s *Store) PutFollow(ctx context.Context, f *models.Follow) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		existing, err := s.GetFollow(ctx, f.ActorID, f.TargetActorID)
		switch {
		case err == nil:
			f.ID, f.CreatedAt = existing.ID, existing.CreatedAt
			return translate(s.conn(ctx).Model(&models.Follow{ID: existing.ID}).
				Select("state", "activity_iri", "updated_at").Updates(f).Error, "update follow")
		case isNotFound(err):
			return translate(s.conn(ctx).Create(f).Error, "create follow")
		default:
			return err
		}
	})
}

// GetFollow returns actor's follow of target.
func (s *Store) GetFollow(ctx context.Context, actorID, targetID int64) (*models.Follow, error) {
	var f models.Follow
	err := s.conn(ctx).Where("actor_id = ? AND target_actor_id = ?", actorID, targetID).First(&f).Error
	return &f, translate(err, fmt.Sprintf("get follow %d→%d", actorID, targetID))
}

// GetFollowByActivity returns the follow sent as the Follow activity iri.
func (s *Store) GetFollowByActivity(ctx context.Context, iri string) (*models.Follow, error) {
	var f models.Follow
	err := s.conn(ctx).Where("activity_iri = ?", iri).First(&f).Error
	return &f, translate(err, "get follow "+iri)
}

// SetFollowState records the remote's answer to a follow.
func (s *Store) SetFollowState(ctx context.Context, id int64, state models.FollowState) error {
	err := s.conn(ctx).Model(&models.Follow{ID: id}).Update("state", state).Error
	return translate(err, fmt.Sprintf("set follow %d state", id))
}

// DeleteFollow removes actor's follow of target; absent is not an error.
func (s *Store) DeleteFollow(ctx context.Context, actorID, targetID int64) error {
	err := s.conn(ctx).Where("actor_id = ? AND target_actor_id = ?", actorID, targetID).Delete(&models.Follow{}).Error
	return translate(err, "delete follow")
}

// LocalFollowersOf lists local actors with an accepted follow of target:
// the local members of a remote community.
func (s *Store) LocalFollowersOf(ctx context.Context, targetID int64) ([]int64, error) {
	var ids []int64
	err := s.conn(ctx).Model(&models.Follow{}).
		Joins("JOIN actors ON actors.id = follows.actor_id").
		Where("follows.target_actor_id = ? AND follows.state = ? AND actors.local = ?", targetID, models.FollowAccepted, true).
		Pluck("follows.actor_id", &ids).Error
	return ids, translate(err, "local followers")
}

// FollowedRemoteInboxes returns the distinct inboxes of the remote actors a
// local actor follows or has asked to follow (the remote communities a
// person joined): each one's shared inbox when it has one, else its own,
// so a server hosting several of them gets one copy. Refused follows and
// gone actors are left out.
func (s *Store) FollowedRemoteInboxes(ctx context.Context, actorID int64) ([]string, error) {
	var inboxes []string
	err := s.conn(ctx).Model(&models.Follow{}).
		Joins("JOIN actors ON actors.id = follows.target_actor_id").
		Where("follows.actor_id = ? AND follows.state IN ? AND actors.local = ? AND actors.gone_at IS NULL",
			actorID, []models.FollowState{models.FollowAccepted, models.FollowPending}, false).
		Distinct().
		Pluck(memberInbox, &inboxes).Error
	return inboxes, translate(err, fmt.Sprintf("inboxes followed by actor %d", actorID))
}
