package service

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service/content"
	"github.com/practica-social/practica/store"
)

// Bounds of reports.
const (
	// maxReportComment bounds a report's comment, in characters.
	maxReportComment = 1000
	// maxFlagCommunities bounds the communities a received Flag is filed
	// in by its addressing (those whose posts it names come on top).
	maxFlagCommunities = 5
	// maxFlagUnknown bounds the IRIs kept of what a Flag names that we do
	// not hold, and maxFlagIRI the length of each.
	maxFlagUnknown = 10
	maxFlagIRI     = 2048
)

// reportComment trims a comment and checks its length.
func reportComment(comment string) (string, error) {
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > maxReportComment {
		return "", Invalid("comment: at most %d characters", maxReportComment)
	}
	return comment, nil
}

// FlagRepeatAfter is how long a person's report of a post in a community
// on another server stands for their later reports of it: within it they
// are the same report and no second Flag is sent; after it, the next one
// is sent. That server never tells us when its moderators close a report,
// so this replaces the open state a report here has; a day lets a double
// click or an impatient second try pass, and still lets a report that was
// lost, or a post that changed, be reported again.
const FlagRepeatAfter = 24 * time.Hour

// ReportPost reports a post the reporter can see to its community's
// moderators. In a community of this server it becomes a report in their
// queue, returned; reporting the post again while that report is open is
// the same report. A community on another server is sent a Flag, in the
// form Lemmy and Mbin take (the person as actor, the post as object, the
// comment as summary and content), and nil is returned. The Flag is
// recorded as an open report of that community, which no queue here
// lists, so that reporting the post again within FlagRepeatAfter of the
// last Flag sends nothing. Either holds for reports sent at once: the
// database keeps one open report per community, reporter and post.
func (s *Service) ReportPost(ctx context.Context, reporterID, postID int64, comment string) (*models.Report, error) {
	comment, err := reportComment(comment)
	if err != nil {
		return nil, err
	}
	c, p, _, err := s.PostLocation(ctx, postID, Viewer{ActorID: reporterID})
	if err != nil {
		return nil, err
	}
	reporter, err := s.store.GetActor(ctx, reporterID)
	if err != nil {
		return nil, storeErr(err, "reporter")
	}
	if !reporter.Local {
		return nil, Forbidden("only people of this server report from here")
	}
	if p.AuthorID == reporterID {
		return nil, Invalid("you cannot report your own post; edit or delete it instead")
	}
	now := s.now().UTC()
	subject := p.AuthorID
	r := &models.Report{CommunityID: c.ID, ReporterID: reporterID, SubjectID: &subject, PostIDs: []int64{p.ID},
		ObjectIRIs: []string{}, Comment: comment, State: models.ReportOpen, CreatedAt: now}
	var out *models.Report
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		filed, created, err := s.store.FileReport(ctx, r)
		if err != nil {
			return storeErr(err, "report")
		}
		out = filed
		if c.Local {
			return nil
		}
		if !created {
			// The Flag is sent again only by the one report that moves
			// the time it was sent.
			renewed, err := s.store.RenewReport(ctx, filed.ID, comment, now.Add(-FlagRepeatAfter), now)
			if err != nil {
				return storeErr(err, "report")
			}
			if !renewed {
				return nil
			}
		}
		return s.sendFlag(ctx, c, reporter, p, comment)
	})
	if err != nil || !c.Local {
		return nil, err
	}
	return out, nil
}

// sendFlag sends a local person's report of post p to c's server.
func (s *Service) sendFlag(ctx context.Context, c *models.Community, reporter *models.Actor, p *models.Post, comment string) error {
	id := s.urls.Activity(newID())
	doc := activityDoc(id, "Flag", reporter.IRI, p.IRI, []string{c.Actor.IRI}, nil)
	doc["audience"] = c.Actor.IRI
	if comment != "" {
		doc["summary"], doc["content"] = comment, comment
	}
	body, err := marshal(doc)
	if err != nil {
		return err
	}
	act := &models.Activity{IRI: id, Type: "Flag", ActorID: reporter.ID, ObjectIRI: p.IRI, CommunityID: &c.ID,
		Audience: models.AudienceDirect, Local: true, JSON: body}
	return s.publish(ctx, act, []string{inboxOf(c.Actor)}, PriorityDirect)
}

