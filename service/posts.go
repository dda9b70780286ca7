package service

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service/content"
	"github.com/practica-social/practica/store"
)

// Limits on posts.
const (
	maxTitleLen = 200
	maxBodyLen  = 50000
)

// NewPost is a local person's new thread or reply.
type NewPost struct {
	AuthorID    int64
	CommunityID int64
	// Title names a thread; replies have none.
	Title string
	// Body is Markdown.
	Body string
	// InReplyToID is the post replied to; 0 starts a thread.
	InReplyToID int64
}

// CreatePost publishes a local person's thread or reply in a community.
// In a local community the community redistributes it at once; in a remote
// one it is sent to the community, which announces it back to everyone.
// The web form, the API and the demo all end here.
func (s *Service) CreatePost(ctx context.Context, in NewPost) (*models.Post, error) {
	title := strings.TrimSpace(in.Title)
	body := strings.TrimSpace(in.Body)
	if body == "" {
		return nil, Invalid("the post needs a body")
	}
	if utf8.RuneCountInString(body) > maxBodyLen {
		return nil, Invalid("the post may have at most %d characters", maxBodyLen)
	}
	if utf8.RuneCountInString(title) > maxTitleLen {
		return nil, Invalid("the title may have at most %d characters", maxTitleLen)
	}
	if in.InReplyToID == 0 && title == "" {
		return nil, Invalid("a new thread needs a title")
	}
	author, err := s.store.GetActor(ctx, in.AuthorID)
	if err != nil {
		return nil, storeErr(err, "author")
	}
	if !author.Local || author.Type != models.ActorPerson {
		return nil, Forbidden("only local people post from here")
	}
	c, err := s.store.GetCommunity(ctx, in.CommunityID)
	if err != nil {
		return nil, storeErr(err, "community")
	}
	if err := s.mayPost(ctx, c, author, in.InReplyToID == 0); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	p := &models.Post{
		IRI: s.urls.Object(newID()), CommunityID: &c.ID, AuthorID: author.ID, Type: "Page",
		Title: content.PlainText(title), Content: content.RenderMarkdown(body), Source: body,
		Audience: c.Visibility.Audience(), Local: true, Published: now,
	}
	p.URL = p.IRI
	var parent *models.Post
	if in.InReplyToID != 0 {
		if parent, err = s.store.GetPost(ctx, in.InReplyToID); err != nil {
			return nil, storeErr(err, "the post replied to")
		}
		if parent.DeletedAt != nil || parent.CommunityID == nil || *parent.CommunityID != c.ID {
			return nil, NotFound("the post replied to")
		}
		p.Type, p.Title, p.InReplyTo = "Note", "", parent.IRI
		p.ThreadID = threadOf(parent)
		p.Audience = parent.Audience
	}
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.CreatePost(ctx, p); err != nil {
			return storeErr(err, "post")
		}
		if p.ThreadID != nil {
			if err := s.store.IncrementReplies(ctx, *p.ThreadID); err != nil {
				return storeErr(err, "thread")
			}
		}
		return s.publishOwn(ctx, "Create", c, author, p)
	})
	if err != nil {
		return nil, err
	}
	p.Author = author
	return p, nil
}

// threadOf is the id of the thread a post belongs to (its own for a first post).
func threadOf(p *models.Post) *int64 {
	if p.ThreadID != nil {
		return p.ThreadID
	}
	id := p.ID
	return &id
}

// mayPost applies a community's posting rules to an author.
func (s *Service) mayPost(ctx context.Context, c *models.Community, author *models.Actor, newThread bool) error {
	if !c.Local {
		if err := s.refuseBlockedServer(ctx, c.Actor); err != nil {
			return err
		}
		// A remote community decides for itself; we only require that the
		// person joined it, so the post reaches its members.
		f, err := s.store.GetFollow(ctx, author.ID, c.ActorID)
		if err != nil || f.State != models.FollowAccepted {
			return Forbidden("join this community before posting in it")
		}
		return nil
	}
	if err := s.refuseBanned(ctx, c, author); err != nil {
		return err
	}
	m, err := s.store.GetMember(ctx, c.ID, author.ID)
	member := err == nil && m.State == models.MemberAccepted
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return storeErr(err, "membership")
	}
	if c.Visibility == models.VisibilityMembers && !member {
		return Forbidden("only members may post in this community")
	}
	if !member && author.Local {
		return Forbidden("join this community before posting in it")
	}
	if newThread && c.PostingRestrictedToMods && !(member && m.Role.Moderates()) {
		return Forbidden("only moderators may start threads in this community")
	}
	return nil
}

// publishOwn renders and publishes a local author's Create or Update of a
// post: redistributed by a local community, sent to a remote one.
func (s *Service) publishOwn(ctx context.Context, typ string, c *models.Community, author *models.Actor, p *models.Post) error {
	obj := PostToAS(p, author, c, p.InReplyTo)
	to, cc := addressing(c, p.Audience)
	id := s.urls.Activity(newID())
	doc := activityDoc(id, typ, author.IRI, obj, to, cc)
	doc["audience"] = c.Actor.IRI
	body, err := marshal(doc)
	if err != nil {
		return err
	}
	act := &models.Activity{
		IRI: id, Type: typ, ActorID: author.ID, ObjectIRI: p.IRI, CommunityID: &c.ID,
		Audience: p.Audience, Local: true, InOutbox: p.Audience == models.AudiencePublic, JSON: body,
	}
	if !c.Local {
		return s.publish(ctx, act, []string{inboxOf(c.Actor)}, PriorityBulk)
	}
	if err := s.store.CreateActivity(ctx, act); err != nil {
		return storeErr(err, "activity")
	}
	boost := ""
	if typ == "Create" && p.ThreadID == nil {
		boost = p.IRI
	}
	return s.redistribute(ctx, c, act, boost)
}

