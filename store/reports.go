package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm/clause"
)

// CreateReport stores a report. A received Flag already stored for the
// same community is ErrConflict.
func (s *Store) CreateReport(ctx context.Context, r *models.Report) error {
	err := s.conn(ctx).Omit(clause.Associations).Create(r).Error
	return translate(err, fmt.Sprintf("create report in community %d", r.CommunityID))
}

// OpenReportOf returns reporterID's open report of exactly one post, if
// there is one: reporting a post twice is one report.
func (s *Store) OpenReportOf(ctx context.Context, communityID, reporterID, postID int64) (*models.Report, error) {
	var rs []models.Report
	err := s.conn(ctx).Where("community_id = ? AND reporter_id = ? AND state = ? AND activity_iri IS NULL",
		communityID, reporterID, models.ReportOpen).Order("id").Find(&rs).Error
	if err != nil {
		return nil, translate(err, "open reports of a reporter")
	}
	for i := range rs {
		if len(rs[i].PostIDs) == 1 && rs[i].PostIDs[0] == postID {
			return &rs[i], nil
		}
	}
	return nil, fmt.Errorf("store: open report of post %d by %d: %w", postID, reporterID, ErrNotFound)
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
