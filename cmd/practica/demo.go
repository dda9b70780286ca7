package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// demoPerson is one person of the demo's cast: two organizations, each
// with an instance of its own, two people (the first owns the community)
// and one community. Passwords are known and printed: this is a local
// demo, never a deployment.
type demoPerson struct {
	username, name string
	admin          bool
}

// demoOrg is one organization of the demo and, once seeded, its running
// instance and community.
type demoOrg struct {
	name                      string
	people                    []demoPerson
	handle, title, summary    string
	topics                    []string
	welcomeTitle, welcomeBody string
	visitorTitle, visitorBody string
	// visitor is a person of the other organization who joins this one's
	// community from their own server and posts in it.
	visitor string

	instance  *demoInstance
	community *models.Community
	// remoteCommunityPath is the community's page on the other instance.
	remoteCommunityPath, communityURL string
}

// demoPassword is the known password of a demo person.
func demoPassword(username string) string { return username + "-practica" }

// demoCast returns the two organizations, fresh for each run.
func demoCast() [2]*demoOrg {
	return [2]*demoOrg{
		{
			name:   "Northside Library",
			people: []demoPerson{{"ada", "Ada Lovelace", true}, {"alan", "Alan Turing", false}},
			handle: "makers", title: "Makers Network",
			summary:      "Makers from libraries, schools and companies share how they run **open workshops**.",
			topics:       []string{"workshops", "safety", "3D printing"},
			welcomeTitle: "Welcome to the Makers Network",
			welcomeBody:  "Introduce yourself: where is your workshop, and what do you make there?",
			visitorTitle: "How do you run a repair café?",
			visitorBody:  "Our school wants to start one. How do you find volunteers, and what do you **not** repair?",
			visitor:      "ben",
		},
		{
			name:   "Riverside Schools",
			people: []demoPerson{{"grace", "Grace Hopper", true}, {"ben", "Ben Okafor", false}},
			handle: "gardening", title: "School Gardens",
			summary:      "Teachers and librarians grow food with children: **beds, compost and harvest festivals**.",
			topics:       []string{"compost", "seeds", "teaching"},
			welcomeTitle: "Spring planting plan",
			welcomeBody:  "What goes in the beds first? We start with **peas and radishes**.",
			visitorTitle: "Composting at the library",
			visitorBody:  "We compost the café's coffee grounds. Would a school like them for its beds?",
			visitor:      "alan",
		},
	}
}

// demoInstance is one running instance of the demo.
type demoInstance struct {
	*app.Instance
	stopWorkers func()
	cancel      context.CancelFunc
	// done is closed when the web server has stopped, with its error in
	// err.
	done chan struct{}
	err  error
}

// runDemo is `practica demo`: two instances in one process on loopback
// ports, seeded, federating over real signed HTTP, until ctx ends.
func runDemo(ctx context.Context, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	portsFlag := fs.String("ports", "8081,8082", "the two instances' ports on localhost (0: any free port)")
	dataFlag := fs.String("data", "", "directory for the two SQLite databases; kept, and reused on the next run (default: a temporary one removed on exit)")
	waitFlag := fs.Duration("wait", time.Minute, "how long to wait for the seeded posts to travel between the instances")
	if err := fs.Parse(args); err != nil {
		return usageError{"demo: " + err.Error()}
	}
	ports, err := parseDemoPorts(*portsFlag)
	if err != nil {
		return err
	}
	dir := *dataFlag
	if dir == "" {
		if dir, err = os.MkdirTemp("", "practica-demo-"); err != nil {
			return fmt.Errorf("demo: data directory: %w", err)
		}
		defer os.RemoveAll(dir)
	}

	cast := demoCast()
	for i, org := range cast {
		inst, err := startDemoInstance(ctx, log, org.name, ports[i], dir)
		if err != nil {
			return err
		}
		defer inst.stop()
		org.instance = inst
	}
	fmt.Fprintf(stdout, "Practica demo: starting two organizations' servers and letting them federate…\n")
	start := time.Now()
	if err := seedDemo(ctx, cast, *waitFlag); err != nil {
		if ctx.Err() != nil {
			return nil // stopped with Ctrl-C while seeding
		}
		return err
	}
	arrived := waitForDemoPosts(ctx, cast, *waitFlag)
	printDemo(stdout, cast, dir, *dataFlag == "", arrived, time.Since(start))

	select {
	case <-ctx.Done():
	case <-cast[0].instance.done:
		return fmt.Errorf("demo: %s: %w", cast[0].name, cast[0].instance.err)
	case <-cast[1].instance.done:
		return fmt.Errorf("demo: %s: %w", cast[1].name, cast[1].instance.err)
	}
	fmt.Fprintln(stdout, "Stopping both servers…")
	return nil
}

