package service

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service/content"
	"github.com/practica-social/practica/store"
)

// ErrDropped says a remote activity was understood and deliberately
// ignored (a Create after its Delete, a duplicate): not an error to the
// sender, but nothing to do.
var ErrDropped = errors.New("dropped")

// RemotePost is a post from another server as the inbox parsed it. The
// service sanitises its HTML and decides.
type RemotePost struct {
	// ActivityIRI, ActivityType and ActivityJSON are the received Create or
	// Update; the community redistributes the JSON unchanged.
	ActivityIRI, ActivityType, ActivityJSON              string
	IRI, Type, Name, ContentHTML, Source, URL, InReplyTo string
	Published                                            time.Time
	Sensitive                                            bool
	// Public is set when the object is addressed to the Public collection.
	Public bool
}

// sameHost reports whether two URLs share a host, the origin rule for
// objects and the actors that claim them.
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}

// titleOf picks a thread title: the object's name, else the first line of
// its text, as Lemmy and Mbin do for Mastodon posts.
func titleOf(rp RemotePost) string {
	if t := strings.TrimSpace(content.PlainText(rp.Name)); t != "" {
		return truncateRunes(t, maxTitleLen)
	}
	text := content.PlainText(rp.ContentHTML)
	// Drop the leading mention(s) of the group: "@gardening@org-a.test Hello".
	for strings.HasPrefix(text, "@") {
		if i := strings.IndexAny(text, " \n"); i > 0 {
			text = strings.TrimSpace(text[i:])
		} else {
			text = ""
		}
	}
	if i := strings.IndexAny(text, "\n"); i > 0 {
		text = text[:i]
	}
	return truncateRunes(strings.TrimSpace(text), 80)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// ReceivePost stores a remote person's post in a community, threads it
// under its parent, and — for a local community — redistributes it to the
// members (FEP-1b12). Policy: the object lives on its author's host; a
// members-only community takes posts from members only, never addressed to
// the public; a public community takes only public posts (a followers-only
// post must not be spread to strangers). Under WithDeferredWrites a new
// top-level post of a local community is kept for FlushDeferred and
// returned without its row id.
func (s *Service) ReceivePost(ctx context.Context, c *models.Community, author *models.Actor, rp RemotePost) (*models.Post, error) {
	if !sameHost(rp.IRI, author.IRI) {
		return nil, Invalid("the object's id is not on its author's host")
	}
	// A batch knows which of its objects were new when it was loaded.
	fresh := takeFresh(ctx, rp.IRI)
	// A new top-level post of a local community may be written with the
	// rest of its batch run (batch_deferred.go); anything else reads
	// posts, so the run's kept rows are written first.
	deferred := deferredOf(ctx)
	if !(fresh && c.Local && rp.InReplyTo == "" && rp.ActivityIRI != "" && rp.ActivityJSON != "") {
		deferred = nil
		if err := s.FlushDeferred(ctx); err != nil {
			return nil, err
		}
	}
	if !fresh {
		if gone, err := s.store.IsTombstoned(ctx, rp.IRI); err != nil {
			return nil, storeErr(err, "tombstone")
		} else if gone {
			return nil, ErrDropped
		}
		if existing, err := s.store.GetPostByIRI(ctx, rp.IRI); err == nil {
			return existing, s.lateCreate(ctx, c, author, rp, existing)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, storeErr(err, "post")
		}
	}
	audience := models.AudiencePublic
	switch {
	case !c.Local:
		// A remote community decides what it takes; we only know what it
		// announced to us. A post it did not address to the public is for
		// its members: kept as such, it is shown only to local people
		// whose follow the community accepted (checklist row 18). (We
		// record remote communities as public, so the rules below, meant
		// for our own, would refuse every members-only post.)
		if !rp.Public {
			audience = models.AudienceMembers
		}
	case c.Visibility == models.VisibilityMembers:
		if rp.Public {
			return nil, Invalid("a members-only community does not take public posts")
		}
		audience = models.AudienceMembers
	case !rp.Public:
		return nil, Invalid("a public community takes only public posts")
	}
	var parent *models.Post
	if rp.InReplyTo != "" {
		p, err := s.store.GetPostByIRI(ctx, rp.InReplyTo)
		if err != nil {
			return nil, storeErr(err, "the post replied to")
		}
		if p.CommunityID == nil || *p.CommunityID != c.ID {
			return nil, Invalid("the reply is not in this community")
		}
		parent = p
		audience = p.Audience
		if !rp.Public {
			// Never wider than its own addressing: a reply not addressed
			// to the public stays with the members, under a public post
			// too (a remote community announces what it takes).
			audience = models.AudienceMembers
		}
	}
	if c.Local {
		if err := s.mayReceive(ctx, c, author, parent == nil); err != nil {
			return nil, err
		}
	}
	published := rp.Published
	if published.IsZero() || published.After(s.now().Add(time.Hour)) {
		published = s.now()
	}
	p := &models.Post{
		IRI: rp.IRI, CommunityID: &c.ID, AuthorID: author.ID, Type: rp.Type,
		Content: content.Sanitize(rp.ContentHTML), Source: truncateRunes(rp.Source, maxBodyLen),
		URL: rp.URL, Audience: audience, Sensitive: rp.Sensitive, Published: published.UTC(),
	}
	if p.URL == "" {
		p.URL = rp.IRI
	}
	if parent != nil {
		p.InReplyTo, p.ThreadID = parent.IRI, threadOf(parent)
	} else {
		p.Title = titleOf(rp)
	}
	if deferred != nil {
		inner := receivedActivity(rp, author, c, p)
		acts, to, err := s.announcements(ctx, c, inner, p.IRI)
		if err != nil {
			return nil, err
		}
		deferred.add(c, p, append([]*models.Activity{inner}, acts...), acts, to)
		p.Author = author
		return p, nil
	}
	err := s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.CreatePost(ctx, p); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return ErrDropped
			}
			return storeErr(err, "post")
		}
		if p.ThreadID != nil {
			if err := s.store.IncrementReplies(ctx, *p.ThreadID); err != nil {
				return storeErr(err, "thread")
			}
		}
		boost := ""
		if parent == nil {
			boost = p.IRI
		}
		if fresh && c.Local && rp.ActivityIRI != "" && rp.ActivityJSON != "" {
			// In a batch, a new post's Create is new too: stored with its
			// Announces in one statement. Should it exist after all, the
			// statement fails, the batch rolls back, and the item is
			// handled alone by the path below.
			return s.announce(ctx, c, receivedActivity(rp, author, c, p), boost, true)
		}
		return s.redistributeRemote(ctx, c, author, rp.ActivityIRI, rp.ActivityType, p.IRI, rp.ActivityJSON, audience, boost)
	})
	if err != nil {
		return nil, err
	}
	p.Author = author
	return p, nil
}

