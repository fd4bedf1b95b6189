// Reads JSON lines {"secret": "whsec_...", "headers": {...}, "body": "..."}
// on stdin and verifies each with the official Standard Webhooks library
// (https://www.npmjs.com/package/standardwebhooks), printing one line per
// input: "ok", or "fail <reason>". Used by
// internal/webhook/stdwebhook/interop_test.go; test-only, not shipped.
"use strict";

const readline = require("node:readline");
const { Webhook } = require("standardwebhooks");

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];

rl.on("line", (line) => {
  if (line.trim() === "") {
    return;
  }
  try {
    const { secret, headers, body } = JSON.parse(line);
    // verify() throws WebhookVerificationError on a bad signature or
    // timestamp, and (after a good signature) parses the body as JSON.
    new Webhook(secret).verify(body, headers);
    out.push("ok");
  } catch (err) {
    out.push("fail " + String(err && err.message ? err.message : err).replace(/\s+/g, " "));
  }
});

rl.on("close", () => {
  process.stdout.write(out.length ? out.join("\n") + "\n" : "");
});