// ReceivedFlag is a Flag from another server, as the inbox read it.
type ReceivedFlag struct {
	// ActivityIRI is the Flag's id.
	ActivityIRI string
	// Objects are the IRIs it names: posts, people, communities.
	Objects []string
	// Addressed are its to, cc, audience and target: the community a
	// report is for, when its objects do not say.
	Addressed []string
	// Comment is its content or summary, as sent (HTML or text).
	Comment string
}

// ReceiveFlag files a report from another server (protocol.md §10). Each
// community of this server the Flag concerns gets one report: those whose
// posts it names (Mastodon's form: [account, posts…]) and those it names
// or is addressed to (Lemmy's and Mbin's: the post as object, the
// community in to and audience). The people it names become the report's
// subject when we know them; what we do not hold is kept as the IRIs
// sent. A Flag that concerns no community here is refused. Delivered
// again, it is not filed twice.
func (s *Service) ReceiveFlag(ctx context.Context, from *models.Actor, f ReceivedFlag) (int, error) {
	comment := content.PlainText(f.Comment)
	if utf8.RuneCountInString(comment) > maxReportComment {
		comment = truncateRunes(comment, maxReportComment)
	}
	reports := map[int64]*models.Report{}
	var order []int64
	report := func(c *models.Community) *models.Report {
		if r, ok := reports[c.ID]; ok {
			return r
		}
		iri := f.ActivityIRI
		r := &models.Report{CommunityID: c.ID, ReporterID: from.ID, PostIDs: []int64{}, ObjectIRIs: []string{},
			Comment: comment, ActivityIRI: &iri, State: models.ReportOpen}
		reports[c.ID] = r
		order = append(order, c.ID)
		return r
	}
	var subject *int64
	var unknown []string
	authored := map[int64]map[int64]bool{} // community -> authors of its reported posts
	for _, iri := range f.Objects {
		if p, err := s.store.GetPostByIRI(ctx, iri); err == nil {
			if p.CommunityID == nil || p.DeletedAt != nil {
				continue
			}
			c, err := s.store.GetCommunity(ctx, *p.CommunityID)
			if err != nil {
				return 0, storeErr(err, "community")
			}
			if !c.Local {
				continue // moderated on its own server
			}
			r := report(c)
			if slices.Contains(r.PostIDs, p.ID) {
				continue
			}
			r.PostIDs = append(r.PostIDs, p.ID)
			if authored[c.ID] == nil {
				authored[c.ID] = map[int64]bool{}
			}
			authored[c.ID][p.AuthorID] = true
			if r.SubjectID == nil {
				author := p.AuthorID
				r.SubjectID = &author
			}
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return 0, storeErr(err, "post")
		}
		a, err := s.store.GetActorByIRI(ctx, iri)
		switch {
		case err == nil && a.Kind == models.KindGroup:
			if c, err := s.store.GetCommunityByActorID(ctx, a.ID); err == nil && c.Local {
				c.Actor = a
				report(c)
			}
		case err == nil && subject == nil:
			id := a.ID
			subject = &id
		case err == nil:
		case errors.Is(err, store.ErrNotFound):
			if len(unknown) < maxFlagUnknown && len(iri) <= maxFlagIRI && isHTTPURL(iri) && !slices.Contains(unknown, iri) {
				unknown = append(unknown, iri)
			}
		default:
			return 0, storeErr(err, "actor")
		}
	}
	addressed := 0
	seen := map[string]bool{}
	for _, iri := range f.Addressed {
		// Only our own communities, each once, and a few: the addressing
		// of a Flag is the sender's to fill.
		if seen[iri] || !sameHost(iri, s.urls.Base) || addressed == maxFlagCommunities {
			continue
		}
		seen[iri] = true
		c, err := s.store.GetCommunityByActorIRI(ctx, iri)
		if err == nil && c.Local {
			if _, ok := reports[c.ID]; !ok {
				addressed++
			}
			report(c)
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return 0, storeErr(err, "community")
		}
	}
	if len(order) == 0 {
		return 0, Invalid("the report concerns no community of this server")
	}
	filed := 0
	for _, id := range order {
		r := reports[id]
		// The person named is the subject where the report holds none of
		// the posts, or some of theirs; otherwise it stays the author of
		// the first post.
		if subject != nil && (len(r.PostIDs) == 0 || authored[id][*subject]) {
			r.SubjectID = subject
		}
		r.ObjectIRIs = unknown
		if r.ObjectIRIs == nil {
			r.ObjectIRIs = []string{}
		}
		if err := s.store.CreateReport(ctx, r); errors.Is(err, store.ErrConflict) {
			continue // delivered again
		} else if err != nil {
			return filed, storeErr(err, "report")
		}
		filed++
	}
	return filed, nil
}

