// An independent ActivityPub peer built on Fedify (@fedify/fedify 1.5.9),
// driven by fedify_test.go against a real Practica instance.
//
// Our Go code can agree with itself on a mistake; Fedify will not. Every
// document this peer reads from Practica goes through Fedify's own loaders
// and parsers, every activity it receives passes Fedify's inbox (HTTP
// signature verification, key ownership), and everything it sends is
// signed by Fedify.
//
// Environment:
//
//	PEER_ORIGIN      canonical origin of this peer, e.g. http://fedify.test
//	PEER_ROUTES      JSON object {"host:port": "127.0.0.1:port", ...}: the test
//	                 network. Connections go only to these addresses, whatever
//	                 the URL says; TLS is still verified against the URL's host
//	                 name (NODE_EXTRA_CA_CERTS names the test CA).
//	PEER_LOG_LEVEL   LogTape level for Fedify's log on stderr (default debug)
//
// Protocol with the test:
//
//	stdout: one JSON line {"event":"ready","port":P,"control":C} once both
//	        servers listen on 127.0.0.1 (P: federation, C: control API).
//	stderr: the log.
//	stdin:  when it closes, the peer exits (so it never outlives the test).
//
// Control API on 127.0.0.1:C (JSON in, JSON out; errors as {"error": ...}
// with status 500):
//
//	POST /lookup {"handle": "@name@host"}   WebFinger + signed fetch of the actor
//	POST /follow {"actor": IRI}             send Follow
//	POST /post   {"group": IRI, "text": s}  send Create{Note} mentioning the group
//	GET  /status                             what the peer received and served
import http from "node:http";
import process from "node:process";
import { AsyncLocalStorage } from "node:async_hooks";
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { Agent, buildConnector, setGlobalDispatcher } from "undici";
import { Temporal } from "@js-temporal/polyfill";
import { configure, getTextFormatter } from "@logtape/logtape";
import {
  Accept,
  Announce,
  Create,
  createFederation,
  Endpoints,
  Follow,
  generateCryptoKeyPair,
  isActor,
  lookupWebFinger,
  MemoryKvStore,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Undo,
} from "@fedify/fedify";

const IDENTIFIER = "peer";
const origin = new URL(process.env.PEER_ORIGIN ?? "http://fedify.test");
const userAgent = "FedifyPeer/1.5.9 (Practica interoperability test)";

// ---------------------------------------------------------------- logging

const format = getTextFormatter({ timestamp: "date-time" });
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { stderr: (record) => process.stderr.write(format(record)) },
  loggers: [
    {
      category: "fedify",
      lowestLevel: process.env.PEER_LOG_LEVEL ?? "debug",
      sinks: ["stderr"],
    },
    { category: "peer", lowestLevel: "debug", sinks: ["stderr"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
  ],
});
function log(msg, data) {
  process.stderr.write(
    `${new Date().toISOString()} [PEER] ${msg}` +
      (data === undefined ? "" : " " + JSON.stringify(data)) + "\n",
  );
}

// ---------------------------------------------------------- test network
//
// The Node counterpart of testrig.Network: URLs keep their real host names
// (so Host headers, signatures, ids and TLS names are exactly what
// production would see); only the TCP connection is routed to the loopback
// address the test gives for host:port. Unknown hosts are refused, so the
// peer never reaches the internet.

const routes = new Map(Object.entries(JSON.parse(process.env.PEER_ROUTES ?? "{}")));
const direct = buildConnector({});
function defaultPort(protocol) {
  return protocol === "https:" ? 443 : 80;
}
function routedConnect(opts, callback) {
  const port = opts.port ? Number(opts.port) : defaultPort(opts.protocol);
  const key = `${opts.hostname}:${port}`.toLowerCase();
  const target = routes.get(key);
  if (target == null) {
    log("refusing connection outside the test network", { key });
    callback(new Error(`no route to ${key} on the test network`), null);
    return;
  }
  const i = target.lastIndexOf(":");
  return direct({
    ...opts,
    hostname: target.slice(0, i),
    host: target,
    port: target.slice(i + 1),
    servername: opts.servername || opts.hostname,
  }, callback);
}
setGlobalDispatcher(new Agent({ connect: routedConnect }));

