package transport

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestGuardAddresses(t *testing.T) {
	g := newGuard(nil)
	blocked := []string{
		// Security checklist row 12.
		"127.0.0.1", "0.0.0.0", "::", "::ffff:127.0.0.1", "169.254.169.254", "64:ff9b::7f00:1",
		// The rest of the guard's list.
		"127.255.255.254", "::1", "0.1.2.3", "10.1.2.3", "172.16.0.1", "172.31.255.255",
		"192.168.0.1", "100.64.0.1", "100.127.255.255", "169.254.0.1", "192.0.0.8",
		"192.0.2.1", "198.18.0.1", "198.19.255.255", "198.51.100.1", "203.0.113.1",
		"224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"fc00::1", "fd12:3456::1", "fe80::1", "fe80::1%eth0", "ff02::1", "ff05::2",
		"::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0", "::127.0.0.1",
		"64:ff9b::a00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::808:808", "2001:db8::1",
		"2002:7f00:1::1", "2001::1", "100::1", "fec0::1",
	}
	for _, s := range blocked {
		if err := g.check(netip.MustParseAddr(s)); !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s: allowed (err %v)", s, err)
		}
	}
	public := []string{
		"8.8.8.8", "1.1.1.1", "93.184.215.14", "172.32.0.1", "100.128.0.1", "198.20.0.1",
		"2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8",
		"64:ff9b::808:808", // NAT64 of a public address
	}
	for _, s := range public {
		if err := g.check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}

	allowed := newGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("fd00::/8")})
	for _, s := range []string{"127.0.0.1", "::ffff:127.0.0.1", "fd00::5"} {
		if err := allowed.check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("allow-listed %s: %v", s, err)
		}
	}
	if err := allowed.check(netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Error("allow-list leaked to 10.0.0.1")
	}
}

// The Control hook is the last check before connect(2): it must refuse on
// its own, whatever resolved the address.
func TestGuardControlHook(t *testing.T) {
	g := newGuard(nil)
	for _, a := range []string{"127.0.0.1:80", "[::1]:443", "[::ffff:127.0.0.1]:80", "169.254.169.254:80", "garbage"} {
		if err := g.control("tcp", a, nil); !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s: %v", a, err)
		}
	}
	if err := g.control("tcp4", "8.8.8.8:443", nil); err != nil {
		t.Errorf("public address: %v", err)
	}
	// And the Client's dialer is wired to it, even when dialled directly.
	c := New(Options{})
	if _, err := c.dialer.DialContext(context.Background(), "tcp", "127.0.0.1:1"); !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("direct dial: err %v, want ErrBlockedAddress", err)
	}
}

// TestChecklist12BlockedAtConnect fetches internal addresses for real, with no
// allow-list: every one must fail with ErrBlockedAddress and the loopback
// server must never see a request.
func TestChecklist12BlockedAtConnect(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/activity+json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	c := New(Options{
		RequestTimeout: 5 * time.Second,
		Resolve:        testResolver(map[string]string{"internal.test": "127.0.0.1", "meta.test": "169.254.169.254"}),
		PortOverride: func(hostport string) (string, bool) {
			if strings.HasSuffix(hostport, ".test:80") {
				return port, true
			}
			return "", false
		},
	})
	for _, u := range []string{
		"http://127.0.0.1:" + port + "/",
		"http://[::1]:" + port + "/",
		"http://0.0.0.0:" + port + "/",
		"http://[::]:" + port + "/",
		"http://[::ffff:127.0.0.1]:" + port + "/",
		"http://[::ffff:7f00:1]:" + port + "/",
		"http://169.254.169.254/latest/meta-data/",
		"http://[64:ff9b::7f00:1]:" + port + "/",
		"http://[64:ff9b::a9fe:a9fe]/",
		"http://10.0.0.1/",
		"http://192.168.1.1/",
		"http://100.64.0.1/",
		"http://[fd00::1]/",
		"http://[fe80::1%25lo]/",
		"http://internal.test/",
		"http://meta.test/",
	} {
		_, _, err := c.GetActivityPub(context.Background(), u, nil)
		if !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s: err %v, want ErrBlockedAddress", u, err)
		}
	}
	if err := c.Post(context.Background(), "http://127.0.0.1:"+port+"/inbox", []byte(`{}`), mustSigner(t)); !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("POST: err %v, want ErrBlockedAddress", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("loopback server saw %d requests", n)
	}
}

