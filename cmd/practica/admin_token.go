package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/practica-social/practica/service"
)

// adminCreateToken handles `practica admin token create`: it creates a
// personal access token for the JSON API and prints it, the only time it
// is ever shown.
func adminCreateToken(ctx context.Context, svc *service.Service, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin token create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	username := fs.String("username", "", "handle of the local person the token acts for")
	name := fs.String("name", "", "label of the token, e.g. the script that uses it")
	// Read-only by default: a token should get write access only when
	// someone asks for it.
	scopes := fs.String("scopes", "read", "comma-separated scopes: read, write (write implies read)")
	if err := fs.Parse(args); err != nil {
		return usageError{"admin token create: " + err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{"admin token create: unexpected argument " + fs.Arg(0)}
	}
	if *username == "" || *name == "" {
		return usageError{"admin token create: --username and --name are required"}
	}
	acct, err := svc.AccountByUsername(ctx, *username)
	if err != nil {
		return cliError(err)
	}
	token, t, err := svc.CreateAccessToken(ctx, acct.ID, *name, strings.Split(*scopes, ","))
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "created token %q for @%s@%s with scopes %s\n", t.Name, acct.Actor.Username, acct.Actor.Host, strings.Join(t.Scopes, ","))
	fmt.Fprintf(stdout, "token: %s\n", token)
	fmt.Fprintln(stdout, "It is shown only now; send it as: Authorization: Bearer <token>")
	return nil
}
