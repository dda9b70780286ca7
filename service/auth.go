package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// LoginLimits bound failed log-ins, per client address and per account
// (OWASP ASVS 2.2.1): brute force from one address, and slow guessing of
// one account from many, both run into a wall.
type LoginLimits struct {
	// PerAccount failures within Window lock the account's log-in.
	PerAccount int
	// PerIP failures within Window lock the address.
	PerIP int
	// Window is how long failures are remembered.
	Window time.Duration
	// MaxKeys bounds the memory the limiter takes.
	MaxKeys int
}

// DefaultLoginLimits returns the production limits.
func DefaultLoginLimits() LoginLimits {
	return LoginLimits{PerAccount: 5, PerIP: 20, Window: 15 * time.Minute, MaxKeys: 10000}
}

// LoginLimiter counts failed log-ins in memory. Each web process has one;
// with several processes an attacker gets each one's allowance, which is
// still a handful of guesses per quarter hour.
type LoginLimiter struct {
	limits LoginLimits
	now    func() time.Time
	mu     sync.Mutex
	keys   map[string]*failures
}

type failures struct {
	count int
	first time.Time
}

// NewLoginLimiter returns an empty limiter; now nil means time.Now.
func NewLoginLimiter(l LoginLimits, now func() time.Time) *LoginLimiter {
	if l.MaxKeys <= 0 {
		l.MaxKeys = DefaultLoginLimits().MaxKeys
	}
	if l.Window <= 0 {
		l.Window = DefaultLoginLimits().Window
	}
	if now == nil {
		now = time.Now
	}
	return &LoginLimiter{limits: l, now: now, keys: map[string]*failures{}}
}

// blocked reports how long key must wait, 0 when it may try.
func (l *LoginLimiter) blocked(key string, max int) time.Duration {
	if max <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.keys[key]
	if !ok {
		return 0
	}
	end := f.first.Add(l.limits.Window)
	if !l.now().Before(end) {
		delete(l.keys, key)
		return 0
	}
	if f.count < max {
		return 0
	}
	return end.Sub(l.now())
}

// fail counts a failure against key.
func (l *LoginLimiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if f, ok := l.keys[key]; ok && now.Before(f.first.Add(l.limits.Window)) {
		f.count++
		return
	}
	if len(l.keys) >= l.limits.MaxKeys {
		l.sweep(now)
	}
	l.keys[key] = &failures{count: 1, first: now}
}

// sweep drops expired entries and, if the map is still full, as many
// others as it takes to make room: memory stays bounded under a flood of
// distinct keys, at the price of forgetting some counts.
func (l *LoginLimiter) sweep(now time.Time) {
	for k, f := range l.keys {
		if !now.Before(f.first.Add(l.limits.Window)) {
			delete(l.keys, k)
		}
	}
	for k := range l.keys {
		if len(l.keys) < l.limits.MaxKeys {
			break
		}
		delete(l.keys, k)
	}
}

// reset forgets key's failures after a successful log-in.
func (l *LoginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// size is how many keys the limiter holds (tests).
func (l *LoginLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// LoginAttempt is what a log-in form sends.
type LoginAttempt struct {
	// Identifier is an e-mail address or a local handle.
	Identifier string
	Password   string
	// ClientIP is the address the attempt came from.
	ClientIP string
	// Replacing is the session token the browser already holds, if any; it
	// is ended so the new session gets a fresh token.
	Replacing string
}

// LoginResult is a new session: Token goes in the cookie.
type LoginResult struct {
	Token    string
	SignedIn *SignedIn
}

// dummyHash is checked when no account matches, so a wrong handle takes
// as long as a wrong password and does not reveal which accounts exist.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$QjweSnXtzYbqKJVwBoC8JA$WDTwNz4rEjST7p1FDdQJQNhaDkbw9Yc/DP129gL0kK8"

// Login checks a password and starts a session. Too many failures from the
// address or for the account answer KindRateLimited before the password is
// even checked; a wrong identifier or password answers KindUnauthorized with
// one message for both; an account waiting for approval answers
// KindForbidden. lim may be nil (no limiting).
func (s *Service) Login(ctx context.Context, lim *LoginLimiter, in LoginAttempt) (*LoginResult, error) {
	ident := strings.ToLower(strings.TrimSpace(in.Identifier))
	acct, err := s.accountByIdentifier(ctx, ident)
	if err != nil && KindOf(err) != KindNotFound {
		return nil, err
	}
	// The account key is the account itself when it exists, so switching
	// between e-mail and handle does not double the allowance.
	ipKey, acctKey := "ip:"+in.ClientIP, "name:"+strings.TrimPrefix(ident, "@")
	if acct != nil {
		acctKey = fmt.Sprintf("account:%d", acct.ID)
	}
	if lim != nil {
		wait := max(lim.blocked(ipKey, lim.limits.PerIP), lim.blocked(acctKey, lim.limits.PerAccount))
		if wait > 0 {
			return nil, &Error{Kind: KindRateLimited, Message: fmt.Sprintf(
				"too many failed log-ins; wait %d minutes and try again, or ask an admin to reset your password", int(math.Ceil(wait.Minutes())))}
		}
	}
	hash := dummyHash
	if acct != nil {
		hash = acct.PasswordHash
	}
	if !CheckPassword(hash, in.Password) || acct == nil || acct.DisabledAt != nil {
		if lim != nil {
			lim.fail(ipKey)
			lim.fail(acctKey)
		}
		return nil, Unauthorized("the e-mail address or handle, or the password, is wrong")
	}
	if lim != nil {
		lim.reset(acctKey)
	}
	if !acct.Approved {
		return nil, Forbidden("your account is waiting for an admin's approval; you can log in once it is approved")
	}
	token, sess, err := s.startSession(ctx, acct.ID, in.Replacing)
	if err != nil {
		return nil, err
	}
	return &LoginResult{Token: token, SignedIn: &SignedIn{Session: sess, Account: acct}}, nil
}

// accountByIdentifier finds a local account by e-mail or handle.
func (s *Service) accountByIdentifier(ctx context.Context, ident string) (*models.Account, error) {
	if ident == "" {
		return nil, NotFound("account")
	}
	if strings.Contains(strings.TrimPrefix(ident, "@"), "@") {
		a, err := s.store.GetAccountByEmail(ctx, ident)
		if err == nil {
			return a, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, storeErr(err, "account")
		}
		// "@name@our.host" is a handle too.
		name, host, _ := strings.Cut(strings.TrimPrefix(ident, "@"), "@")
		if host != s.urls.Host() {
			return nil, NotFound("account")
		}
		ident = name
	}
	actor, err := s.store.GetLocalActor(ctx, models.KindPerson, strings.TrimPrefix(ident, "@"))
	if err != nil {
		return nil, storeErr(err, "account")
	}
	a, err := s.store.GetAccountByActorID(ctx, actor.ID)
	return a, storeErr(err, "account")
}

// Account returns a local account by id, with its actor.
func (s *Service) Account(ctx context.Context, id int64) (*models.Account, error) {
	a, err := s.store.GetAccount(ctx, id)
	return a, storeErr(err, "account")
}
