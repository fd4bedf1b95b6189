// A small Parley client written against the types openapi-typescript
// generates from the served /openapi.json (generated/parley.ts). tsc
// checks it against them, then client/typescript_test.go runs it against a
// live sandbox: list conversations, reply, read a refusal's error code.
import type { components, operations } from "./generated/parley.js";

// Node's globals, declared here so the check needs no @types/node.
declare const process: { env: Record<string, string | undefined>; exitCode?: number };

// The JSON body of one response of an operation.
type JSONOf<R> = R extends { content: { "application/json": infer T } } ? T : never;

type ListQuery = NonNullable<operations["listConversations"]["parameters"]["query"]>;
type ConversationPage = JSONOf<operations["listConversations"]["responses"][200]>;
type Conversation = components["schemas"]["Conversation"];
type SendBody = operations["sendMessage"]["requestBody"]["content"]["application/json"];
type Sent = JSONOf<operations["sendMessage"]["responses"][201]>;
type WindowClosed = JSONOf<operations["sendMessage"]["responses"][410]>;
type ErrorBody = components["schemas"]["ErrorBody"];

const base = process.env.PARLEY_URL;
const key = process.env.PARLEY_API_KEY;
if (!base || !key) throw new Error("set PARLEY_URL and PARLEY_API_KEY");

async function call<T>(method: "GET" | "POST", path: string, body?: SendBody): Promise<{ status: number; json: T }> {
  const init: RequestInit = { method, headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(base + path, init);
  return { status: res.status, json: (await res.json()) as T };
}

function queryString(q: ListQuery): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  return p.toString();
}

// Every Instagram conversation, following the cursors.
const conversations: Conversation[] = [];
let q: ListQuery = { platform: "instagram", limit: 2 };
for (;;) {
  const page = await call<ConversationPage>("GET", "/v1/inbox/conversations?" + queryString(q));
  if (page.status !== 200) throw new Error(`list: HTTP ${page.status} ${JSON.stringify(page.json)}`);
  conversations.push(...page.json.data);
  const next = page.json.pagination.next_cursor;
  if (!page.json.pagination.has_more || next === null) break;
  q = { ...q, cursor: next };
}
console.log(`conversations: ${conversations.length}`);

const open = conversations.find((c) => c.reply_window.open);
// allowed_tags is nullable in the document (a Go slice), so TypeScript insists on a fallback.
const closed = conversations.find((c) => !c.reply_window.open && (c.reply_window.allowed_tags ?? []).length === 0);
if (!open || !closed) throw new Error("expected an open and a closed conversation");

const sent = await call<Sent>("POST", `/v1/inbox/conversations/${encodeURIComponent(open.id)}/messages`, { text: "Hello from TypeScript" });
if (sent.status !== 201) throw new Error(`send: HTTP ${sent.status} ${JSON.stringify(sent.json)}`);
console.log(`sent: ${sent.json.data.direction}`);

const refused = await call<WindowClosed>("POST", `/v1/inbox/conversations/${encodeURIComponent(closed.id)}/messages`, { text: "Are you still there?" });
const err: ErrorBody = refused.json;
if (refused.status !== 410 || !err.request_id) throw new Error(`refusal: HTTP ${refused.status} ${JSON.stringify(err)}`);
console.log(`error: ${err.error.code}`);
