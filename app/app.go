// Package app is the composition root: it turns a config.Config into a
// running instance (store, Redis, queue, service, HTTP routes, workers).
// cmd/practica and the test rig both build instances through it, so tests
// run exactly the wiring that production runs.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/practica-social/practica/api"
	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/federation"
	"github.com/practica-social/practica/federation/inbox"
	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/federation/transport"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/tasks"
	"github.com/practica-social/practica/web"
	"github.com/practica-social/practica/workers"
)

// Version is this build's version, shown in NodeInfo and User-Agent.
const Version = "0.1.0"

// Options are what a caller may set beyond the configuration.
type Options struct {
	Config config.Config
	Log    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Network overrides name resolution and ports for test rigs that run
	// several instances on loopback under host names. Nil in production.
	Network *NetworkOverride
	// WithoutRedis skips Redis for commands that only touch the database
	// (migrate, admin): they must work while Redis is down.
	WithoutRedis bool
	// Tuning shortens timings for tests; the zero value is production's.
	Tuning Tuning
}

// NetworkOverride lets a test rig route host names to loopback listeners.
type NetworkOverride struct {
	Resolve      func(ctx context.Context, host string) ([]netip.Addr, error)
	PortOverride func(hostport string) (string, bool)
}

// Instance is one running Practica: everything web and worker processes
// share. Close releases it.
type Instance struct {
	Config  config.Config
	Log     *slog.Logger
	Store   *store.Store
	Redis   redis.UniversalClient
	Queue   *asynq.Client
	Service *service.Service
	Echo    *echo.Echo
	Metrics *prometheus.Registry
	// Transport is the guarded, signing HTTP client for other servers.
	Transport *transport.Client
	// Resolver finds remote actors, keys and objects (signed fetches).
	Resolver *resolve.Resolver

	// Tasks enqueues background work; nil without Redis.
	Tasks *workers.Queue

	now     func() time.Time
	tuning  Tuning
	mini    *miniredis.Miniredis
	closers []func() error
}

// New opens the database (and migrates it), connects to Redis (starting an
// embedded one when none is configured) and builds the HTTP routes.
func New(ctx context.Context, o Options) (*Instance, error) {
	cfg := o.Config
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	inst := &Instance{Config: cfg, Log: log, Metrics: prometheus.NewRegistry(), now: o.Now, tuning: o.Tuning}
	ok := false
	defer func() {
		if !ok {
			_ = inst.Close()
		}
	}()

	dsn := cfg.DatabaseURL
	if cfg.DatabaseDialect() == store.DialectSQLite {
		dsn = cfg.SQLitePath()
	}
	st, err := store.Open(ctx, cfg.DatabaseDialect(), dsn, store.Options{})
	if err != nil {
		return nil, &config.Error{Setting: "PRACTICA_DATABASE_URL", Problem: "cannot use the database: " + oneLine(err)}
	}
	inst.Store = st
	inst.closers = append(inst.closers, st.Close)
	if err := st.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("app: migrate: %w", err)
	}

	if !o.WithoutRedis {
		if err := inst.connectRedis(ctx); err != nil {
			return nil, err
		}
		inst.Queue = asynq.NewClientFromRedisClient(inst.Redis)
		inst.closers = append(inst.closers, inst.Queue.Close)
		inst.Tasks = workers.NewQueue(inst.Queue, cfg.QueuePrefix).WithInspector(asynq.NewInspectorFromRedisClient(inst.Redis))
	}
	var dispatch service.Dispatcher
	if inst.Tasks != nil {
		dispatch = inst.Tasks
	}

	inst.Service = service.New(service.Deps{
		Store: st, URLs: service.NewURLs(cfg.BaseURL()), InstanceName: cfg.InstanceName, Now: o.Now, Log: log,
		Dispatch: dispatch,
	})
	if _, err := inst.Service.InstanceActor(ctx); err != nil {
		return nil, fmt.Errorf("app: instance actor: %w", err)
	}
	inst.buildFederation(o.Network)
	if err := inst.buildHTTP(); err != nil {
		return nil, err
	}
	ok = true
	return inst, nil
}

