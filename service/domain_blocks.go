package service

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// BlockListRefresh is how often each process reads the blocked servers
// again. The process where an admin blocks or unblocks a server applies
// it at once; the others (the workers, other web processes) within this.
const BlockListRefresh = 5 * time.Second

// MaxBlockReasonRunes bounds the reason given for a block.
const MaxBlockReasonRunes = 1000

// blockedDeliveryReason is recorded on the deliveries a block ends.
const blockedDeliveryReason = "not sent: the server is blocked here"

// ServerBlocked is the outcome of blocking a server: the block, and the
// relations with its actors that ended.
type ServerBlocked struct {
	Block models.DomainBlock
	// Members counts the memberships and join requests ended, theirs in
	// our communities and ours in theirs.
	Members int64
	// Follows counts the follows ended, either way.
	Follows int64
	// Deliveries counts the pending deliveries to it that will not be sent.
	Deliveries int64
}

// BlockServer makes this instance stop federating with host and its
// subdomains: an admin's decision, public with its reason on the About
// page. In one transaction it records the block, ends the memberships and
// follows between the server's actors and ours, and drops the deliveries
// waiting for it. Nothing is sent to the server, not even the end of the
// relations: blocked means no more traffic either way. Its posts already
// stored stay where they are.
func (s *Service) BlockServer(ctx context.Context, adminID int64, host, reason string) (*ServerBlocked, error) {
	admin, err := s.requireAdmin(ctx, adminID)
	if err != nil {
		return nil, err
	}
	host, err = s.blockableHost(host)
	if err != nil {
		return nil, err
	}
	reason = cleanReason(reason)
	if utf8.RuneCountInString(reason) > MaxBlockReasonRunes {
		return nil, Invalid("the reason is too long (at most %d characters)", MaxBlockReasonRunes)
	}
	out := &ServerBlocked{Block: models.DomainBlock{Host: host, Reason: reason, CreatedByID: &admin.ID}}
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		existing, err := s.store.DomainBlocks(ctx)
		if err != nil {
			return storeErr(err, "blocked servers")
		}
		for _, b := range existing {
			if covers(b.Host, host) {
				if b.Host == host {
					return Conflict(host + " is blocked already")
				}
				return Conflict(host + " is blocked already, with " + b.Host)
			}
		}
		if err := s.store.CreateDomainBlock(ctx, &out.Block); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return Conflict(host + " is blocked already")
			}
			return storeErr(err, "blocked server")
		}
		ended, err := s.store.EndRelationsWithHost(ctx, host)
		if err != nil {
			return storeErr(err, "relations with "+host)
		}
		out.Members, out.Follows = ended.Members, ended.Follows
		out.Deliveries, err = s.store.FailDeliveriesToHost(ctx, host, blockedDeliveryReason, s.now())
		return storeErr(err, "deliveries to "+host)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("server blocked", "host", host, "admin", admin.ID, "members", out.Members, "follows", out.Follows, "deliveries", out.Deliveries)
	s.blocked.reload(ctx, s.now())
	return out, nil
}

// UnblockServer lifts the block of host. Relations ended by the block stay
// ended: the server's people join again, as its servers were never told
// they had left.
func (s *Service) UnblockServer(ctx context.Context, adminID int64, host string) error {
	admin, err := s.requireAdmin(ctx, adminID)
	if err != nil {
		return err
	}
	host, err = NormalizeServerHost(host)
	if err != nil {
		return err
	}
	if err := s.store.DeleteDomainBlock(ctx, host); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return NotFound("blocked server " + host)
		}
		return storeErr(err, "blocked server")
	}
	s.log.Info("server unblocked", "host", host, "admin", admin.ID)
	s.blocked.reload(ctx, s.now())
	return nil
}

// BlockedServers lists the servers this instance does not federate with,
// by host. The list is public, as the About page shows it.
func (s *Service) BlockedServers(ctx context.Context) ([]models.DomainBlock, error) {
	bs, err := s.store.DomainBlocks(ctx)
	return bs, storeErr(err, "blocked servers")
}

// HostBlocked reports whether host ("name" or "name:port") is a blocked
// server or a subdomain of one. It is answered from memory, as every
// received request and every outgoing one asks; the list is read again
// at most every BlockListRefresh. Until a first read succeeds nothing is
// blocked: the database being down stops the inbox anyway.
func (s *Service) HostBlocked(ctx context.Context, host string) bool {
	hosts, ok := s.blocked.get(ctx, s.now())
	return ok && blockedIn(hosts, host)
}