// A public host redirecting to an internal address is stopped at the hop.
func TestChecklist12RedirectToPrivateBlocked(t *testing.T) {
	// Only 127.0.0.2 is allow-listed; the internal server is on 127.0.0.1.
	good, victimSrv := listenPair(t)
	goodHits, victimHits := atomic.Int64{}, atomic.Int64{}
	serve(t, victimSrv, func(w http.ResponseWriter, _ *http.Request) { victimHits.Add(1) })
	port := serve(t, good, func(w http.ResponseWriter, r *http.Request) {
		goodHits.Add(1)
		switch r.URL.Path {
		case "/to-ip":
			http.Redirect(w, r, "http://127.0.0.1:"+portOf(victimSrv)+"/secret", http.StatusFound)
		case "/to-name":
			http.Redirect(w, r, "http://internal.test/secret", http.StatusMovedPermanently)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
		}
	})
	c := New(Options{
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")},
		Resolve:      testResolver(map[string]string{"public.test": "127.0.0.2", "internal.test": "127.0.0.1"}),
		PortOverride: func(string) (string, bool) { return port, true },
	})
	for _, path := range []string{"/to-ip", "/to-name", "/to-metadata"} {
		_, _, err := c.GetActivityPub(context.Background(), "http://public.test"+path, nil)
		if !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s: err %v, want ErrBlockedAddress", path, err)
		}
	}
	if goodHits.Load() != 3 || victimHits.Load() != 0 {
		t.Errorf("good server hits %d (want 3), internal server hits %d (want 0)", goodHits.Load(), victimHits.Load())
	}
}

// TestChecklist12DNSRebinding: the name first resolves to an allowed address, then to
// an internal one. Because the guard judges the address of each connection
// as it is dialled, the second connection is refused. An answer mixing both
// kinds connects only to the allowed one.
func TestChecklist12DNSRebinding(t *testing.T) {
	good, victim := listenPair(t)
	var victimHits atomic.Int64
	serve(t, victim, func(w http.ResponseWriter, _ *http.Request) {
		victimHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"secret":true}`))
	})
	port := serve(t, good, func(w http.ResponseWriter, _ *http.Request) {
		// Close so the next request has to dial (and resolve) again.
		w.Header().Set("Connection", "close")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"public":true}`))
	})
	var lookups atomic.Int64
	c := New(Options{
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")},
		Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
			switch host {
			case "rebind.test":
				if lookups.Add(1) == 1 {
					return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
				}
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			case "mixed.test":
				return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")}, nil
			}
			return nil, errors.New("no such host")
		},
		PortOverride: func(string) (string, bool) { return port, true },
	})
	ctx := context.Background()
	if _, _, err := c.GetJSON(ctx, "http://rebind.test/x", "", nil); err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	if _, _, err := c.GetJSON(ctx, "http://rebind.test/x", "", nil); !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("after rebinding: err %v, want ErrBlockedAddress", err)
	}
	body, _, err := c.GetJSON(ctx, "http://mixed.test/x", "", nil)
	if err != nil || !strings.Contains(string(body), "public") {
		t.Fatalf("mixed answer: %s, %v", body, err)
	}
	if victimHits.Load() != 0 {
		t.Errorf("internal server saw %d requests", victimHits.Load())
	}
}

// listenPair listens on 127.0.0.2 and 127.0.0.1 with the same port, so a
// host name can be rebound from one to the other.
func listenPair(t *testing.T) (allowed, internal net.Listener) {
	t.Helper()
	for range 50 {
		a, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Skipf("cannot listen on 127.0.0.2: %v", err)
		}
		b, err := net.Listen("tcp", "127.0.0.1:"+portOf(a))
		if err == nil {
			return a, b
		}
		a.Close()
	}
	t.Fatal("no port free on both 127.0.0.1 and 127.0.0.2")
	return nil, nil
}

// serve runs h on l until the test ends and returns the port.
func serve(t *testing.T, l net.Listener, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return portOf(l)
}

// portOf returns the port of a listener.
func portOf(l net.Listener) string {
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}
