package service_test

import (
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// TestADismissedModeratorActsNoMore: a moderator's action that read the
// moderator's role just before the owner dismissed them is refused and
// changes nothing. interleaved pauses the action right after that first
// read of the members table, the check it makes before its transaction,
// and dismisses the moderator meanwhile; the action must then find, in its
// transaction, that its author moderates no more.
func TestADismissedModeratorActsNoMore(t *testing.T) {
	type scene struct {
		c               *models.Community
		owner, mod, bob *models.Actor
		post            *models.Post
		report          *models.Report
	}
	for _, tc := range []struct {
		name string
		join models.JoinPolicy
		op   func(f *fixture, s *scene) error
		// unchanged fails the test if the action left a trace.
		unchanged func(t *testing.T, f *fixture, s *scene)
	}{
		{"remove a member", models.JoinOpen, func(f *fixture, s *scene) error {
			return f.svc.RemoveMember(f.ctx, s.c, s.mod.ID, s.bob.ID)
		}, func(t *testing.T, f *fixture, s *scene) {
			if state, _ := f.memberRole(s.c, s.bob); state != models.MemberAccepted {
				t.Errorf("bob is %s, want still accepted", state)
			}
		}},
		{"decide a request", models.JoinApproval, func(f *fixture, s *scene) error {
			return f.svc.DecideMember(f.ctx, s.c, s.mod.ID, s.bob.ID, true)
		}, func(t *testing.T, f *fixture, s *scene) {
			if state, _ := f.memberRole(s.c, s.bob); state != models.MemberPending {
				t.Errorf("bob's request is %s, want still pending", state)
			}
		}},
		{"remove a post", models.JoinOpen, func(f *fixture, s *scene) error {
			return f.svc.RemovePost(f.ctx, s.mod.ID, s.post.ID, "spam")
		}, func(t *testing.T, f *fixture, s *scene) {
			p, err := f.store.GetPost(f.ctx, s.post.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.DeletedAt != nil {
				t.Errorf("bob's post was removed at %v, want it live", p.DeletedAt)
			}
		}},
		{"close a report", models.JoinOpen, func(f *fixture, s *scene) error {
			return f.svc.CloseReport(f.ctx, s.c, s.mod.ID, s.report.ID, true)
		}, func(t *testing.T, f *fixture, s *scene) {
			open, err := f.svc.Reports(f.ctx, s.c, s.owner.ID, true, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(open) != 1 || open[0].ID != s.report.ID {
				t.Errorf("open reports %+v, want the one the dismissed moderator closed", open)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scene{}
			f, errOp, errDismiss := interleaved(t, 1, func(f *fixture) {
				s.owner, s.mod, s.bob = f.person("owner"), f.person("mod"), f.person("bob")
				s.c = f.community("guild", s.owner, models.VisibilityPublic, tc.join)
				for _, p := range []*models.Actor{s.mod, s.bob} {
					if _, err := f.svc.Join(f.ctx, p.ID, s.c); err != nil {
						t.Fatal(err)
					}
				}
				if tc.join == models.JoinApproval {
					if err := f.svc.DecideMember(f.ctx, s.c, s.owner.ID, s.mod.ID, true); err != nil {
						t.Fatal(err)
					}
				} else {
					s.post = f.post(s.bob, s.c, "Cheap seeds here", nil)
					r, err := f.svc.ReportPost(f.ctx, s.owner.ID, s.post.ID, "spam")
					if err != nil {
						t.Fatal(err)
					}
					s.report = r
				}
				if err := f.svc.SetMemberRole(f.ctx, s.c, s.owner.ID, s.mod.ID, models.RoleModerator); err != nil {
					t.Fatal(err)
				}
				f.published()
			}, func(f *fixture) error { return tc.op(f, s) },
				func(f *fixture) error {
					return f.svc.SetMemberRole(f.ctx, s.c, s.owner.ID, s.mod.ID, models.RoleMember)
				})
			if errDismiss != nil {
				t.Fatalf("dismissal: %v", errDismiss)
			}
			if service.KindOf(errOp) != service.KindForbidden {
				t.Errorf("a moderator dismissed while about to %s did it: %v, want forbidden", tc.name, errOp)
			}
			if _, role := f.memberRole(s.c, s.mod); role != models.RoleMember {
				t.Errorf("the moderator is %s after the dismissal, want member", role)
			}
			tc.unchanged(t, f, s)
			if acts := f.published(); len(acts) != 0 {
				t.Errorf("the refused action published %v", acts)
			}
		})
	}
}

// TestAnOwnerAndAModeratorActOnEachOther: a moderator who tries to remove
// the owner while the owner removes them locks both memberships in the
// same order as the owner does, so neither waits for the other forever
// (Postgres would end such a deadlock by failing one of the two): the
// moderator is refused, the owner's removal happens. The moderator's
// removal is paused once it holds its first lock, the owner's membership
// (the owner's actor id is the lower).
func TestAnOwnerAndAModeratorActOnEachOther(t *testing.T) {
	var c *models.Community
	var owner, mod *models.Actor
	f, errMod, errOwner := interleaved(t, 2, func(f *fixture) {
		owner, mod = f.person("owner"), f.person("mod")
		c = f.community("guild", owner, models.VisibilityPublic, models.JoinOpen)
		if _, err := f.svc.Join(f.ctx, mod.ID, c); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, mod.ID, models.RoleModerator); err != nil {
			t.Fatal(err)
		}
	}, func(f *fixture) error { return f.svc.RemoveMember(f.ctx, c, mod.ID, owner.ID) },
		func(f *fixture) error { return f.svc.RemoveMember(f.ctx, c, owner.ID, mod.ID) })
	if service.KindOf(errMod) != service.KindForbidden {
		t.Errorf("the moderator removes the owner: %v, want forbidden", errMod)
	}
	if errOwner != nil {
		t.Errorf("the owner removes the moderator: %v", errOwner)
	}
	if state, role := f.memberRole(c, mod); state != models.MemberRejected || role != models.RoleMember {
		t.Errorf("the moderator is %s %s, want a rejected member", state, role)
	}
	if state, role := f.memberRole(c, owner); state != models.MemberAccepted || role != models.RoleOwner {
		t.Errorf("the owner is %s %s, want the accepted owner", state, role)
	}
}

// TestAnAuthorAppointedMeanwhileKeepsTheirPost: a moderator's removal of
// a member's post that read the author's role just before the owner
// appointed the author a moderator is refused: a moderator may not remove
// another moderator's posts. The removal is paused after its second read
// of the members table (its check of the author, before its transaction).
func TestAnAuthorAppointedMeanwhileKeepsTheirPost(t *testing.T) {
	var c *models.Community
	var owner, mod, bob *models.Actor
	var post *models.Post
	f, errRemove, errAppoint := interleaved(t, 2, func(f *fixture) {
		owner, mod, bob = f.person("owner"), f.person("mod"), f.person("bob")
		c = f.community("guild", owner, models.VisibilityPublic, models.JoinOpen)
		for _, p := range []*models.Actor{mod, bob} {
			if _, err := f.svc.Join(f.ctx, p.ID, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, mod.ID, models.RoleModerator); err != nil {
			t.Fatal(err)
		}
		post = f.post(bob, c, "My notes", nil)
	}, func(f *fixture) error { return f.svc.RemovePost(f.ctx, mod.ID, post.ID, "off topic") },
		func(f *fixture) error { return f.svc.SetMemberRole(f.ctx, c, owner.ID, bob.ID, models.RoleModerator) })
	if errAppoint != nil {
		t.Fatalf("appointing bob: %v", errAppoint)
	}
	if service.KindOf(errRemove) != service.KindForbidden {
		t.Errorf("removing the post of an author appointed meanwhile: %v, want forbidden", errRemove)
	}
	p, err := f.store.GetPost(f.ctx, post.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.DeletedAt != nil {
		t.Errorf("bob's post was removed at %v, want it live", p.DeletedAt)
	}
}
