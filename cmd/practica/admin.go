package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// runAdmin handles `practica admin user create`,
// `practica admin community create` and `practica admin token create`.
func runAdmin(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) < 2 || args[1] != "create" || (args[0] != "user" && args[0] != "community" && args[0] != "token") {
		return usageError{"usage: practica admin user create … | practica admin community create … | practica admin token create … (see practica help)"}
	}
	inst, err := app.New(ctx, app.Options{Config: cfg, Log: log, WithoutRedis: true})
	if err != nil {
		return err
	}
	defer inst.Close()
	if args[0] == "user" {
		return adminCreateUser(ctx, inst.Service, args[2:], stdout)
	}
	if args[0] == "token" {
		return adminCreateToken(ctx, inst.Service, args[2:], stdout)
	}
	return adminCreateCommunity(ctx, inst.Service, args[2:], stdout)
}

func adminCreateUser(ctx context.Context, svc *service.Service, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin user create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	username := fs.String("username", "", "handle (a-z, 0-9, _)")
	email := fs.String("email", "", "e-mail address used to log in")
	password := fs.String("password", "", "password (generated and printed when empty)")
	name := fs.String("name", "", "display name")
	org := fs.String("organization", "", "organization")
	admin := fs.Bool("admin", false, "make the account an instance admin")
	if err := fs.Parse(args); err != nil {
		return usageError{"admin user create: " + err.Error()}
	}
	if *username == "" || *email == "" {
		return usageError{"admin user create: --username and --email are required"}
	}
	generated := false
	if *password == "" {
		*password = randomPassword()
		generated = true
	}
	acct, err := svc.CreateAccount(ctx, service.NewAccount{
		Username: *username, Email: *email, Password: *password, DisplayName: *name, Organization: *org, Admin: *admin,
	})
	if err != nil {
		return cliError(err)
	}
	role := "user"
	if acct.Admin {
		role = "admin"
	}
	fmt.Fprintf(stdout, "created %s @%s@%s (%s)\n", role, acct.Actor.Username, acct.Actor.Host, acct.Email)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n", *password)
	}
	return nil
}

func adminCreateCommunity(ctx context.Context, svc *service.Service, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin community create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	handle := fs.String("handle", "", "handle (a-z, 0-9, _)")
	name := fs.String("name", "", "name of the community's domain")
	summary := fs.String("summary", "", "what the community is about (Markdown)")
	topics := fs.String("topics", "", "comma-separated key topics")
	visibility := fs.String("visibility", "public", "public or members")
	join := fs.String("join", "open", "open, approval or invite")
	owner := fs.String("owner", "", "handle of the local person who owns it")
	if err := fs.Parse(args); err != nil {
		return usageError{"admin community create: " + err.Error()}
	}
	if *handle == "" {
		return usageError{"admin community create: --handle is required"}
	}
	in := service.NewCommunity{
		Handle: *handle, Name: *name, Summary: *summary,
		Visibility: models.Visibility(*visibility), JoinPolicy: models.JoinPolicy(*join),
	}
	if *topics != "" {
		in.Topics = strings.Split(*topics, ",")
	}
	if *owner != "" {
		p, err := svc.LocalPerson(ctx, *owner)
		if err != nil {
			return cliError(err)
		}
		in.OwnerID = p.ID
	}
	c, err := svc.CreateCommunity(ctx, in)
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "created community @%s@%s at %s\n", c.Actor.Username, c.Actor.Host, c.Actor.IRI)
	return nil
}

// cliError shows the safe message of a domain error.
func cliError(err error) error {
	if service.KindOf(err) != service.KindInternal {
		return usageError{service.SafeMessage(err, err.Error())}
	}
	return err
}

func randomPassword() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