// readBlocked reads the blocked servers' hosts from the database.
func (s *Service) readBlocked(ctx context.Context) (map[string]struct{}, error) {
	bs, err := s.store.DomainBlocks(ctx)
	if err != nil {
		s.log.Warn("reading the blocked servers failed", "err", err)
		return nil, err
	}
	hosts := make(map[string]struct{}, len(bs))
	for _, b := range bs {
		hosts[b.Host] = struct{}{}
	}
	return hosts, nil
}

// blockedIn reports whether host or a domain above it is in hosts.
func blockedIn(hosts map[string]struct{}, host string) bool {
	if len(hosts) == 0 {
		return false
	}
	h := asciiHost(hostWithoutPort(host))
	for {
		if _, ok := hosts[h]; ok {
			return true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			return false
		}
		h = h[i+1:]
	}
}

// asciiHost is host as it is dialled: lower case, without a final dot,
// and in ASCII. Go's HTTP client turns "ｓｐａｍ.example" or "spam。example"
// into spam.example before connecting, so a name compared as written
// would let a blocked server around its block.
func asciiHost(host string) string {
	h := strings.ToLower(host)
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x80 {
			if a, err := idna.Lookup.ToASCII(h); err == nil {
				h = a
			}
			break
		}
	}
	return strings.TrimSuffix(h, ".")
}

// covers reports whether blocking blocked also blocks host.
func covers(blocked, host string) bool {
	return host == blocked || strings.HasSuffix(host, "."+blocked)
}

// hostWithoutPort drops a ":port" from host.
func hostWithoutPort(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// NormalizeServerHost reads the server an admin names: a host name
// ("example.org", or an international one, kept in its ASCII form), a URL
// on it, or a handle ("@alice@example.org"); the port, if any, is
// dropped, since a block covers the whole host. It returns the lower-case
// ASCII host name, or an Invalid error saying what is expected.
func NormalizeServerHost(input string) (string, error) {
	in := strings.TrimSpace(input)
	if strings.Contains(in, "://") {
		u, err := url.Parse(in)
		if err != nil || u.Hostname() == "" {
			return "", Invalid("%q is not a server's address; give its host name, like example.org", input)
		}
		in = u.Hostname()
	} else if i := strings.LastIndexByte(in, '@'); i >= 0 {
		in = in[i+1:]
	}
	in = asciiHost(hostWithoutPort(in))
	if !validHostName(in) {
		return "", Invalid("%q is not a server's host name; give one like example.org", input)
	}
	return in, nil
}

// validHostName accepts names of at least two labels of letters, digits
// and inner dashes: a whole top-level domain cannot be blocked by a slip.
func validHostName(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// blockableHost normalises host and refuses this instance's own host, or
// a domain above it: blocking it would block ourselves.
func (s *Service) blockableHost(host string) (string, error) {
	h, err := NormalizeServerHost(host)
	if err != nil {
		return "", err
	}
	own := strings.ToLower(hostWithoutPort(s.urls.Host()))
	if covers(h, own) {
		return "", Invalid("%s is this server's own domain", h)
	}
	return h, nil
}

// refuseBlockedServer fails when a is an actor of a blocked server: our
// people may not join its communities, nor post or like there, and its
// people may not join ours.
func (s *Service) refuseBlockedServer(ctx context.Context, a *models.Actor) error {
	if a != nil && !a.Local && s.HostBlocked(ctx, a.Host) {
		return Forbidden("this server does not federate with " + asciiHost(hostWithoutPort(a.Host)))
	}
	return nil
}

// refuseBlockedServerNow is refuseBlockedServer asking the database, not
// this process's copy: for what starts a relation (a Follow), which a
// process that has not yet seen a block must not write after the block
// ended the relations.
func (s *Service) refuseBlockedServerNow(ctx context.Context, a *models.Actor) error {
	if a.Local {
		return nil
	}
	hosts, err := s.readBlocked(ctx)
	if err != nil {
		return storeErr(err, "blocked servers")
	}
	if blockedIn(hosts, a.Host) {
		return Forbidden("this server does not federate with " + asciiHost(hostWithoutPort(a.Host)))
	}
	return nil
}
