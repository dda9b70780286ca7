package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/tasks"
)

// domain is the benchmarked instance's host name.
const domain = "practica.bench"

// env is one case's world: a real instance built by app.New with its web
// server and workers, and a remote process holding the simulated remote
// instances, whose host names (h00001.bench …) the instance's network
// override routes to their loopback listeners.
type env struct {
	o      Options
	stderr io.Writer
	log    *slog.Logger
	remote *remoteClient
	inst   *app.Instance
	// Addr is the instance's own loopback listener (Host: practica.bench).
	Addr string

	hostsMu sync.RWMutex
	hosts   map[string]string // host -> 127.0.0.1:port
	nHosts  int

	poster      *models.Actor
	stopWorkers func()
	cancel      context.CancelFunc
	served      chan error
	cleanups    []func()
}

// newEnv builds the instance of a case on the selected database and Redis
// (a fresh Postgres schema and queue prefix, removed at close; else a
// SQLite file and the embedded Redis) and starts the remote process.
func newEnv(ctx context.Context, o Options, tuning app.Tuning, stderr io.Writer) (e *env, err error) {
	e = &env{o: o, stderr: stderr, hosts: map[string]string{}}
	defer func() {
		if err != nil {
			e.close()
			e = nil
		}
	}()
	e.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if e.remote, err = startRemote(stderr); err != nil {
		return e, err
	}
	dataDir, err := os.MkdirTemp("", "practica-bench-")
	if err != nil {
		return e, err
	}
	e.cleanups = append(e.cleanups, func() { _ = os.RemoveAll(dataDir) })
	dbURL, err := e.database(ctx, dataDir)
	if err != nil {
		return e, err
	}
	redisURL, prefix, err := e.redis(ctx)
	if err != nil {
		return e, err
	}
	shutdown := 5 * time.Second
	if tuning.RequestTimeout > 0 {
		shutdown += tuning.RequestTimeout
	} else {
		shutdown += config.SendDeadline
	}
	cfg := config.Config{
		Domain: domain, Listen: "127.0.0.1:0", Protocol: "http", DataDir: dataDir,
		DatabaseURL: dbURL, RedisURL: redisURL, QueuePrefix: prefix,
		AllowPrivateAddresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		LogLevel:              "warn", InstanceName: "Practica benchmark",
		ShutdownTimeout: shutdown, WorkerConcurrency: config.DefaultWorkerConcurrency,
	}
	e.inst, err = app.New(ctx, app.Options{Config: cfg, Log: e.log, Network: e.override(), Tuning: tuning})
	if err != nil {
		return e, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return e, err
	}
	e.Addr = l.Addr().String()
	sctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.served = make(chan error, 1)
	go func() { e.served <- e.inst.Serve(sctx, l) }()
	if e.stopWorkers, err = e.inst.StartWorkers(); err != nil {
		return e, err
	}
	return e, nil
}

// database returns the PRACTICA_DATABASE_URL of the case: a fresh schema
// on the given Postgres, dropped at close, or a SQLite file.
func (e *env) database(ctx context.Context, dataDir string) (string, error) {
	if e.o.DatabaseURL == "" {
		return "sqlite:" + dataDir + "/practica.db", nil
	}
	conn, err := pgx.Connect(ctx, e.o.DatabaseURL)
	if err != nil {
		return "", fmt.Errorf("bench: connect to %s: %w", redact(e.o.DatabaseURL), err)
	}
	schema := "bench_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = conn.Close(ctx)
		return "", fmt.Errorf("bench: create schema: %w", err)
	}
	e.cleanups = append(e.cleanups, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			fmt.Fprintf(e.stderr, "bench: drop schema %s: %v\n", schema, err)
		}
		_ = conn.Close(ctx)
	})
	u, err := url.Parse(e.o.DatabaseURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// redis returns the Redis URL and a queue prefix of its own, whose keys
// are removed at close; "" selects the embedded Redis.
func (e *env) redis(ctx context.Context) (string, string, error) {
	prefix := "bench" + randomHex(4) + "-"
	if e.o.RedisURL == "" {
		return "", prefix, nil
	}
	opt, err := redis.ParseURL(e.o.RedisURL)
	if err != nil {
		return "", "", fmt.Errorf("bench: --redis-url: %w", err)
	}
	rdb := redis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return "", "", fmt.Errorf("bench: redis: %w", err)
	}
	e.cleanups = append(e.cleanups, func() {
		defer rdb.Close()
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, "asynq:{"+prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		for _, q := range tasks.AllQueues(prefix) {
			rdb.SRem(ctx, "asynq:queues", q)
		}
	})
	return e.o.RedisURL, prefix, nil
}