// parseDemoPorts reads --ports: two ports, 0 for any free one.
func parseDemoPorts(s string) ([2]int, error) {
	var ports [2]int
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		return ports, usageError{"demo: --ports takes two ports, e.g. 8081,8082"}
	}
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 || n > 65535 {
			return ports, usageError{fmt.Sprintf("demo: --ports: %q is not a port", p)}
		}
		ports[i] = n
	}
	if ports[0] != 0 && ports[0] == ports[1] {
		return ports, usageError{"demo: --ports: the two instances need two different ports"}
	}
	return ports, nil
}

// startDemoInstance listens on 127.0.0.1:port first, so that with port 0
// the domain can name the port actually taken, then builds the instance
// through app.New exactly as `practica serve` does and runs its web server
// and workers.
func startDemoInstance(ctx context.Context, log *slog.Logger, name string, port int, dir string) (*demoInstance, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("demo: %s cannot listen on port %d (choose others with --ports): %w", name, port, err)
	}
	addr := l.Addr().(*net.TCPAddr)
	domain := "localhost:" + strconv.Itoa(addr.Port)
	cfg := config.Config{
		Domain: domain, Listen: addr.String(), Protocol: "http",
		// One directory per domain: ids name the port, so data minted on
		// other ports must not be mixed in.
		DataDir: filepath.Join(dir, "localhost-"+strconv.Itoa(addr.Port)),
		// Both instances live on loopback, which federation refuses to
		// reach unless allowed (PRACTICA_ALLOW_PRIVATE_ADDRESSES).
		AllowPrivateAddresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		LogLevel:              "info", InstanceName: name,
		// Ctrl-C should end a demo promptly; a delivery cut short is
		// retried by the reconciler when --data keeps the state.
		ShutdownTimeout: 5 * time.Second, WorkerConcurrency: 10,
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		l.Close()
		return nil, fmt.Errorf("demo: data directory: %w", err)
	}
	inst, err := app.New(ctx, app.Options{Config: cfg, Log: log.With("instance", domain)})
	if err != nil {
		l.Close()
		return nil, err
	}
	stopWorkers, err := inst.StartWorkers()
	if err != nil {
		l.Close()
		inst.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d := &demoInstance{Instance: inst, stopWorkers: stopWorkers, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		d.err = inst.Serve(sctx, l)
	}()
	return d, nil
}

// stop shuts the web server down gracefully, then the workers, then
// releases the database and Redis.
func (d *demoInstance) stop() {
	d.cancel()
	<-d.done // Serve returns within the shutdown timeout
	d.stopWorkers()
	_ = d.Close()
}

// seedDemo creates the people and communities, has each organization's
// visitor join the other's community through the federation pipeline
// (WebFinger, Follow, Accept over signed HTTP; waiting at most wait for
// the Accept), then posts. It is idempotent, so a run on a kept --data
// directory adds nothing twice.
func seedDemo(ctx context.Context, cast [2]*demoOrg, wait time.Duration) error {
	people := map[string]*models.Actor{}
	for _, org := range cast {
		svc := org.instance.Service
		var owner *models.Actor
		for _, p := range org.people {
			a, err := demoAccount(ctx, svc, p, org.name)
			if err != nil {
				return err
			}
			people[p.username] = a
			if owner == nil {
				owner = a
			}
		}
		c, err := svc.CreateCommunity(ctx, service.NewCommunity{
			Handle: org.handle, Name: org.title, Summary: org.summary, Topics: org.topics,
			Visibility: models.VisibilityPublic, JoinPolicy: models.JoinOpen, OwnerID: owner.ID,
		})
		if service.KindOf(err) == service.KindConflict {
			c, err = svc.LocalCommunity(ctx, org.handle)
		}
		if err != nil {
			return fmt.Errorf("demo: community %s: %w", org.handle, err)
		}
		org.community = c
		org.communityURL = c.Actor.IRI
	}

	// Each visitor looks the other organization's community up by its
	// handle and joins it, as the Explore page would.
	remote := [2]*models.Community{}
	for i, org := range cast {
		home := cast[1-i] // the visitor's own instance
		visitor := people[org.visitor]
		c, err := home.instance.LookupCommunity(ctx, "@"+org.handle+"@"+org.instance.Config.Domain)
		if err != nil {
			return fmt.Errorf("demo: %s looks up %s: %w", org.visitor, org.handle, err)
		}
		if _, err := home.instance.Service.Join(ctx, visitor.ID, c); err != nil {
			return fmt.Errorf("demo: %s joins %s: %w", org.visitor, org.handle, err)
		}
		remote[i] = c
		org.remoteCommunityPath = "/c/" + org.handle + "@" + org.instance.Config.Domain
	}
	for i, org := range cast {
		home := cast[1-i]
		err := until(ctx, wait, func() bool {
			m, err := home.instance.Service.MembershipOf(ctx, remote[i], people[org.visitor].ID)
			return err == nil && m.Member()
		})
		if err != nil {
			return fmt.Errorf("demo: %s's membership of %s was not accepted: %w", org.visitor, org.handle, err)
		}
	}

	// The owner welcomes people at home; the visitor posts from their own
	// server into the other's community.
	for i, org := range cast {
		home := cast[1-i]
		owner := people[org.people[0].username]
		if err := demoPost(ctx, org.instance.Service, org.community, owner, org.welcomeTitle, org.welcomeBody); err != nil {
			return err
		}
		if err := demoPost(ctx, home.instance.Service, remote[i], people[org.visitor], org.visitorTitle, org.visitorBody); err != nil {
			return err
		}
	}
	return nil
}