// receivedActivity is the row of the activity (a Create) that brought
// the new post p into community c.
func receivedActivity(rp RemotePost, author *models.Actor, c *models.Community, p *models.Post) *models.Activity {
	return &models.Activity{
		IRI: rp.ActivityIRI, Type: rp.ActivityType, ActorID: author.ID, ObjectIRI: p.IRI,
		CommunityID: &c.ID, Audience: p.Audience, JSON: rp.ActivityJSON,
	}
}

// mayReceive applies a local community's rules to a remote author.
func (s *Service) mayReceive(ctx context.Context, c *models.Community, author *models.Actor, newThread bool) error {
	if err := s.refuseBanned(ctx, c, author); err != nil {
		return err
	}
	if c.Visibility != models.VisibilityMembers && (!newThread || !c.PostingRestrictedToMods) {
		return nil // open to everyone: no membership to look up
	}
	m, err := s.store.GetMember(ctx, c.ID, author.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return storeErr(err, "membership")
	}
	member := err == nil && m.State == models.MemberAccepted
	if c.Visibility == models.VisibilityMembers && !member {
		return Forbidden("only members may post in this community")
	}
	if newThread && c.PostingRestrictedToMods && !(member && m.Role.Moderates()) {
		return Forbidden("only moderators may start threads in this community")
	}
	return nil
}

// redistributeRemote records a received activity and, in a local
// community, announces it unchanged to the members.
func (s *Service) redistributeRemote(ctx context.Context, c *models.Community, actor *models.Actor, iri, typ, objectIRI, raw string, audience models.Audience, boost string) error {
	if !c.Local || iri == "" || raw == "" {
		return nil
	}
	act := &models.Activity{IRI: iri, Type: typ, ActorID: actor.ID, ObjectIRI: objectIRI, CommunityID: &c.ID, Audience: audience, Local: false, JSON: raw}
	if err := s.store.CreateActivity(ctx, act); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil // already redistributed
		}
		return storeErr(err, "activity")
	}
	return s.redistribute(ctx, c, act, boost)
}

