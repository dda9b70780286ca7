package service_test

import (
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

func (f *fixture) admin() *models.Account {
	f.t.Helper()
	a, err := f.svc.CreateAccount(f.ctx, service.NewAccount{Username: "root", Email: "root@example.org", Password: "long enough", Admin: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func TestSignUpFollowsTheMode(t *testing.T) {
	f := newFixture(t)
	admin := f.admin()
	in := func(name string) service.SignupInput {
		return service.SignupInput{Username: name, Email: name + "@example.org", Password: "long enough"}
	}
	// Closed until an admin opens it.
	if _, err := f.svc.SignUp(f.ctx, in("a")); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("closed: %v", err)
	}
	if err := f.svc.SetSignupMode(f.ctx, admin.ID, models.SignupApproval); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.SignUp(f.ctx, in("b"))
	if err != nil || !res.NeedsApproval || res.Account.Approved {
		t.Fatalf("approval: %+v, %v", res, err)
	}
	pending, err := f.svc.PendingAccounts(f.ctx, admin.ID)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending: %v, %v", pending, err)
	}
	if _, err := f.svc.PendingAccounts(f.ctx, res.Account.ID); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("pending as non-admin: %v", err)
	}
	// Refusing frees the handle.
	if err := f.svc.DecideAccount(f.ctx, admin.ID, res.Account.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SignUp(f.ctx, in("b")); err != nil {
		t.Fatalf("sign up again after refusal: %v", err)
	}

	if err := f.svc.SetSignupMode(f.ctx, admin.ID, models.SignupInvite); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SignUp(f.ctx, in("c")); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("invite mode without a code: %v", err)
	}
	if _, err := f.svc.CreateInvite(f.ctx, admin.ID, 0, 0); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("zero-use invite: %v", err)
	}
	inv, err := f.svc.CreateInvite(f.ctx, admin.ID, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Two people race for a single-use link: exactly one gets an account.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, name := range []string{"d", "e"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := in(name)
			x.InviteCode = inv.Code
			_, errs[i] = f.svc.SignUp(f.ctx, x)
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("single-use invite: %v / %v; want exactly one success", errs[0], errs[1])
	}
	if err := f.svc.CheckInvite(f.ctx, inv.Code); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("spent invite checks as %v", err)
	}
}

func TestExpiredInviteIsRefused(t *testing.T) {
	f := newFixture(t)
	admin := f.admin()
	if err := f.svc.SetSignupMode(f.ctx, admin.ID, models.SignupInvite); err != nil {
		t.Fatal(err)
	}
	inv, err := f.svc.CreateInvite(f.ctx, admin.ID, 5, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	later := service.New(service.Deps{Store: f.store, URLs: f.svc.URLs(), Now: func() time.Time { return time.Now().Add(time.Hour) }})
	_, err = later.SignUp(f.ctx, service.SignupInput{Username: "late", Email: "late@example.org", Password: "long enough", InviteCode: inv.Code})
	if service.KindOf(err) != service.KindInvalid {
		t.Fatalf("expired invite: %v", err)
	}
}