// buildFederation builds the HTTP client for other servers (routed by the
// test network's override when there is one) and the resolver on top.
func (inst *Instance) buildFederation(network *NetworkOverride) {
	topts := transport.Options{
		UserAgent:    fmt.Sprintf("Practica/%s (+%s)", Version, inst.Config.BaseURL()),
		AllowPrivate: inst.Config.AllowPrivateAddresses,
		// Zero (production) means config.SendDeadline via the default.
		RequestTimeout: inst.tuning.RequestTimeout,
		// Nothing is sent to, or fetched from, a server the admins
		// blocked: deliveries, fetches, WebFinger, NodeInfo alike.
		Blocked: inst.Service.HostBlocked,
	}
	if network != nil {
		topts.Resolve, topts.PortOverride = network.Resolve, network.PortOverride
	}
	inst.Transport = transport.New(topts)
	inst.closers = append(inst.closers, func() error { inst.Transport.CloseIdleConnections(); return nil })
	inst.Resolver = resolve.New(resolve.Deps{
		Service: inst.Service, Client: inst.Transport, Scheme: inst.Config.Protocol, Now: inst.now, Log: inst.Log,
	})
}

// connectRedis connects to the configured Redis or starts an embedded one.
func (inst *Instance) connectRedis(ctx context.Context) error {
	url := inst.Config.RedisURL
	if inst.Config.EmbeddedRedis() {
		m, err := miniredis.Run()
		if err != nil {
			return fmt.Errorf("app: start embedded redis: %w", err)
		}
		inst.mini = m
		inst.closers = append(inst.closers, func() error { m.Close(); return nil })
		url = "redis://" + m.Addr()
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return &config.Error{Setting: "PRACTICA_REDIS_URL", Problem: oneLine(err)}
	}
	rdb := redis.NewClient(opt)
	inst.Redis = rdb
	inst.closers = append(inst.closers, rdb.Close)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		return &config.Error{Setting: "PRACTICA_REDIS_URL", Problem: "cannot reach Redis: " + oneLine(err)}
	}
	return nil
}

// buildHTTP assembles the Echo router: middleware, health, metrics,
// federation endpoints and pages, with one central error handler.
func (inst *Instance) buildHTTP() error {
	// The pages look communities up (Explore, /authorize_interaction) and
	// find visitors' follow pages (the "follow from your server" form)
	// through the resolver, so every fetch goes through the guarded
	// transport.
	pages, err := web.New(web.Deps{
		Service: inst.Service, Now: inst.now,
		RemoteFollow: remoteFollower{inst.Resolver}, Communities: inst,
	})
	if err != nil {
		return err
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(inst.Log, pages)
	e.Use(recoverMiddleware(inst.Log))
	e.Use(noSniff)
	e.Use(newHTTPMetrics(inst.Metrics).middleware)
	// Client addresses (log-in rate limits) come from X-Forwarded-For only
	// when the direct peer is a loopback or private proxy.
	e.IPExtractor = echo.ExtractIPFromXFFHeader()
	e.Use(pages.Session)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.GET("/readyz", inst.readyz)
	e.GET("/metrics", metricsHandler(inst.Metrics))
	receiver := inbox.NewReceiver(inbox.ReceiverDeps{Service: inst.Service, Resolver: inst.Resolver, Now: inst.now, Log: inst.Log})
	federation.NewHandlers(federation.Deps{
		Service: inst.Service,
		Pages:   pages,
		Auth:    federation.NewSignatureAuth(inst.Resolver, inst.now, inst.Log),
		Inbox:   receiver.Receive,
		Software: federation.Software{
			Name: "practica", Version: Version,
			Repository: "https://github.com/practica-social/practica",
			Homepage:   "https://github.com/practica-social/practica",
		},
	}).Register(e)
	pages.Register(e)
	api.New(api.Deps{
		Service: inst.Service, Version: Version,
		Resolver: api.FederatedResolver{Resolver: inst.Resolver, Service: inst.Service},
	}).Register(e)
	inst.Echo = e
	return nil
}

// readyz reports whether the database and Redis answer.
func (inst *Instance) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	status := map[string]string{"database": "ok", "redis": "ok"}
	code := http.StatusOK
	if err := inst.Store.Ping(ctx); err != nil {
		status["database"], code = "unavailable", http.StatusServiceUnavailable
	}
	if err := inst.Redis.Ping(ctx).Err(); err != nil {
		status["redis"], code = "unavailable", http.StatusServiceUnavailable
	}
	return c.JSON(code, status)
}

