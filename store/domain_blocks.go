package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/practica-social/practica/models"
)

// hostMatch is the condition "column names host or one of its subdomains,
// with or without a port or a final dot" (actors and deliveries keep
// "host:port" when a server runs on an unusual port, and a URL may spell
// the host "spam.example."). host is validated by the service (a
// lower-case name of letters, digits, dots and dashes), so it holds no
// LIKE wildcard.
func hostMatch(column, host string) (string, []any) {
	var conds []string
	var args []any
	for _, h := range []string{host, host + "."} {
		conds = append(conds, column+" = ?", column+" LIKE ?", column+" LIKE ?", column+" LIKE ?")
		args = append(args, h, "%."+h, h+":%", "%."+h+":%")
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// CreateDomainBlock inserts a block. ErrConflict when the host is blocked
// already.
func (s *Store) CreateDomainBlock(ctx context.Context, b *models.DomainBlock) error {
	return translate(s.conn(ctx).Create(b).Error, "block "+b.Host)
}

// DeleteDomainBlock removes the block of exactly host; ErrNotFound when
// there is none.
func (s *Store) DeleteDomainBlock(ctx context.Context, host string) error {
	res := s.conn(ctx).Where("host = ?", host).Delete(&models.DomainBlock{})
	if res.Error != nil {
		return translate(res.Error, "unblock "+host)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: unblock %s: %w", host, ErrNotFound)
	}
	return nil
}

// DomainBlocks lists every block, by host.
func (s *Store) DomainBlocks(ctx context.Context) ([]models.DomainBlock, error) {
	var bs []models.DomainBlock
	err := s.conn(ctx).Order("host").Find(&bs).Error
	return bs, translate(err, "list domain blocks")
}

// HostRelationsEnded counts what EndRelationsWithHost deleted.
type HostRelationsEnded struct {
	// Members are memberships (and requests) of the host's people in our
	// communities, and of our people in the host's communities.
	Members int64
	// Follows are follows either way between the host's actors and ours.
	Follows int64
}

// EndRelationsWithHost deletes the memberships and follows that tie
// remote actors of host (or its subdomains) to anything here, so that no
// fan-out addresses them any more. Nothing is sent: the host is blocked.
// Bans of its people stay, so that an unblock does not lift them.
func (s *Store) EndRelationsWithHost(ctx context.Context, host string) (HostRelationsEnded, error) {
	var out HostRelationsEnded
	cond, args := hostMatch("host", host)
	theirs := s.conn(ctx).Model(&models.Actor{}).Select("id").Where("local = ?", false).Where(cond, args...)
	res := s.conn(ctx).Where("actor_id IN (?) OR community_id IN (?)", theirs,
		s.conn(ctx).Model(&models.Community{}).Select("id").Where("actor_id IN (?)", theirs)).
		Where("state <> ?", models.MemberBanned).
		Delete(&models.Member{})
	if res.Error != nil {
		return out, translate(res.Error, "end memberships with "+host)
	}
	out.Members = res.RowsAffected
	res = s.conn(ctx).Where("actor_id IN (?) OR target_actor_id IN (?)", theirs, theirs).Delete(&models.Follow{})
	if res.Error != nil {
		return out, translate(res.Error, "end follows with "+host)
	}
	out.Follows = res.RowsAffected
	return out, nil
}

// FailDeliveriesToHost ends the pending deliveries to host (or its
// subdomains) as failed with reason, and returns how many.
func (s *Store) FailDeliveriesToHost(ctx context.Context, host, reason string, now time.Time) (int64, error) {
	cond, args := hostMatch("host", host)
	res := s.conn(ctx).Model(&models.Delivery{}).Where("state = ?", models.DeliveryPending).Where(cond, args...).
		Updates(map[string]any{"state": models.DeliveryFailed, "last_error": reason, "updated_at": now})
	return res.RowsAffected, translate(res.Error, "fail deliveries to "+host)
}
