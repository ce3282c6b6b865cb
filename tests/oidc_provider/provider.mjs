// A certified OpenID provider (panva's oidc-provider) for the console's tests, on 127.0.0.1 only.
//
//   node provider.mjs config.json
//
// config.json: {"clients": [client metadata], "jwks": {"keys": [private JWK]}, "cookie_keys": [...]}.
// The provider listens on a free port and prints one JSON line, {"issuer": "http://127.0.0.1:<port>"},
// once it answers. Besides the provider's own endpoints it serves, for the tests only:
//
//   PUT  /control/accounts/<sub>   {"claims": {...}, "amr": [...], "acr": "...", "auth_time": epoch}
//                                  an account the login page accepts, with what its tokens say
//   POST /control/next-id-token    {"id_token": "..."}: the next token response carries this ID
//                                  token instead of the one the provider signed (forged-token tests)
//   GET  /interaction/<uid>        a plain login form (the account's sub, no password), which also
//                                  grants the client the requested scopes, so there is no consent page
import http from 'node:http';
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map();
let nextIdToken = null;

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function answer(response, status, type, body) {
  response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  response.end(body);
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function control(request, response, path) {
  const body = request.method === 'GET' ? '' : await readBody(request);
  const data = body ? JSON.parse(body) : {};
  const account = path.match(/^\/control\/accounts\/([^/]+)$/);
  if (account && request.method === 'PUT') {
    accounts.set(decodeURIComponent(account[1]), data);
    return answer(response, 204, 'text/plain', '');
  }
  if (path === '/control/next-id-token' && request.method === 'POST') {
    nextIdToken = data.id_token;
    return answer(response, 204, 'text/plain', '');
  }
  return answer(response, 404, 'text/plain', 'no such control');
}

function loginPage(uid, clientId, message = '') {
  const note = message ? `<p role="alert">${escapeHtml(message)}</p>` : '';
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test provider sign-in</title></head>
<body><h1>Test provider</h1><p>Sign in to ${escapeHtml(clientId)}</p>${note}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="login">Account</label> <input id="login" name="login" autofocus>
<button type="submit">Continue</button></form></body></html>`;
}

async function interaction(provider, request, response, path) {
  const details = await provider.interactionDetails(request, response);
  const { uid, params } = details;
  if (request.method === 'GET') {
    return answer(response, 200, 'text/html; charset=utf-8', loginPage(uid, params.client_id));
  }
  const form = new URLSearchParams(await readBody(request));
  const sub = form.get('login') || '';
  const account = accounts.get(sub);
  if (!path.endsWith('/login') || !account) {
    return answer(response, 200, 'text/html; charset=utf-8', loginPage(uid, params.client_id, 'No such account.'));
  }
  const grant = new provider.Grant({ accountId: sub, clientId: params.client_id });
  grant.addOIDCScope(params.scope);
  const result = {
    login: {
      accountId: sub,
      ts: account.auth_time ?? Math.floor(Date.now() / 1000),
      amr: account.amr,
      acr: account.acr,
    },
    consent: { grantId: await grant.save() },
  };
  return provider.interactionFinished(request, response, result, { mergeWithLastSubmission: false });
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: config.jwks,
    cookies: { keys: config.cookie_keys },
    async findAccount(ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ ...account.claims, sub }) };
    },
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    scopes: ['openid', 'profile', 'email', 'groups'],
    // The ID token carries the scopes' claims (the console reads groups from it).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    // Its outgoing requests (back-channel logout) go to the console on 127.0.0.1, which the
    // provider's guard against requests to special-use addresses would refuse.
    fetch: (url, options) => globalThis.fetch(url, { ...options, dispatcher: undefined }),
    interactions: { url: (ctx, details) => `/interaction/${details.uid}` },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && nextIdToken && ctx.body && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: nextIdToken };
      nextIdToken = null;
    }
  });
  provider.on('backchannel.error', (ctx, error, client) => {
    process.stderr.write(`back-channel logout to ${client.clientId} failed: ${error.message}\n`);
  });
  provider.on('backchannel.success', (ctx, client) => {
    process.stderr.write(`back-channel logout sent to ${client.clientId}\n`);
  });
  const callback = provider.callback();
  server.on('request', (request, response) => {
    const path = new URL(request.url, issuer).pathname;
    const handle = path.startsWith('/control/')
      ? control(request, response, path)
      : path.startsWith('/interaction/')
        ? interaction(provider, request, response, path)
        : Promise.resolve(callback(request, response));
    handle.catch((error) => answer(response, 500, 'text/plain', String(error)));
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
