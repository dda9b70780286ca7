// Command practica runs a Practica instance: a federated ActivityPub server
// for Communities of Practice. See `practica help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/practica-social/practica/config"
)

const usage = `practica — a federated server for Communities of Practice

Usage: practica <command> [flags]

Commands:
  serve        web and background workers in one process (the default)
  web          only the web server (scale separately from workers)
  worker       only the background workers
  migrate      apply database migrations and exit
  admin        manage users, communities and API tokens:
                 practica admin user create --username NAME --email ADDR [--admin] [--password PW]
                 practica admin community create --handle NAME --name "Title" [--summary TEXT]
                     [--topics a,b] [--visibility public|members] [--join open|approval|invite] [--owner USER]
                 practica admin token create --username NAME --name LABEL [--scopes read,write]
  healthcheck  probe a running instance: practica healthcheck [URL] | --worker
  demo         two seeded instances federating on this machine:
                 practica demo [--ports 8081,8082] [--data DIR] [--wait 1m]
  bench        measure throughput and latency against simulated remote instances:
                 practica bench [--quick] [--database-url URL] [--redis-url URL] [case …]
  version      print the version

Configuration comes from PRACTICA_* environment variables and the optional
file named by PRACTICA_CONFIG; see README.md.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if cmd == "version" {
		fmt.Fprintln(stdout, "practica", version())
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cmd == "bench" {
		return runBench(ctx, args, stdout, stderr)
	}
	cfg, err := config.Load(os.LookupEnv, "")
	if err != nil {
		fmt.Fprintln(stderr, "practica:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	var runErr error
	switch cmd {
	case "serve":
		runErr = runServer(ctx, cfg, log, stdout, true, true)
	case "web":
		runErr = runServer(ctx, cfg, log, stdout, true, false)
	case "worker":
		runErr = runServer(ctx, cfg, log, stdout, false, true)
	case "migrate":
		runErr = runMigrate(ctx, cfg, log, stdout)
	case "admin":
		runErr = runAdmin(ctx, cfg, log, args, stdout)
	case "healthcheck":
		runErr = runHealthcheck(ctx, cfg, args, stdout)
	case "demo":
		runErr = runDemo(ctx, log, args, stdout)
	default:
		fmt.Fprintf(stderr, "practica: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if runErr != nil {
		fmt.Fprintln(stderr, "practica:", oneLine(runErr))
		var cerr *config.Error
		var uerr usageError
		if errors.As(runErr, &cerr) || errors.As(runErr, &uerr) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }
