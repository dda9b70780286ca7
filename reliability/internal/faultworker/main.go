// Command faultworker is `practica worker` with test timings: the same
// composition (app.New, then Instance.StartWorkers) configured from the
// same PRACTICA_* environment, plus flags that shorten the delivery lease
// and the reconciler's period, so that the reliability suite can kill it
// with SIGKILL and watch another process take over within seconds rather
// than the production five minutes.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/federation/delivery"
)

func main() {
	lease := flag.Duration("lease", 3*time.Second, "delivery lease")
	every := flag.Duration("reconcile-every", 500*time.Millisecond, "reconciler period")
	grace := flag.Duration("reconcile-grace", 500*time.Millisecond, "reconciler grace")
	flag.Parse()
	cfg, err := config.Load(os.LookupEnv, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultworker:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	inst, err := app.New(ctx, app.Options{Config: cfg, Log: log, Tuning: app.Tuning{
		Delivery:       delivery.Options{Lease: *lease},
		ReconcileEvery: *every, ReconcileGrace: *grace,
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultworker:", err)
		os.Exit(1)
	}
	defer inst.Close()
	stopWorkers, err := inst.StartWorkers()
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultworker:", err)
		os.Exit(1)
	}
	fmt.Println("faultworker: started")
	<-ctx.Done()
	stopWorkers()
}
