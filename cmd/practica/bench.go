package main

import (
	"context"
	"io"

	"github.com/practica-social/practica/bench"
)

// runBench is `practica bench`: the performance benchmark (package bench,
// docs/BENCHMARKS.md). It reads no PRACTICA_* configuration: it builds its
// own instances on the database and Redis named by its flags.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return bench.Main(ctx, args, stdout, stderr)
}