// Serve runs the HTTP server on l until ctx ends, then shuts down
// gracefully within the configured timeout.
func (inst *Instance) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           inst.Echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(inst.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("app: http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), inst.Config.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("app: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// NewWorkerServer builds the asynq server that runs background tasks
// other than inbox processing.
func (inst *Instance) NewWorkerServer() *asynq.Server {
	return inst.newAsynqServer(inst.Config.WorkerConcurrency, tasks.Queues(inst.Config.QueuePrefix))
}

// NewInboxWorkerServer builds the asynq server that processes received
// activities: a pool of its own, so that batches paced behind a busy
// inbox (service.YieldToReceiving) never hold the workers that send.
func (inst *Instance) NewInboxWorkerServer() *asynq.Server {
	n := inst.Config.InboxConcurrency
	if n <= 0 {
		n = config.DefaultInboxConcurrency
	}
	return inst.newAsynqServer(n, tasks.InboxQueues(inst.Config.QueuePrefix))
}

// NewFetchWorkerServer builds the asynq server that fetches the threads
// missing above received replies: a small pool of its own, since its
// tasks wait on other servers, retried on a schedule of their own while
// an origin does not answer (workers.FetchParentsRetryDelay).
func (inst *Instance) NewFetchWorkerServer() *asynq.Server {
	n := inst.Config.FetchConcurrency
	if n <= 0 {
		n = config.DefaultFetchConcurrency
	}
	base := inst.tuning.FetchParentsRetryBase
	if base <= 0 {
		base = workers.DefaultFetchParentsRetryBase
	}
	return inst.newAsynqServer(n, tasks.FetchQueues(inst.Config.QueuePrefix), func(c *asynq.Config) {
		c.RetryDelayFunc = workers.FetchParentsRetryDelay(base)
		// A reply waiting for its thread can wait a quarter of a second
		// more; polling as often as the other pools would cost an idle
		// process another 2.5% of a core (see newAsynqServer).
		c.TaskCheckInterval = 250 * time.Millisecond
	})
}

func (inst *Instance) newAsynqServer(concurrency int, queues map[string]int, adjust ...func(*asynq.Config)) *asynq.Server {
	cfg := asynq.Config{
		Concurrency:     concurrency,
		Queues:          queues,
		ShutdownTimeout: inst.Config.ShutdownTimeout,
		// asynq sleeps this long when every queue is empty; the default
		// second would be added to every federation hop (post → first
		// remote POST: at most 100 ms, 30 ms wanted, and an idle worker
		// waits half of this on average). A poll is a Lua call per
		// queue: an idle process spends about 2.5% of a core on 50 a
		// second (1.5% at 50 ms, 6.6% at 10 ms; docs/BENCHMARKS.md).
		TaskCheckInterval:        20 * time.Millisecond,
		DelayedTaskCheckInterval: time.Second,
		Logger:                   asynqLogger{inst.Log},
		LogLevel:                 asynq.WarnLevel,
	}
	for _, a := range adjust {
		a(&cfg)
	}
	return asynq.NewServerFromRedisClient(inst.Redis, cfg)
}

// Close releases everything New opened, in reverse order.
func (inst *Instance) Close() error {
	var errs []error
	for i := len(inst.closers) - 1; i >= 0; i-- {
		if err := inst.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	inst.closers = nil
	return errors.Join(errs...)
}

// LookupCommunity finds a community by its handle ("@name@host") or its
// actor id, fetching and recording a remote one.
func (inst *Instance) LookupCommunity(ctx context.Context, ref string) (*models.Community, error) {
	return inst.Resolver.Community(ctx, ref)
}

// remoteFollower adapts the resolver to web.RemoteFollower: a visitor's
// follow page is the subscribe template of their WebFinger.
type remoteFollower struct{ r *resolve.Resolver }

// RemoteFollow returns the subscribe template of handle's server.
func (f remoteFollower) RemoteFollow(ctx context.Context, handle string) (string, error) {
	return f.r.SubscribeTemplate(ctx, handle)
}
