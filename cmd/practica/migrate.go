package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
)

// runMigrate applies migrations and reports the schema version.
func runMigrate(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	inst, err := app.New(ctx, app.Options{Config: cfg, Log: log, WithoutRedis: true})
	if err != nil {
		return err
	}
	defer inst.Close()
	v, err := inst.Store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database migrated to schema version %d (%s)\n", v, inst.Store.Dialect())
	return nil
}
