// Webhook receiver for bench/webhooks.sh: answers every delivery 200 at once, after checking its
// Standard Webhooks signature with the endpoint's secret, and counts what it got.
//   node bench/webhooks-receiver.js PORT
//   POST /_config {"<path>": "whsec_..."}   secrets of the endpoints, by the path they deliver to
//   POST /_reset                             zero the counters
//   GET  /_stats                             {"requests":N,"distinct":N,"verified":N,"bad":N,"by_path":{...}}
// Listens on 127.0.0.1 only. Node's own http and crypto modules: nothing to install.
"use strict";
const http = require("http");
const crypto = require("crypto");

const port = Number(process.argv[2] || 0);
let secrets = {};
let stats;
function reset() {
  stats = { requests: 0, verified: 0, bad: 0, seen: new Set(), byPath: {} };
}
reset();

function verify(secret, headers, body) {
  const id = headers["webhook-id"], ts = headers["webhook-timestamp"], sig = headers["webhook-signature"];
  if (!secret || !id || !ts || !sig) return false;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = crypto.createHmac("sha256", key).update(`${id}.${ts}.`).update(body).digest();
  return sig.split(" ").some((s) => {
    const given = Buffer.from(s.startsWith("v1,") ? s.slice(3) : "", "base64");
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    if (req.url === "/_config") {
      secrets = Object.assign(secrets, JSON.parse(body.toString("utf8")));
      res.end("{}");
      return;
    }
    if (req.url === "/_reset") {
      reset();
      res.end("{}");
      return;
    }
    if (req.url === "/_stats") {
      const byPath = {};
      for (const [p, s] of Object.entries(stats.byPath)) byPath[p] = { requests: s.requests, distinct: s.seen.size };
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ requests: stats.requests, distinct: stats.seen.size, verified: stats.verified, bad: stats.bad, by_path: byPath }));
      return;
    }
    stats.requests++;
    const id = req.headers["webhook-id"] || "";
    const p = (stats.byPath[req.url] ||= { requests: 0, seen: new Set() });
    p.requests++;
    p.seen.add(id);
    stats.seen.add(req.url + " " + id);
    if (verify(secrets[req.url], req.headers, body)) stats.verified++;
    else stats.bad++;
    res.statusCode = 200;
    res.end();
  });
});
server.keepAliveTimeout = 120000;
server.listen(port, "127.0.0.1", () => {
  console.log(`RECEIVER port=${server.address().port}`);
});