// demoAccount creates a demo person, or finds them on a reused --data.
func demoAccount(ctx context.Context, svc *service.Service, p demoPerson, org string) (*models.Actor, error) {
	acct, err := svc.CreateAccount(ctx, service.NewAccount{
		Username: p.username, Email: p.username + "@demo.invalid", Password: demoPassword(p.username),
		DisplayName: p.name, Organization: org, Admin: p.admin,
	})
	if service.KindOf(err) == service.KindConflict {
		return svc.LocalPerson(ctx, p.username)
	}
	if err != nil {
		return nil, fmt.Errorf("demo: account %s: %w", p.username, err)
	}
	return acct.Actor, nil
}

// demoPost starts a thread unless one with its title is there already.
func demoPost(ctx context.Context, svc *service.Service, c *models.Community, author *models.Actor, title, body string) error {
	if slices.Contains(threadTitles(ctx, svc, c), title) {
		return nil
	}
	_, err := svc.CreatePost(ctx, service.NewPost{AuthorID: author.ID, CommunityID: c.ID, Title: title, Body: body})
	if err != nil {
		return fmt.Errorf("demo: %s posts %q: %w", author.Username, title, err)
	}
	return nil
}

// threadTitles lists the titles of a community's latest threads.
func threadTitles(ctx context.Context, svc *service.Service, c *models.Community) []string {
	ps, err := svc.Threads(ctx, c, service.Anonymous, 0, 50)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Title)
	}
	return out
}

// waitForDemoPosts waits, at most wait, until each community shows both
// its threads on both instances; it reports whether they all arrived.
func waitForDemoPosts(ctx context.Context, cast [2]*demoOrg, wait time.Duration) bool {
	err := until(ctx, wait, func() bool {
		for i, org := range cast {
			want := []string{org.welcomeTitle, org.visitorTitle}
			copyThere, err := cast[1-i].instance.Service.CommunityByHandle(ctx, org.handle+"@"+org.instance.Config.Domain)
			if err != nil {
				return false
			}
			for _, got := range [][]string{
				threadTitles(ctx, org.instance.Service, org.community),
				threadTitles(ctx, cast[1-i].instance.Service, copyThere),
			} {
				for _, w := range want {
					if !slices.Contains(got, w) {
						return false
					}
				}
			}
		}
		return true
	})
	return err == nil
}

// until polls cond every 50 ms until it holds, wait passes or ctx ends:
// federation is asynchronous, and a bounded wait is the honest way to
// observe it.
func until(ctx context.Context, wait time.Duration, cond func() bool) error {
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// printDemo tells where to point a browser and how to log in.
func printDemo(out io.Writer, cast [2]*demoOrg, dir string, temporary, arrived bool, took time.Duration) {
	fmt.Fprintln(out)
	for i, org := range cast {
		other := cast[1-i]
		base := org.instance.Config.BaseURL()
		fmt.Fprintf(out, "%s  %s\n", org.name, base)
		fmt.Fprintf(out, "  community   %s  %s\n", org.title, org.communityURL)
		fmt.Fprintf(out, "  seen from   %s  %s%s\n", other.name, other.instance.Config.BaseURL(), org.remoteCommunityPath)
		var logins []string
		for _, p := range org.people {
			l := p.username + " / " + demoPassword(p.username)
			if p.admin {
				l += " (admin)"
			}
			logins = append(logins, l)
		}
		fmt.Fprintf(out, "  log in as   %s\n\n", strings.Join(logins, ", "))
	}
	fmt.Fprintf(out, "%s (of %s) joined %s, and %s (of %s) joined %s, from their own servers.\n",
		cast[0].visitor, cast[1].name, cast[0].title, cast[1].visitor, cast[0].name, cast[1].title)
	if arrived {
		fmt.Fprintf(out, "Every post travelled between the servers over signed HTTP (%.1fs).\n", took.Seconds())
	} else {
		fmt.Fprintln(out, "Some posts have not arrived yet; they are retried in the background (see the log).")
	}
	if temporary {
		fmt.Fprintf(out, "Data: %s (removed on exit; keep it with --data DIR).\n", dir)
	} else {
		fmt.Fprintf(out, "Data: %s (kept; the next run reuses it).\n", dir)
	}
	fmt.Fprintln(out, "You can be logged in on both servers at once: each keeps its own cookie.")
	fmt.Fprintln(out, "Stop with Ctrl-C.")
}
