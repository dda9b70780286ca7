package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
)

// runServer runs the web server, the workers, or both, until ctx ends.
func runServer(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer, withWeb, withWorkers bool) error {
	if !withWorkers && cfg.EmbeddedRedis() {
		return &config.Error{Setting: "PRACTICA_REDIS_URL", Problem: "`practica web` without `practica worker` needs a shared Redis; set it, or run `practica serve`"}
	}
	if !withWeb && cfg.EmbeddedRedis() {
		return &config.Error{Setting: "PRACTICA_REDIS_URL", Problem: "`practica worker` needs the Redis the web process uses; set it, or run `practica serve`"}
	}
	inst, err := app.New(ctx, app.Options{Config: cfg, Log: log})
	if err != nil {
		return err
	}
	defer inst.Close()

	errc := make(chan error, 2)
	running := 0
	if withWorkers {
		stopWorkers, err := inst.StartWorkers()
		if err != nil {
			return err
		}
		defer stopWorkers()
		log.Info("workers started", "concurrency", cfg.WorkerConcurrency, "inbox_concurrency", cfg.InboxConcurrency)
	}
	if withWeb {
		l, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return &config.Error{Setting: "PRACTICA_LISTEN", Problem: "cannot listen on " + cfg.Listen + ": " + oneLine(err)}
		}
		running++
		go func() { errc <- inst.Serve(ctx, l) }()
		greet(ctx, inst, stdout, l.Addr().String())
	}
	if running == 0 {
		<-ctx.Done()
		return nil
	}
	return <-errc
}

// greet tells a newcomer where to point a browser and how to make the
// first admin.
func greet(ctx context.Context, inst *app.Instance, out io.Writer, addr string) {
	fmt.Fprintf(out, "Practica %s is running.\n", app.Version)
	fmt.Fprintf(out, "  Open %s in a browser (listening on %s).\n", inst.Config.BaseURL(), addr)
	fmt.Fprintf(out, "  Database: %s; Redis: %s.\n", inst.Store.Dialect(), redisKind(inst.Config))
	if n, err := inst.Service.AdminCount(ctx); err == nil && n == 0 {
		fmt.Fprintln(out, "  No admin yet. Create the first one in another terminal:")
		fmt.Fprintln(out, "    go run ./cmd/practica admin user create --admin --username admin --email you@example.org")
	}
	fmt.Fprintln(out, "  Stop with Ctrl-C.")
}

func redisKind(cfg config.Config) string {
	if cfg.EmbeddedRedis() {
		return "embedded (in-process, nothing kept across restarts)"
	}
	return "external"
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

func version() string { return app.Version }
