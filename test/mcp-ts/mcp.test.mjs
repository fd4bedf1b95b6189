// Drives a running Parley's /mcp endpoint with the official TypeScript MCP
// SDK, as a Node agent would. internal/mcpserver's TestTypeScriptSDK starts
// the server and runs this with:
//   PARLEY_URL                     base URL of the server (http://127.0.0.1:port)
//   PARLEY_API_KEY                 an API key (sapi_key_…)
//   PARLEY_EXPECT_ACCOUNTS         how many accounts list_accounts must return
//   PARLEY_CLOSED_CONVERSATION_ID  a conversation whose reply window is closed
//   PARLEY_OPEN_CONVERSATION_ID    a conversation a send may go to
//   PARLEY_WHATSAPP_ACCOUNT_ID     a WhatsApp account with approved templates
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const base = process.env.PARLEY_URL;
const key = process.env.PARLEY_API_KEY;
assert.ok(base && key, 'set PARLEY_URL and PARLEY_API_KEY');
const endpoint = new URL('/mcp', base);

function connect(headers) {
  const client = new Client({ name: 'parley-ts-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(endpoint, { requestInit: { headers } });
  return client.connect(transport).then(() => client);
}

// errorOf reads the REST error envelope a refused tool call carries.
function errorOf(result) {
  assert.equal(result.isError, true, `expected a tool error, got ${JSON.stringify(result)}`);
  const text = result.content.find((c) => c.type === 'text');
  assert.ok(text, 'a tool error carries a text block');
  const body = JSON.parse(text.text);
  assert.ok(body.error && body.error.code && body.error.message, `not the REST error envelope: ${text.text}`);
  return body.error;
}

let client;
before(async () => {
  client = await connect({ Authorization: `Bearer ${key}` });
});
after(async () => {
  await client?.close();
});

test('lists the seven tools with schemas and annotations', async () => {
  const { tools } = await client.listTools();
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  for (const name of ['list_conversations', 'get_conversation', 'list_messages', 'send_dm', 'mark_conversation_read', 'list_accounts', 'list_whatsapp_templates']) {
    const tool = byName[name];
    assert.ok(tool, `missing tool ${name}`);
    assert.equal(tool.inputSchema.type, 'object');
    assert.ok(tool.description.length > 40, `${name} needs a description`);
    assert.ok(tool.outputSchema, `${name} has no output schema`);
  }
  assert.equal(byName.send_dm.annotations.destructiveHint, true);
  assert.equal(byName.send_dm.annotations.openWorldHint, true);
  assert.equal(byName.list_accounts.annotations.readOnlyHint, true);
  assert.deepEqual(byName.send_dm.inputSchema.required, ['conversation_id']);
  assert.deepEqual(byName.list_messages.inputSchema.required, ['conversation_id']);
  assert.ok(byName.get_conversation.inputSchema.properties.conversation_id);
  assert.equal(byName.get_conversation.inputSchema.properties.id.deprecated, true);
});

test('list_accounts answers the REST list envelope', async () => {
  // The SDK validates structuredContent against the tool's output schema.
  const result = await client.callTool({ name: 'list_accounts', arguments: {} });
  assert.ok(!result.isError, JSON.stringify(result));
  const { data, pagination } = result.structuredContent;
  assert.equal(data.length, Number(process.env.PARLEY_EXPECT_ACCOUNTS ?? data.length));
  assert.equal(pagination.has_more, false);
  assert.equal(pagination.next_cursor, null);
  for (const a of data) {
    assert.match(a.id, /^acct_/);
    assert.ok(a.platform);
  }
  assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
});

test('a send outside the reply window is refused with the options left', { skip: !process.env.PARLEY_CLOSED_CONVERSATION_ID }, async () => {
  const result = await client.callTool({
    name: 'send_dm',
    arguments: { conversation_id: process.env.PARLEY_CLOSED_CONVERSATION_ID, text: 'Are you still there?', automated: true },
  });
  const err = errorOf(result);
  assert.equal(err.code, 'conversation.window_closed');
  assert.ok(Array.isArray(err.meta.options) && err.meta.options.length > 0, JSON.stringify(err));
  assert.equal(result.structuredContent, undefined);
});

test('list_conversations spans every connected platform', async () => {
  const result = await client.callTool({ name: 'list_conversations', arguments: { limit: 100 } });
  assert.ok(!result.isError, JSON.stringify(result));
  const platforms = new Set(result.structuredContent.data.map((c) => c.platform));
  for (const p of ['instagram', 'messenger', 'whatsapp', 'x', 'linkedin']) {
    assert.ok(platforms.has(p), `no ${p} conversation in ${[...platforms]}`);
  }
});

test('get_conversation carries the reply window and the transcript', { skip: !process.env.PARLEY_CLOSED_CONVERSATION_ID }, async () => {
  const result = await client.callTool({ name: 'get_conversation', arguments: { conversation_id: process.env.PARLEY_CLOSED_CONVERSATION_ID } });
  assert.ok(!result.isError, JSON.stringify(result));
  const { reply_window: w, messages } = result.structuredContent.data;
  assert.equal(w.open, false);
  assert.ok('closes_at' in w && Array.isArray(w.allowed_tags));
  assert.ok(messages.length > 0, 'the transcript is empty');
  const times = messages.map((m) => Date.parse(m.created_at));
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'the transcript is not oldest first');
  // The deprecated argument name still works for older clients.
  const old = await client.callTool({ name: 'get_conversation', arguments: { id: process.env.PARLEY_CLOSED_CONVERSATION_ID } });
  assert.deepEqual(old.structuredContent, result.structuredContent);
});

test('list_messages pages back from get_conversation', { skip: !process.env.PARLEY_CLOSED_CONVERSATION_ID }, async () => {
  const id = process.env.PARLEY_CLOSED_CONVERSATION_ID;
  const recent = await client.callTool({ name: 'get_conversation', arguments: { conversation_id: id, message_limit: 1 } });
  const cursor = recent.structuredContent.data.older_messages_cursor;
  assert.ok(cursor, JSON.stringify(recent.structuredContent));
  const older = await client.callTool({ name: 'list_messages', arguments: { conversation_id: id, cursor } });
  assert.ok(!older.isError, JSON.stringify(older));
  assert.ok(older.structuredContent.data.length > 0);
  const last = older.structuredContent.data.at(-1);
  assert.ok(Date.parse(last.created_at) <= Date.parse(recent.structuredContent.data.messages[0].created_at));
});

test('send_dm delivers, and a repeated idempotency key does not send twice', { skip: !process.env.PARLEY_OPEN_CONVERSATION_ID }, async () => {
  const args = { conversation_id: process.env.PARLEY_OPEN_CONVERSATION_ID, text: 'Hello from a TypeScript agent', idempotency_key: 'ts-agent-1' };
  const first = await client.callTool({ name: 'send_dm', arguments: args });
  assert.ok(!first.isError, JSON.stringify(first));
  assert.equal(first.structuredContent.data.direction, 'outgoing');
  const again = await client.callTool({ name: 'send_dm', arguments: args });
  assert.ok(!again.isError, JSON.stringify(again));
  assert.equal(again.structuredContent.data.platform_id, first.structuredContent.data.platform_id);
});

test('mark_conversation_read', { skip: !process.env.PARLEY_OPEN_CONVERSATION_ID }, async () => {
  const result = await client.callTool({ name: 'mark_conversation_read', arguments: { conversation_id: process.env.PARLEY_OPEN_CONVERSATION_ID } });
  assert.ok(!result.isError, JSON.stringify(result));
});

test('list_whatsapp_templates lists approved templates', { skip: !process.env.PARLEY_WHATSAPP_ACCOUNT_ID }, async () => {
  const result = await client.callTool({ name: 'list_whatsapp_templates', arguments: { account_id: process.env.PARLEY_WHATSAPP_ACCOUNT_ID, refresh: true } });
  assert.ok(!result.isError, JSON.stringify(result));
  const names = result.structuredContent.data.map((t) => t.name);
  assert.ok(names.includes('order_update'), JSON.stringify(names));
});

test('an unknown conversation is resource.not_found', async () => {
  const err = errorOf(await client.callTool({ name: 'get_conversation', arguments: { conversation_id: 'sapi_dm_doesnotexist' } }));
  assert.equal(err.code, 'resource.not_found');
});

test('arguments outside the schema are a validation error naming the field', async () => {
  const err = errorOf(await client.callTool({ name: 'list_conversations', arguments: { limit: 1000 } }));
  assert.equal(err.code, 'validation.invalid_field');
  assert.equal(err.meta.field, 'limit');
});

test('no API key is refused before MCP', async () => {
  await assert.rejects(connect({}), (e) => /401|auth\.missing_key|Unauthorized/i.test(String(e)));
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.equal(res.status, 401);
  const body = await res.json();
  assert.equal(body.error.code, 'auth.missing_key');
  assert.equal(body.request_id, res.headers.get('x-request-id'));
});