// ------------------------------------------------------------ peer state

const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const notes = new Map(); // uuid -> Note
const received = []; // activities that passed Fedify's inbox
const requests = []; // every request to the federation server
const errors = []; // inbox errors reported by Fedify
const follows = new Map(); // follow id -> {target, state}
const lookups = new Map(); // actor id -> Fedify Actor, from lookup()

async function describe(obj, loader, depth = 0) {
  if (obj == null) return null;
  const d = {
    type: obj.constructor?.name,
    id: obj.id?.href ?? null,
  };
  if (obj.actorId !== undefined) d.actor = obj.actorId?.href ?? null;
  if (obj.attributionId !== undefined) d.attributedTo = obj.attributionId?.href ?? null;
  if (obj.name != null) d.name = obj.name.toString();
  if (obj.content != null) d.content = obj.content.toString();
  if (obj.toIds) d.to = obj.toIds.map((u) => u.href);
  if (obj.ccIds) d.cc = obj.ccIds.map((u) => u.href);
  if (obj.objectId !== undefined) {
    d.objectId = obj.objectId?.href ?? null;
    if (depth < 2 && typeof obj.getObject === "function") {
      try {
        d.object = await describe(await obj.getObject({ documentLoader: loader }), loader, depth + 1);
      } catch (error) {
        d.objectError = String(error);
      }
    }
  }
  return d;
}

async function record(ctx, activity) {
  const loader = await ctx.getDocumentLoader({ identifier: IDENTIFIER });
  const d = await describe(activity, loader);
  d.receivedAt = new Date().toISOString();
  d.recipient = ctx.recipient ?? null;
  d.raw = await activity.toJsonLd({ contextLoader: ctx.contextLoader });
  received.push(d);
  log(`received ${d.type}`, { id: d.id, actor: d.actor, objectId: d.objectId });
  return d;
}

// ------------------------------------------------------------ federation

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin: origin.href,
  // The test network is loopback: let Fedify's loaders reach it.
  allowPrivateAddress: true,
  userAgent,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      summary: "An independent ActivityPub implementation under test.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
      manuallyApprovesFollowers: false,
      discoverable: true,
      published: Temporal.Instant.from("2024-01-01T00:00:00Z"),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) =>
    identifier === IDENTIFIER ? [keyPair] : []
  );

federation.setOutboxDispatcher("/users/{identifier}/outbox", () => ({ items: [] }));
federation.setFollowersDispatcher("/users/{identifier}/followers", () => ({ items: [] }));
federation.setFollowingDispatcher("/users/{identifier}/following", () => ({ items: [] }));
federation.setObjectDispatcher(
  Note,
  "/notes/{id}",
  (_ctx, values) => notes.get(values.id) ?? null,
);

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .setSharedKeyDispatcher(() => ({ identifier: IDENTIFIER }))
  .on(Accept, async (ctx, accept) => {
    const d = await record(ctx, accept);
    const f = follows.get(d.objectId ?? d.object?.id);
    if (f != null) f.state = "accepted";
  })
  .on(Reject, async (ctx, reject) => {
    const d = await record(ctx, reject);
    const f = follows.get(d.objectId ?? d.object?.id);
    if (f != null) f.state = "rejected";
  })
  .on(Announce, async (ctx, a) => void await record(ctx, a))
  .on(Create, async (ctx, a) => void await record(ctx, a))
  .on(Undo, async (ctx, a) => void await record(ctx, a))
  .onError((_ctx, error) => {
    log("inbox error", { error: String(error?.stack ?? error) });
    errors.push(String(error?.stack ?? error));
  });

// Activities of other types get 202 from Fedify without a listener; the
// request log below still shows them.

function context() {
  return federation.createContext(origin, undefined);
}

// ------------------------------------------------------ federation server

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function signatureKeyId(headers) {
  const sig = headers["signature"] ??
    (headers["authorization"]?.startsWith("Signature ")
      ? headers["authorization"].slice(10)
      : undefined);
  return sig?.match(/keyId="([^"]*)"/)?.[1] ?? null;
}

