// Signs in to a running Parley's /mcp with the official TypeScript MCP SDK's
// OAuth client (discovery → registration → authorization with PKCE → token
// → call), the person's browser scripted with fetch. internal/mcpauth's
// TestTypeScriptOAuth starts the server and runs this with:
//   PARLEY_URL     base URL of the server (the issuer)
//   PARLEY_PERSON  the value of the test sign-in cookie of the person who approves
//   PARLEY_ORG     the organisation the consent page must name
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const base = process.env.PARLEY_URL;
const person = process.env.PARLEY_PERSON;
assert.ok(base && person, 'set PARLEY_URL and PARLEY_PERSON');
const endpoint = new URL('/mcp', base);
const callback = 'http://127.0.0.1:1/callback';

// browse is the person: sent to sign in, they do, then approve the consent
// page; it returns the redirect back to the client.
async function browse(authorizationUrl) {
  const cookie = `person=${person}`;
  let res = await fetch(authorizationUrl, { redirect: 'manual' });
  const signIn = res.headers.get('location');
  assert.ok(signIn && signIn.startsWith('https://signin.test/'), `not sent to sign in: ${res.status} ${signIn}`);
  res = await fetch(new URL(new URL(signIn).searchParams.get('return'), base), { redirect: 'manual', headers: { cookie } });
  const html = await res.text();
  assert.equal(res.status, 200, html);
  assert.ok(html.includes(process.env.PARLEY_ORG), 'the consent page names the organisation');
  assert.ok(html.includes('dm:read') && html.includes('dm:write'), 'the consent page names the scopes');
  const request = html.match(/name="request" value="([^"]+)"/)[1];
  const decided = await fetch(new URL('/oauth/authorize', base), {
    method: 'POST', redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request, decision: 'allow' }),
  });
  assert.equal(decided.status, 302);
  return new URL(decided.headers.get('location'));
}

// provider is the SDK's OAuthClientProvider, keeping everything in memory.
class Provider {
  constructor() { this.back = undefined; }
  get redirectUrl() { return callback; }
  get clientMetadata() {
    return { redirect_uris: [callback], client_name: 'TypeScript agent', grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() { return this.client; }
  saveClientInformation(info) { this.client = info; }
  tokens() { return this.saved; }
  saveTokens(tokens) { this.saved = tokens; }
  async redirectToAuthorization(url) { this.back = await browse(url); }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

test('an agent with only the URL signs in and calls the tools', async () => {
  const provider = new Provider();
  let transport = new StreamableHTTPClientTransport(endpoint, { authProvider: provider });
  await assert.rejects(new Client({ name: 'ts-oauth', version: '1.0.0' }).connect(transport), UnauthorizedError);
  assert.ok(provider.back, 'the SDK never sent the person to authorize');
  assert.equal(provider.back.searchParams.get('iss'), base);
  await transport.finishAuth(provider.back.searchParams.get('code'));
  assert.match(provider.saved.access_token, /^pmcp_at_/);
  assert.ok(provider.saved.refresh_token);
  assert.equal(provider.saved.scope, 'dm:read dm:write');

  transport = new StreamableHTTPClientTransport(endpoint, { authProvider: provider });
  const client = new Client({ name: 'ts-oauth', version: '1.0.0' });
  await client.connect(transport);
  const result = await client.callTool({ name: 'list_accounts', arguments: {} });
  assert.ok(!result.isError, JSON.stringify(result));
  assert.ok(Array.isArray(result.structuredContent.data));
  await client.close();
});