// ReportView is a report with its posts, for moderators.
type ReportView struct {
	*models.Report
	Posts []models.Post
}

// Reports lists a local community's reports for its moderators: the open
// ones oldest first, or the closed ones (resolved and dismissed) newest
// first; before is a report id cursor.
func (s *Service) Reports(ctx context.Context, c *models.Community, moderatorID int64, open bool, before int64, limit int) ([]ReportView, error) {
	if !c.Local {
		return nil, NotFound("community")
	}
	if err := s.requireModerator(ctx, c, moderatorID); err != nil {
		return nil, err
	}
	rs, err := s.store.Reports(ctx, c.ID, open, before, limit)
	if err != nil {
		return nil, storeErr(err, "reports")
	}
	var ids []int64
	for _, r := range rs {
		ids = append(ids, r.PostIDs...)
	}
	posts, err := s.store.GetPostsByID(ctx, ids)
	if err != nil {
		return nil, storeErr(err, "reported posts")
	}
	byID := map[int64]models.Post{}
	for _, p := range posts {
		byID[p.ID] = p
	}
	out := make([]ReportView, len(rs))
	for i := range rs {
		out[i] = ReportView{Report: &rs[i]}
		for _, id := range rs[i].PostIDs {
			if p, ok := byID[id]; ok {
				out[i].Posts = append(out[i].Posts, p)
			}
		}
	}
	return out, nil
}

// OpenReportCount returns how many reports wait in a local community, for
// its moderators (0 for anyone else, so pages can show it unconditionally).
func (s *Service) OpenReportCount(ctx context.Context, c *models.Community, viewerID int64) (int64, error) {
	if !c.Local {
		return 0, nil
	}
	if err := s.requireModerator(ctx, c, viewerID); KindOf(err) == KindForbidden {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	n, err := s.store.CountOpenReports(ctx, c.ID)
	return n, storeErr(err, "reports")
}

// CloseReport marks an open report resolved (something was done: a post
// removed, a member removed) or dismissed (nothing to do). Acting on a
// report is done with RemovePost and RemoveMember; closing it records that
// a moderator looked.
func (s *Service) CloseReport(ctx context.Context, c *models.Community, moderatorID, reportID int64, dismiss bool) error {
	if !c.Local {
		return NotFound("community")
	}
	if err := s.requireModerator(ctx, c, moderatorID); err != nil {
		return err
	}
	state := models.ReportResolved
	if dismiss {
		state = models.ReportDismissed
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		// As for the other moderators' actions: one dismissed since the
		// check above closes nothing.
		if _, err := s.lockModerator(ctx, c, moderatorID); err != nil {
			return err
		}
		return storeErr(s.store.CloseReport(ctx, c.ID, reportID, moderatorID, state, s.now()), "open report")
	})
}

// isHTTPURL reports an absolute http(s) URL, the only IRIs a report keeps.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