const fedServer = http.createServer(async (req, res) => {
  const entry = {
    at: new Date().toISOString(),
    method: req.method,
    path: req.url,
    host: req.headers.host ?? null,
    accept: req.headers.accept ?? null,
    userAgent: req.headers["user-agent"] ?? null,
    keyId: signatureKeyId(req.headers),
  };
  try {
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const body = hasBody ? await readBody(req) : undefined;
    if (hasBody) entry.body = body.toString("utf8").slice(0, 8000);
    // The URL the client asked for: its Host header, our scheme.
    const url = new URL(req.url, `${origin.protocol}//${req.headers.host ?? origin.host}`);
    const request = new Request(url, { method: req.method, headers, body });
    const response = await federation.fetch(request, { contextData: undefined });
    entry.status = response.status;
    const out = Buffer.from(await response.arrayBuffer());
    if (response.status >= 400) entry.response = out.toString("utf8").slice(0, 2000);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(out);
  } catch (error) {
    entry.status = 500;
    entry.response = String(error?.stack ?? error);
    log("federation server error", { error: entry.response });
    res.writeHead(500, { "content-type": "text/plain" });
    res.end("internal error");
  } finally {
    requests.push(entry);
    log(`${entry.method} ${entry.path} -> ${entry.status}`, {
      host: entry.host,
      keyId: entry.keyId,
    });
  }
});

// ---------------------------------------------------------- control API

// lookup finds an actor by handle the way a Fedify server does: WebFinger
// (https, as Fedify insists for acct:), then the self link fetched with
// a document loader that signs its GETs with this peer's key.
async function lookup({ handle }) {
  const ctx = context();
  const signedLoader = await ctx.getDocumentLoader({ identifier: IDENTIFIER });
  const acct = "acct:" + handle.replace(/^@/, "");
  const jrd = await lookupWebFinger(acct, { allowPrivateAddress: true, userAgent });
  if (jrd == null) throw new Error(`WebFinger found nothing for ${acct} (see log)`);
  const selfLinks = (jrd.links ?? []).filter((l) =>
    l.rel === "self" &&
    (l.type === "application/activity+json" ||
      /^application\/ld\+json;\s*profile="https:\/\/www.w3.org\/ns\/activitystreams"/.test(l.type ?? ""))
  );
  if (selfLinks.length === 0) throw new Error(`WebFinger answer has no ActivityPub self link: ${JSON.stringify(jrd)}`);

  // The raw signed fetch, to check the document's id against its URL.
  const fetched = [];
  for (const l of selfLinks) {
    const doc = await signedLoader(l.href);
    fetched.push({ href: l.href, documentUrl: doc.documentUrl, id: doc.document?.id ?? null, type: doc.document?.type ?? null });
  }

  // Fedify's own lookup: WebFinger and signed fetch and parse.
  const actor = await ctx.lookupObject(handle, { documentLoader: signedLoader });
  if (actor == null) throw new Error(`lookupObject(${handle}) found nothing (see log)`);
  if (!isActor(actor)) throw new Error(`lookupObject(${handle}) is a ${actor.constructor.name}, not an actor`);
  const key = await actor.getPublicKey({ documentLoader: signedLoader });

  // Mastodon-style round trip: WebFinger the actor's id and its
  // preferredUsername@host back.
  const byId = await lookupWebFinger(actor.id, { allowPrivateAddress: true, userAgent });
  const back = await lookupWebFinger(
    `acct:${actor.preferredUsername}@${actor.id.host}`,
    { allowPrivateAddress: true, userAgent },
  );
  lookups.set(actor.id.href, actor);
  return {
    webfinger: jrd,
    fetched,
    actor: {
      type: actor.constructor.name,
      id: actor.id?.href ?? null,
      preferredUsername: actor.preferredUsername?.toString() ?? null,
      name: actor.name?.toString() ?? null,
      inbox: actor.inboxId?.href ?? null,
      outbox: actor.outboxId?.href ?? null,
      followers: actor.followersId?.href ?? null,
      sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
      url: actor.url?.href ?? null,
      manuallyApprovesFollowers: actor.manuallyApprovesFollowers ?? null,
      publicKeyId: key?.id?.href ?? null,
      publicKeyOwner: key?.ownerId?.href ?? null,
    },
    roundTrip: {
      byIdSubject: byId?.subject ?? null,
      byHandleSelf: (back?.links ?? []).filter((l) => l.rel === "self").map((l) => l.href),
    },
  };
}
async function actorFor(iri) {
  const cached = lookups.get(iri);
  if (cached != null) return cached;
  const ctx = context();
  const loader = await ctx.getDocumentLoader({ identifier: IDENTIFIER });
  const actor = await ctx.lookupObject(iri, { documentLoader: loader });
  if (actor == null || !isActor(actor)) throw new Error(`${iri} is not an actor`);
  lookups.set(iri, actor);
  return actor;
}

