package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// guard decides which addresses may be connected to.
type guard struct {
	allow   []netip.Prefix
	blocked []netip.Prefix
	// nat64 is the well-known NAT64 prefix, whose last 32 bits are an IPv4
	// address reached through the translator.
	nat64 netip.Prefix
}

// newGuard builds the guard. The blocked list lives in the guard rather than
// in a package variable so nothing can change it after construction.
func newGuard(allow []netip.Prefix) guard {
	var blocked []netip.Prefix
	for _, p := range []string{
		// IPv4 special-purpose ranges (RFC 6890 and successors).
		"0.0.0.0/8",       // "this network"; 0.0.0.0 reaches localhost on Linux
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // carrier-grade NAT
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata at 169.254.169.254
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.88.99.0/24",  // 6to4 relay anycast
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, and 255.255.255.255 broadcast
		// IPv6.
		"::/96",          // unspecified, loopback, IPv4-compatible
		"64:ff9b:1::/48", // local-use NAT64: embedding varies, refuse outright
		"100::/64",       // discard-only
		"2001::/23",      // IETF protocol assignments, Teredo
		"2001:db8::/32",  // documentation
		"2002::/16",      // 6to4 embeds an arbitrary IPv4 address
		"3fff::/20",      // documentation
		"fc00::/7",       // unique local
		"fe80::/10",      // link-local
		"fec0::/10",      // site-local (deprecated)
		"ff00::/8",       // multicast
	} {
		blocked = append(blocked, netip.MustParsePrefix(p))
	}
	return guard{allow: allow, blocked: blocked, nat64: netip.MustParsePrefix("64:ff9b::/96")}
}

// check returns an error wrapping ErrBlockedAddress unless a may be
// connected to.
func (g guard) check(a netip.Addr) error {
	// ::ffff:127.0.0.1 is 127.0.0.1, and a zone changes nothing.
	a = a.WithZone("").Unmap()
	for _, p := range g.allow {
		if p.Contains(a) {
			return nil
		}
	}
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() {
		// Covers unspecified, loopback, link-local, multicast and the
		// RFC 1918 / fc00::/7 ranges in one go; the list below adds the
		// rest.
		return fmt.Errorf("%w: %s", ErrBlockedAddress, a)
	}
	for _, p := range g.blocked {
		if p.Contains(a) {
			return fmt.Errorf("%w: %s", ErrBlockedAddress, a)
		}
	}
	if g.nat64.Contains(a) {
		// Through DNS64/NAT64 a public IPv4 peer is legitimately reached
		// this way; judge it by the IPv4 address it stands for.
		b := a.As16()
		if err := g.check(netip.AddrFrom4([4]byte(b[12:16]))); err != nil {
			return fmt.Errorf("%w: %s (NAT64)", ErrBlockedAddress, a)
		}
	}
	return nil
}

// control is the net.Dialer Control hook: it sees the numeric address of
// the socket about to connect.
func (g guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparseable address %q", ErrBlockedAddress, address)
	}
	return g.check(ap.Addr())
}

// dialContext resolves the host itself (or via Options.Resolve), applies
// PortOverride, skips blocked addresses and dials the first allowed one that
// answers. The dialer's Control hook checks again on the socket.
func (c *Client) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if c.opts.PortOverride != nil {
		if p, ok := c.opts.PortOverride(addr); ok {
			port = p
		}
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		ips, err = c.resolve(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("resolve %s: no addresses", host)
		}
	}
	var errs []error
	for _, ip := range ips {
		if err := c.guard.check(ip); err != nil {
			errs = append(errs, err)
			continue
		}
		conn, err := c.dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("dial %s: %w", addr, errors.Join(errs...))
}

// resolve looks host up with Options.Resolve or the system resolver.
func (c *Client) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if c.opts.Resolve != nil {
		return c.opts.Resolve(ctx, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}