// ReceiveUpdate applies a remote author's edit of their post. Someone
// else's Update is ignored (checklist row 8).
func (s *Service) ReceiveUpdate(ctx context.Context, author *models.Actor, rp RemotePost) error {
	p, err := s.store.GetPostByIRI(ctx, rp.IRI)
	if errors.Is(err, store.ErrNotFound) {
		return ErrDropped
	}
	if err != nil {
		return storeErr(err, "post")
	}
	if p.AuthorID != author.ID || p.DeletedAt != nil || p.CommunityID == nil {
		return ErrDropped
	}
	c, err := s.store.GetCommunity(ctx, *p.CommunityID)
	if err != nil {
		return storeErr(err, "community")
	}
	if err := s.refuseBanned(ctx, c, author); err != nil {
		return err // an edit would put the banned person's words out again
	}
	now := s.now().UTC()
	p.Content, p.Source, p.Sensitive, p.EditedAt = content.Sanitize(rp.ContentHTML), truncateRunes(rp.Source, maxBodyLen), rp.Sensitive, &now
	if p.ThreadID == nil {
		if t := titleOf(rp); t != "" {
			p.Title = t
		}
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.UpdatePostContent(ctx, p); err != nil {
			return storeErr(err, "post")
		}
		return s.redistributeRemote(ctx, c, author, rp.ActivityIRI, "Update", p.IRI, rp.ActivityJSON, p.Audience, "")
	})
}

// ReceiveDelete applies a remote Delete of an object. Only its author may
// delete a post; a Delete that arrives before its Create leaves a tombstone
// (on the object's own origin only) so the late Create is dropped.
func (s *Service) ReceiveDelete(ctx context.Context, actor *models.Actor, objectIRI, activityIRI, raw string) error {
	if !sameHost(objectIRI, actor.IRI) {
		return ErrDropped
	}
	p, err := s.store.GetPostByIRI(ctx, objectIRI)
	if errors.Is(err, store.ErrNotFound) {
		return storeErr(s.store.PutTombstone(ctx, objectIRI, "", s.now().UTC()), "tombstone")
	}
	if err != nil {
		return storeErr(err, "post")
	}
	if p.AuthorID != actor.ID || p.DeletedAt != nil {
		return ErrDropped
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.TombstonePost(ctx, p, s.now().UTC()); errors.Is(err, store.ErrNotFound) {
			return ErrDropped // deleted meanwhile
		} else if err != nil {
			return storeErr(err, "post")
		}
		if p.CommunityID == nil {
			return nil
		}
		c, err := s.store.GetCommunity(ctx, *p.CommunityID)
		if err != nil {
			return storeErr(err, "community")
		}
		return s.redistributeRemote(ctx, c, actor, activityIRI, "Delete", p.IRI, raw, p.Audience, "")
	})
}

// ReceiveActorDeleted handles Delete of an actor by itself: it is gone,
// its memberships end.
func (s *Service) ReceiveActorDeleted(ctx context.Context, actor *models.Actor) error {
	if actor.Local {
		return Forbidden("a remote server cannot delete a local actor")
	}
	return storeErr(s.store.MarkActorGone(ctx, actor.ID, s.now().UTC()), "actor")
}

// ReceiveLike records a remote like of a post and, in a local community,
// announces it to the members (Lemmy shows votes from every instance).
func (s *Service) ReceiveLike(ctx context.Context, actor *models.Actor, objectIRI, activityIRI, raw string) error {
	p, err := s.store.GetPostByIRI(ctx, objectIRI)
	if errors.Is(err, store.ErrNotFound) {
		return ErrDropped
	}
	if err != nil {
		return storeErr(err, "post")
	}
	if p.DeletedAt != nil || p.CommunityID == nil {
		return ErrDropped
	}
	c, err := s.store.GetCommunity(ctx, *p.CommunityID)
	if err != nil {
		return storeErr(err, "community")
	}
	if err := s.refuseBanned(ctx, c, actor); err != nil {
		return err
	}
	if p.Audience != models.AudiencePublic {
		// Members only: IsInsider would also let in the instance actor of
		// a server holding a member, which may read but takes no part.
		if ok, err := s.store.IsMember(ctx, c.ID, actor.ID); err != nil || !ok {
			return ErrDropped
		}
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		created, err := s.store.PutLike(ctx, &models.Like{PostID: p.ID, ActorID: actor.ID, ActivityIRI: activityIRI})
		if err != nil {
			return storeErr(err, "like")
		}
		if !created {
			return nil
		}
		return s.redistributeRemote(ctx, c, actor, activityIRI, "Like", p.IRI, raw, p.Audience, "")
	})
}

// ReceiveUndoLike removes a remote like.
func (s *Service) ReceiveUndoLike(ctx context.Context, actor *models.Actor, objectIRI, activityIRI, raw string) error {
	p, err := s.store.GetPostByIRI(ctx, objectIRI)
	if err != nil {
		return ErrDropped
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		deleted, err := s.store.DeleteLike(ctx, p.ID, actor.ID)
		if err != nil || !deleted || p.CommunityID == nil {
			return storeErr(err, "like")
		}
		c, err := s.store.GetCommunity(ctx, *p.CommunityID)
		if err != nil {
			return storeErr(err, "community")
		}
		return s.redistributeRemote(ctx, c, actor, activityIRI, "Undo", p.IRI, raw, p.Audience, "")
	})
}