async function follow({ actor: iri }) {
  const ctx = context();
  const target = await actorFor(iri);
  const id = new URL(`/follows/${randomUUID()}`, origin);
  const activity = new Follow({
    id,
    actor: ctx.getActorUri(IDENTIFIER),
    object: target.id,
    to: target.id,
  });
  follows.set(id.href, { target: iri, state: "pending" });
  await ctx.sendActivity({ identifier: IDENTIFIER }, target, activity);
  return { followId: id.href };
}

async function post({ group: iri, text }) {
  const ctx = context();
  const group = await actorFor(iri);
  const uuid = randomUUID();
  const noteId = ctx.getObjectUri(Note, { id: uuid });
  const me = ctx.getActorUri(IDENTIFIER);
  const handle = `@${group.preferredUsername}@${group.id.host}`;
  const href = group.url?.href ?? group.id.href;
  const published = Temporal.Now.instant();
  const note = new Note({
    id: noteId,
    url: noteId,
    attribution: me,
    to: PUBLIC_COLLECTION,
    ccs: [group.id, ctx.getFollowersUri(IDENTIFIER)],
    content: `<p><span class="h-card"><a href="${href}" class="u-url mention">@<span>${group.preferredUsername}</span></a></span> ${escapeHtml(text)}</p>`,
    tags: [new Mention({ href: group.id, name: handle })],
    published,
  });
  notes.set(uuid, note);
  const create = new Create({
    id: new URL(`${noteId.href}/activity`),
    actor: me,
    object: note,
    to: PUBLIC_COLLECTION,
    ccs: [group.id, ctx.getFollowersUri(IDENTIFIER)],
    published,
  });
  await ctx.sendActivity({ identifier: IDENTIFIER }, group, create);
  return { noteId: noteId.href, createId: create.id.href };
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]
  );
}

function status() {
  return {
    received,
    requests,
    errors,
    follows: Object.fromEntries(follows),
  };
}

const handlers = {
  "POST /lookup": lookup,
  "POST /follow": follow,
  "POST /post": post,
  "GET /status": status,
};

const controlServer = http.createServer(async (req, res) => {
  const h = handlers[`${req.method} ${new URL(req.url, "http://control").pathname}`];
  let status = 200;
  let out;
  try {
    if (h == null) {
      status = 404;
      out = { error: `no control endpoint ${req.method} ${req.url}` };
    } else {
      const body = req.method === "POST" ? await readBody(req) : null;
      out = await h(body && body.length ? JSON.parse(body.toString("utf8")) : {});
    }
  } catch (error) {
    status = 500;
    out = { error: String(error?.stack ?? error) };
    log(`control ${req.method} ${req.url} failed`, out);
  }
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(out));
});

// ------------------------------------------------------------------ start

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server.address().port));
  });
}
const port = await listen(fedServer);
const control = await listen(controlServer);
// The peer reaches itself (e.g. a boost of its own note) like anyone else.
routes.set(`${origin.hostname}:${origin.port || defaultPort(origin.protocol)}`, `127.0.0.1:${port}`);
log("ready", { origin: origin.href, port, control, routes: Object.fromEntries(routes) });
process.stdout.write(JSON.stringify({ event: "ready", port, control }) + "\n");

process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
