package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm/clause"
)

// CreateReport stores a report. A received Flag already stored for the
// same community is ErrConflict, and so is an open report made here of a
// post its reporter has an open one of (FileReport takes that one).
func (s *Store) CreateReport(ctx context.Context, r *models.Report) error {
	err := s.conn(ctx).Omit(clause.Associations).Create(r).Error
	return translate(err, fmt.Sprintf("create report in community %d", r.CommunityID))
}

// fileReportTries bounds FileReport's rounds: another round is only
// needed when the open report that stopped the insert is closed before it
// can be read.
const fileReportTries = 3

// FileReport stores an open report made here of one post (ActivityIRI
// nil), or returns the open one its reporter already has of that post in
// the community, with false. The partial unique index of migration 0009
// decides, so that reports sent at the same moment are one: the insert
// that loses waits for the winner's transaction and inserts nothing, and
// the read that follows sees the winner's row.
func (s *Store) FileReport(ctx context.Context, r *models.Report) (*models.Report, bool, error) {
	if r.ActivityIRI != nil || len(r.PostIDs) != 1 || r.State != models.ReportOpen {
		return nil, false, errors.New("store: file report: an open report made here of one post is needed")
	}
	for range fileReportTries {
		// The target names the partial index, so a conflict on any other
		// is still an error. Its predicate is the index's, literally:
		// Postgres picks the index by proving one implies the other, which
		// a bound parameter allows only in a plan made with its value.
		res := s.conn(ctx).Omit(clause.Associations).Clauses(clause.OnConflict{
			Columns:     []clause.Column{{Name: "community_id"}, {Name: "reporter_id"}, {Name: "post_ids"}},
			TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "state = 'open' AND activity_iri IS NULL"}}},
			DoNothing:   true,
		}).Create(r)
		if res.Error != nil {
			return nil, false, translate(res.Error, fmt.Sprintf("file report in community %d", r.CommunityID))
		}
		if res.RowsAffected == 1 {
			return r, true, nil
		}
		open, err := s.OpenReportOf(ctx, r.CommunityID, r.ReporterID, r.PostIDs[0])
		if !errors.Is(err, ErrNotFound) {
			return open, false, err
		}
	}
	return nil, false, fmt.Errorf("store: file report in community %d: the open report kept closing: %w", r.CommunityID, ErrConflict)
}

// OpenReportOf returns reporterID's open report made here of exactly one
// post, if there is one: reporting a post twice is one report.
func (s *Store) OpenReportOf(ctx context.Context, communityID, reporterID, postID int64) (*models.Report, error) {
	// post_ids as the index of migration 0009 holds it: the text the JSON
	// serializer writes for the one post.
	key, err := json.Marshal([]int64{postID})
	if err != nil {
		return nil, fmt.Errorf("store: open report of post %d: %w", postID, err)
	}
	var r models.Report
	err = s.conn(ctx).Where("community_id = ? AND reporter_id = ? AND post_ids = ? AND state = ? AND activity_iri IS NULL",
		communityID, reporterID, string(key), models.ReportOpen).Take(&r).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("open report of post %d by %d", postID, reporterID))
	}
	return &r, nil
}

// RenewReport records that an open report made here was sent again, now,
// with comment: it succeeds, reporting true, only for a report last sent
// before sentBefore, so that of two reports at once one sends.
func (s *Store) RenewReport(ctx context.Context, id int64, comment string, sentBefore, now time.Time) (bool, error) {
	res := s.conn(ctx).Model(&models.Report{}).
		Where("id = ? AND state = ? AND activity_iri IS NULL AND created_at < ?", id, models.ReportOpen, sentBefore.UTC()).
		Updates(map[string]any{"comment": comment, "created_at": now.UTC()})
	return res.RowsAffected == 1, translate(res.Error, fmt.Sprintf("renew report %d", id))
}

// Reports lists a community's open reports, oldest first (the queue), or
// its closed ones (resolved and dismissed), newest first, with reporter,
// subject and resolver; before is a cursor (0 for the first page).
func (s *Store) Reports(ctx context.Context, communityID int64, open bool, before int64, limit int) ([]models.Report, error) {
	states := []models.ReportState{models.ReportResolved, models.ReportDismissed}
	if open {
		states = []models.ReportState{models.ReportOpen}
	}
	q := s.conn(ctx).Preload("Reporter").Preload("Subject").Preload("ResolvedBy").
		Where("community_id = ? AND state IN ?", communityID, states)
	if open {
		if before > 0 {
			q = q.Where("id > ?", before)
		}
		q = q.Order("id")
	} else {
		if before > 0 {
			q = q.Where("id < ?", before)
		}
		q = q.Order("id DESC")
	}
	var rs []models.Report
	err := q.Limit(limit).Find(&rs).Error
	return rs, translate(err, fmt.Sprintf("reports of community %d", communityID))
}

// CountOpenReports counts a community's open reports.
func (s *Store) CountOpenReports(ctx context.Context, communityID int64) (int64, error) {
	var n int64
	err := s.conn(ctx).Model(&models.Report{}).Where("community_id = ? AND state = ?", communityID, models.ReportOpen).Count(&n).Error
	return n, translate(err, "count open reports")
}

// CloseReport marks an open report of a community resolved or dismissed.
// A report that is not open, or not the community's, is ErrNotFound.
func (s *Store) CloseReport(ctx context.Context, communityID, reportID, moderatorID int64, state models.ReportState, at time.Time) error {
	if state == models.ReportOpen {
		return errors.New("store: close report: a closed state is needed")
	}
	res := s.conn(ctx).Model(&models.Report{}).
		Where("id = ? AND community_id = ? AND state = ?", reportID, communityID, models.ReportOpen).
		Updates(map[string]any{"state": state, "resolved_by_id": moderatorID, "resolved_at": at.UTC()})
	if res.Error != nil {
		return translate(res.Error, fmt.Sprintf("close report %d", reportID))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: close report %d: %w", reportID, ErrNotFound)
	}
	return nil
}

// GetPostsByID returns the posts with the given ids, with their authors,
// in no particular order; missing ones are left out.
func (s *Store) GetPostsByID(ctx context.Context, ids []int64) ([]models.Post, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var ps []models.Post
	err := s.conn(ctx).Preload("Author").Where("id IN ?", ids).Find(&ps).Error
	return ps, translate(err, "posts by id")
}