// EditPost changes a local post; only its author may. The edit is
// federated as Update.
func (s *Service) EditPost(ctx context.Context, actorID, postID int64, title, body string) (*models.Post, error) {
	p, c, author, err := s.ownPost(ctx, actorID, postID)
	if err != nil {
		return nil, err
	}
	if err := s.refuseBanned(ctx, c, author); err != nil {
		return nil, err // deleting stays allowed; editing would post again
	}
	body = strings.TrimSpace(body)
	if body == "" {
		return nil, Invalid("the post needs a body")
	}
	if utf8.RuneCountInString(body) > maxBodyLen || utf8.RuneCountInString(title) > maxTitleLen {
		return nil, Invalid("the post is too long")
	}
	if p.ThreadID == nil {
		if strings.TrimSpace(title) == "" {
			return nil, Invalid("a thread needs a title")
		}
		p.Title = content.PlainText(title)
	}
	now := s.now().UTC()
	p.Source, p.Content, p.EditedAt = body, content.RenderMarkdown(body), &now
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.UpdatePostContent(ctx, p); err != nil {
			return storeErr(err, "post")
		}
		return s.publishOwn(ctx, "Update", c, author, p)
	})
	return p, err
}

// DeletePost deletes a local post; only its author may. It is federated
// as Delete and leaves a tombstone.
func (s *Service) DeletePost(ctx context.Context, actorID, postID int64) error {
	p, c, author, err := s.ownPost(ctx, actorID, postID)
	if err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.TombstonePost(ctx, p, s.now().UTC()); err != nil {
			return storeErr(err, "post")
		}
		to, cc := addressing(c, p.Audience)
		id := s.urls.Activity(newID())
		doc := activityDoc(id, "Delete", author.IRI, Doc{"id": p.IRI, "type": "Tombstone"}, to, cc)
		doc["audience"] = c.Actor.IRI
		body, err := marshal(doc)
		if err != nil {
			return err
		}
		act := &models.Activity{IRI: id, Type: "Delete", ActorID: author.ID, ObjectIRI: p.IRI, CommunityID: &c.ID, Audience: p.Audience, Local: true, JSON: body}
		if !c.Local {
			return s.publish(ctx, act, []string{inboxOf(c.Actor)}, PriorityBulk)
		}
		if err := s.store.CreateActivity(ctx, act); err != nil {
			return storeErr(err, "activity")
		}
		return s.redistribute(ctx, c, act, "")
	})
}

// ownPost loads a live local post that actorID wrote, with its community.
func (s *Service) ownPost(ctx context.Context, actorID, postID int64) (*models.Post, *models.Community, *models.Actor, error) {
	p, err := s.store.GetPost(ctx, postID)
	if err != nil {
		return nil, nil, nil, storeErr(err, "post")
	}
	if p.DeletedAt != nil || p.CommunityID == nil {
		return nil, nil, nil, NotFound("post")
	}
	if p.AuthorID != actorID || !p.Author.Local {
		return nil, nil, nil, Forbidden("only the author may change this post")
	}
	c, err := s.store.GetCommunity(ctx, *p.CommunityID)
	if err != nil {
		return nil, nil, nil, storeErr(err, "community")
	}
	return p, c, p.Author, nil
}

// Thread is a first post and its replies.
type Thread struct {
	Post    *models.Post
	Replies []models.Post
}

// Threads lists a community's threads as v may see them, newest first.
func (s *Service) Threads(ctx context.Context, c *models.Community, v Viewer, before int64, limit int) ([]models.Post, error) {
	audiences, err := s.audiencesFor(ctx, c, v)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ThreadPage(ctx, c.ID, audiences, before, limit)
	return ps, storeErr(err, "threads")
}

// PostByIRI returns a live post by its id, as v may see it: a members-only
// post answers "not found" to outsiders, exactly like a missing one.
func (s *Service) PostByIRI(ctx context.Context, iri string, v Viewer) (*models.Post, *models.Community, error) {
	p, err := s.store.GetPostByIRI(ctx, iri)
	if err != nil {
		return nil, nil, storeErr(err, "post")
	}
	if p.CommunityID == nil {
		return nil, nil, NotFound("post")
	}
	c, err := s.store.GetCommunity(ctx, *p.CommunityID)
	if err != nil {
		return nil, nil, storeErr(err, "post")
	}
	if p.Audience != models.AudiencePublic {
		ok, err := s.IsInsider(ctx, c, v)
		if err != nil {
			return nil, nil, err
		}
		if !ok && v.ActorID != p.AuthorID {
			return nil, nil, NotFound("post")
		}
	}
	return p, c, nil
}
