// Package reliability holds Practica's reliability and security suites:
// the rows of the security checklist that span several instances (privacy
// of members-only spaces), fault injection against real services (Redis
// stopped and flushed, Postgres cut off, a worker process killed with
// SIGKILL mid fan-out, remote inboxes that fail in every way), fuzzing of
// the whole inbox path, and a soak of mixed traffic.
//
// These suites start and stop services, run child processes and hold whole
// networks of instances for seconds to minutes. They test the assembled
// system rather than one package, so they live here, apart from the unit
// tests beside the code, and can be run (and skipped) on their own:
//
//	go test ./reliability/                              everything that is safe to run in parallel
//	PRACTICA_FAULT_TESTS=1 go test ./reliability/ -run Fault   the destructive ones, serially
//	PRACTICA_SOAK=10m go test ./reliability/ -run Soak -timeout 30m
//
// docs/RELIABILITY.md lists every test with its input or fault, what is
// expected, and the last measured results.
package reliability
