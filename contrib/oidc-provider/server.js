// An OpenID provider (panva/oidc-provider 9, OpenID Certified) that serves the clients of `appdeck export oidc`.
//
//   node server.js --export FILE [--port N] [--issuer URL]     (or APPDECK_OIDC_EXPORT, PORT, ISSUER)
//
// It listens on 127.0.0.1 only. Clients come from the export file and nowhere else: the Client model's adapter
// reads the current export on every lookup, and the file is polled (every 250 ms, and on SIGHUP), so a new app, a
// rotated secret, a disabled or deleted app takes effect without a restart. A file that does not parse keeps the
// last good export.
//
// appdeck's URL rule is applied as appdeck exported it, never re-implemented here: a redirect_uri, a
// post_logout_redirect_uri and a CORS Origin are read with Node's WHATWG `URL` (the same parser, ada, as appdeck),
// after the typing rules of `x_appdeck_export.tested_url`, and the canonical href (without its fragment) must match
// one of the client's `x_appdeck_*_patterns`.
//
// Development only as shipped: logins use oidc-provider's devInteractions (any login name, any password), consent
// is implied for the organization's own apps, signing keys are generated at start, and state lives in memory.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import process from 'node:process';

import Provider from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

const EXTENSIONS = [
  'x_appdeck_app_id',
  'x_appdeck_app_type',
  'x_appdeck_redirect_uri_wildcards',
  'x_appdeck_post_logout_redirect_uri_wildcards',
  'x_appdeck_web_origins',
  'x_appdeck_cors_origins',
  'x_appdeck_redirect_uri_patterns',
  'x_appdeck_post_logout_redirect_uri_patterns',
  'x_appdeck_web_origin_patterns',
  'x_appdeck_cors_origin_patterns',
];

function option(name, env) {
  const at = process.argv.indexOf(`--${name}`);
  if (at >= 0 && at + 1 < process.argv.length) return process.argv[at + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  return process.env[env];
}

const exportFile = option('export', 'APPDECK_OIDC_EXPORT');
const port = Number(option('port', 'PORT') ?? 3000);
if (!exportFile || !Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('usage: node server.js --export FILE [--port N] [--issuer URL]\n');
  process.exit(2);
}
const issuer = option('issuer', 'ISSUER') ?? `http://127.0.0.1:${port}`;

const log = (line) => process.stderr.write(`appdeck-oidc: ${line}\n`);

// -- the export -----------------------------------------------------------------------------------------------

let current = { clients: new Map(), rules: null, stamp: '' };
const compiled = new Map();

function regex(pattern) {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(pattern); // no flags: the subset appdeck writes reads the same in Python's re
    compiled.set(pattern, re);
  }
  return re;
}

function load() {
  let stat;
  try {
    stat = fs.statSync(exportFile);
  } catch (err) {
    if (current.stamp !== 'missing') log(`cannot read ${exportFile}: ${err.code}; serving no clients`);
    current = { clients: new Map(), rules: null, stamp: 'missing' };
    return;
  }
  const stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  if (stamp === current.stamp) return;
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(exportFile, 'utf8'));
    if (!doc || !Array.isArray(doc.clients) || doc.x_appdeck_export?.kind !== 'oidc') throw new Error('not an appdeck oidc export');
  } catch (err) {
    log(`${exportFile} is not a usable export (${err.message}); keeping the last good one`);
    current = { ...current, stamp };
    return;
  }
  const clients = new Map();
  for (const client of doc.clients) {
    if (client && typeof client.client_id === 'string' && client.client_id) clients.set(client.client_id, client);
  }
  current = { clients, rules: doc.x_appdeck_export.tested_url ?? null, stamp };
  log(`loaded ${clients.size} clients from ${exportFile}`);
}

load();
fs.watchFile(exportFile, { interval: 250, persistent: false }, load);
process.on('SIGHUP', load);

// Would appdeck's checker allow `value` by the list these patterns came from? (store/export.py, spec section 4)
function allowedBy(patterns, value) {
  const rules = current.rules;
  if (!Array.isArray(patterns) || typeof value !== 'string' || !rules) return false;
  const trim = new RegExp(`^${rules.trim}+|${rules.trim}+$`, 'g');
  const text = value.replace(trim, '');
  if (new RegExp(rules.control).test(text) || !new RegExp(rules.typed).test(text)) return false;
  const url = URL.parse(text);
  if (!url) return false;
  const href = url.href.split('#')[0];
  return patterns.some((p) => regex(p).test(href));
}

// -- the provider ---------------------------------------------------------------------------------------------

const memory = createMemoryAdapter();

class ExportClients {
  // The Client model's storage: the current export. Nothing is ever written here (no dynamic registration).
  async find(id) {
    const client = current.clients.get(id);
    if (!client) return undefined;
    const metadata = {};
    for (const [key, value] of Object.entries(client)) {
      if (!key.startsWith('x_appdeck_') || EXTENSIONS.includes(key)) metadata[key] = value;
    }
    return metadata;
  }

  async upsert() { throw new Error('clients come from the appdeck export only'); }

  async destroy() {}

  async consume() {}

  async findByUid() { return undefined; }

  async findByUserCode() { return undefined; }

  async revokeByGrantId() {}
}

const clientsAdapter = new ExportClients();

const provider = new Provider(issuer, {
  adapter: (model) => (model === 'Client' ? clientsAdapter : memory(model)),
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return { sub }; } };
  },
  // The organization's own apps: consent is implied for the OpenID scopes they ask for.
  async loadExistingGrant(ctx) {
    const { client, session, result } = ctx.oidc;
    const grantId = result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
    await grant.save();
    return grant;
  },
  extraClientMetadata: { properties: EXTENSIONS },
  clientBasedCORS(ctx, origin, client) {
    return allowedBy(client.x_appdeck_cors_origin_patterns, origin);
  },
  pkce: { required: (ctx, client) => client.clientAuthMethod === 'none' },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    revocation: { enabled: true },
  },
});

const { Client } = provider;
const exactRedirect = Client.prototype.redirectUriAllowed;
const exactLogout = Client.prototype.postLogoutRedirectUriAllowed;
Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
  if (this.x_appdeck_redirect_uri_patterns === undefined) return exactRedirect.call(this, value);
  return allowedBy(this.x_appdeck_redirect_uri_patterns, value);
};
Client.prototype.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(value) {
  if (this.x_appdeck_post_logout_redirect_uri_patterns === undefined) return exactLogout.call(this, value);
  return allowedBy(this.x_appdeck_post_logout_redirect_uri_patterns, value);
};

provider.on('server_error', (ctx, err) => log(`server error on ${ctx.method} ${ctx.path}: ${err.message}`));

const server = provider.listen(port, '127.0.0.1', () => {
  log(`issuer ${issuer} listening on 127.0.0.1:${server.address().port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 1000).unref());
}