// override routes the simulated hosts to their listeners; every other
// name fails to resolve.
func (e *env) override() *app.NetworkOverride {
	return &app.NetworkOverride{
		Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
			if _, ok := e.lookup(host); ok {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
		PortOverride: func(hostport string) (string, bool) {
			host, _, err := net.SplitHostPort(hostport)
			if err != nil {
				host = hostport
			}
			if a, ok := e.lookup(host); ok {
				_, port, _ := net.SplitHostPort(a)
				return port, true
			}
			return "", false
		},
	}
}

func (e *env) lookup(host string) (string, bool) {
	e.hostsMu.RLock()
	defer e.hostsMu.RUnlock()
	a, ok := e.hosts[strings.ToLower(host)]
	return a, ok
}

// addHosts opens live answering and dead silent remote instances and
// returns their host names.
func (e *env) addHosts(live, dead int) ([]string, error) {
	return e.addHostsRunning(live, dead, "")
}

// addHostsRunning is addHosts whose live instances say in their NodeInfo
// that they run software.
func (e *env) addHostsRunning(live, dead int, software string) ([]string, error) {
	resp, err := e.remote.call(request{Op: "listen", Live: live, Dead: dead, Software: software})
	if err != nil {
		return nil, err
	}
	if len(resp.Addrs) != live+dead {
		return nil, fmt.Errorf("bench: remote opened %d listeners, want %d", len(resp.Addrs), live+dead)
	}
	// Silent hosts get names among the live ones' (deliveries are claimed
	// in the order of their inboxes), as they would in the wild.
	mrand.Shuffle(len(resp.Addrs), func(i, j int) { resp.Addrs[i], resp.Addrs[j] = resp.Addrs[j], resp.Addrs[i] })
	e.hostsMu.Lock()
	defer e.hostsMu.Unlock()
	names := make([]string, len(resp.Addrs))
	for i, a := range resp.Addrs {
		e.nHosts++
		names[i] = fmt.Sprintf("h%05d.bench", e.nHosts)
		e.hosts[names[i]] = a
	}
	return names, nil
}

// received is how many POSTs the remote instances have answered so far.
func (e *env) received() (int, error) {
	resp, err := e.remote.call(request{Op: "events"})
	return resp.Count, err
}

// waitPosts waits until count POSTs in all have arrived and returns the
// times of POST number from (the first of a batch) and of the last.
func (e *env) waitPosts(count, from int, timeout time.Duration) (first, last time.Time, err error) {
	resp, err := e.remote.call(request{Op: "wait", Count: count, From: from, TimeoutMS: int(timeout / time.Millisecond)})
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return time.Unix(0, resp.First), time.Unix(0, resp.Last), nil
}

// postTimes returns the arrival times of POSTs number from onwards.
func (e *env) postTimes(from int) ([]time.Time, error) {
	resp, err := e.remote.call(request{Op: "events"})
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for i := from; i < len(resp.Times); i++ {
		out = append(out, time.Unix(0, resp.Times[i]))
	}
	return out, nil
}

// community creates a public community owned by the poster, a local
// person made once (hashing a password is slow on purpose).
func (e *env) community(ctx context.Context, handle string) (*models.Actor, *models.Community, error) {
	svc := e.inst.Service
	if e.poster == nil {
		acct, err := svc.CreateAccount(ctx, service.NewAccount{
			Username: "poster", Email: "poster@practica.bench", Password: "benchmark-password",
		})
		if err != nil {
			return nil, nil, err
		}
		e.poster = acct.Actor
	}
	c, err := svc.CreateCommunity(ctx, service.NewCommunity{
		Handle: handle, Name: "Benchmark " + handle, Summary: "A community of the benchmark.",
		Topics: []string{"benchmarks"}, OwnerID: e.poster.ID,
	})
	if err != nil {
		return nil, nil, err
	}
	return e.poster, c, nil
}

// remoteActor is the row of a remote person on host, with its shared inbox.
func remoteActor(host, username string) models.Actor {
	iri := "http://" + host + "/users/" + username
	now := time.Now().UTC()
	return models.Actor{
		IRI: iri, Type: models.ActorPerson, Kind: models.KindPerson, Username: username, Host: host, Name: username,
		InboxURL: iri + "/inbox", SharedInboxURL: "http://" + host + "/inbox", OutboxURL: iri + "/outbox",
		FollowersURL: iri + "/followers", Published: now, FetchedAt: &now,
	}
}

// followers makes n remote people, spread evenly over hosts, accepted
// members of c. Rows are written in batches: the setup is not measured.
func (e *env) followers(ctx context.Context, c *models.Community, hosts []string, n int, tag string) error {
	st := e.inst.Store
	const batch = 2000
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		as := make([]models.Actor, 0, end-start)
		for i := start; i < end; i++ {
			as = append(as, remoteActor(hosts[i%len(hosts)], fmt.Sprintf("%s%d", tag, i)))
		}
		if err := st.CreateActors(ctx, as); err != nil {
			return err
		}
		ms := make([]models.Member, len(as))
		for i := range as {
			ms[i] = models.Member{CommunityID: c.ID, ActorID: as[i].ID, Role: models.RoleMember, State: models.MemberAccepted,
				FollowIRI: as[i].IRI + "/follows/" + c.Actor.Username}
		}
		if err := st.CreateMembers(ctx, ms); err != nil {
			return err
		}
	}
	return nil
}

// pendingDeliveries counts deliveries whose outcome is not written yet
// (pending, claimed or due), up to limit.
func (e *env) pendingDeliveries(ctx context.Context, limit int) (int, error) {
	ds, err := e.inst.Service.DueDeliveries(ctx, time.Now().Add(100*365*24*time.Hour), limit)
	return len(ds), err
}

// waitRecorded waits until no delivery is pending any more, i.e. every
// outcome is written, and returns when that was.
func (e *env) waitRecorded(ctx context.Context, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		n, err := e.pendingDeliveries(ctx, 1)
		if err != nil {
			return time.Time{}, err
		}
		if n == 0 {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, errors.New("bench: deliveries still pending after " + timeout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// close stops the instance and the remote process and removes the schema,
// queue keys and files.
func (e *env) close() {
	if e.cancel != nil {
		e.cancel()
		<-e.served
	}
	if e.stopWorkers != nil {
		e.stopWorkers()
	}
	if e.inst != nil {
		_ = e.inst.Close()
	}
	if e.remote != nil {
		e.remote.close()
	}
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// redact hides a URL's password.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
