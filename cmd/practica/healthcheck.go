package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
)

// runHealthcheck probes a running web process (GET URL, default /readyz on
// the configured listen address) or, with --worker, checks that the
// database and Redis a worker needs answer. Containers without curl use it.
func runHealthcheck(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if len(args) > 0 && args[0] == "--worker" {
		inst, err := app.New(ctx, app.Options{Config: cfg})
		if err != nil {
			return err
		}
		defer inst.Close()
		if err := inst.Redis.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		fmt.Fprintln(stdout, "ok")
		return nil
	}
	url := "http://" + cfg.Listen + "/readyz"
	if len(args) > 0 {
		url = args[0]
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usageError{"healthcheck: " + err.Error()}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: status %d", url, resp.StatusCode)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
