// Microsoft's browser SDK (@azure/web-pubsub-client, default options: json.reliable.webpubsub.azure.v1) against a
// running DevHost. Started by RestaurantOs.EndToEnd.Tests (OfficialSdkTests), which sets ROS_DEVHOST_URL.
// Run by hand: ROS_DEVHOST_URL=http://127.0.0.1:3001 node --test tests/sdk/
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { randomUUID } from "node:crypto";
import { WebPubSubClient } from "@azure/web-pubsub-client";

const base = process.env.ROS_DEVHOST_URL;
if (!base) {
  throw new Error("ROS_DEVHOST_URL is not set (the DevHost base URL, e.g. http://127.0.0.1:3001).");
}

const WAIT_MS = 20_000;

async function devToken(restaurantId, role) {
  const response = await fetch(new URL(`dev/token?restaurant_id=${restaurantId}&role=${role}`, base));
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).token;
}

/** The app's own negotiate: an app JWT in, a Web PubSub client URL out. */
async function negotiate(appToken) {
  const response = await fetch(new URL("api/negotiate", base), { headers: { authorization: `Bearer ${appToken}` } });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).url;
}

async function createOrder(managerToken, id) {
  const response = await fetch(new URL("api/orders", base), {
    method: "POST",
    headers: { authorization: `Bearer ${managerToken}`, "content-type": "application/json" },
    body: JSON.stringify({ id, table_number: "T1", items: [{ name: "Soup", quantity: 1, price: 800 }] }),
  });
  assert.equal(response.status, 201, await response.clone().text());
}

/** Resolves when predicate() holds, checking after every event the caller reports through the returned poke(). */
function waitFor(predicate, what) {
  let poke;
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}.`)), WAIT_MS);
    poke = () => {
      if (predicate()) {
        clearTimeout(timer);
        resolve();
      }
    };
  });
  poke();
  return { done, poke };
}

/** Collects the app's envelopes (server messages) and the SDK's lifecycle events. */
function record(client) {
  const seen = { envelopes: [], connected: [], disconnected: [], waiters: new Set() };
  const poke = () => seen.waiters.forEach((w) => w());
  client.on("server-message", (e) => {
    seen.envelopes.push(e.message.data);
    poke();
  });
  client.on("connected", (e) => {
    seen.connected.push(e.connectionId);
    poke();
  });
  client.on("disconnected", (e) => {
    seen.disconnected.push(e);
    poke();
  });
  seen.until = async (predicate, what) => {
    const { done, poke: check } = waitFor(predicate, what);
    seen.waiters.add(check);
    try {
      await done;
    } finally {
      seen.waiters.delete(check);
    }
  };
  return seen;
}

test("default options connect through /api/negotiate, app events arrive, client messages reach the app", async () => {
  const restaurant = randomUUID();
  const kitchen = await devToken(restaurant, "kitchen");
  const manager = await devToken(restaurant, "manager");
  const client = new WebPubSubClient({ getClientAccessUrl: () => negotiate(kitchen) });
  const seen = record(client);
  try {
    await client.start();
    await seen.until(() => seen.connected.length === 1, "the SDK's connected event");

    // The app greets every connection; the envelope arrives as JSON data.
    await seen.until(() => seen.envelopes.some((e) => e.type === "connected"), "the app's connected reply");
    const hello = seen.envelopes.find((e) => e.type === "connected");
    assert.equal(hello.data.authenticated, true);
    assert.equal(hello.data.restaurant_id, restaurant);

    const order = randomUUID();
    await createOrder(manager, order);
    await seen.until(() => seen.envelopes.some((e) => e.type === "order:created"), "order:created");
    const created = seen.envelopes.find((e) => e.type === "order:created");
    assert.equal(created.restaurant_id, restaurant);
    assert.equal(created.data.order.id, order);

    // Client messages are user events named "message" carrying the app's JSON; the app's reply comes back.
    const ack = await client.sendEvent("message", { type: "ping" }, "json");
    assert.equal(ack.isDuplicated, false);
    await seen.until(() => seen.envelopes.some((e) => e.type === "pong"), "the app's pong");

    // Routing groups belong to the app: the negotiated token grants no group roles, so a join is refused.
    await assert.rejects(client.joinGroup(`r.${restaurant.replaceAll("-", "")}.e.order:created`), (error) => {
      assert.equal(error.errorDetail?.name, "Forbidden", String(error));
      return true;
    });
    assert.deepEqual(seen.disconnected, []);
  } finally {
    client.stop();
  }
});

test("the seed URL with an app JWT works too (no negotiate)", async () => {
  const restaurant = randomUUID();
  const kitchen = await devToken(restaurant, "kitchen");
  const manager = await devToken(restaurant, "manager");
  const seedUrl = new URL(`?token=${encodeURIComponent(kitchen)}`, base.replace(/^http/, "ws"));
  const client = new WebPubSubClient(seedUrl.toString());
  const seen = record(client);
  try {
    await client.start();
    await seen.until(() => seen.envelopes.some((e) => e.type === "connected"), "the app's connected reply");
    const order = randomUUID();
    await createOrder(manager, order);
    await seen.until(() => seen.envelopes.some((e) => e.type === "order:created" && e.data.order.id === order), "order:created");
  } finally {
    client.stop();
  }
});

/**
 * A TCP proxy in front of DevHost that can cut every connection through it (both sides destroyed, no close frame:
 * what a dropped Wi-Fi looks like). It rewrites the Host header of each request to DevHost's, because the
 * Web PubSub access token's audience names the host the service is reached at.
 */
async function startCuttingProxy(target) {
  const sockets = new Set();
  let upgrades = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    let head = Buffer.alloc(0);
    let headDone = false;
    client.on("data", (chunk) => {
      if (headDone) {
        upstream.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        return;
      }
      headDone = true;
      const text = head.subarray(0, end).toString("latin1").replace(/^host:.*$/im, `Host: ${target.host}`);
      if (/^upgrade:\s*websocket/im.test(text)) {
        upgrades++;
      }
      upstream.write(Buffer.concat([Buffer.from(text, "latin1"), head.subarray(end)]));
    });
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", drop);
    upstream.on("close", drop);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    get upgrades() {
      return upgrades;
    },
    cut() {
      const count = sockets.size;
      for (const socket of sockets) {
        socket.resetAndDestroy ? socket.resetAndDestroy() : socket.destroy();
      }
      sockets.clear();
      return count;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

test("a socket cut mid-stream recovers the same connection with no event lost or doubled", async () => {
  const restaurant = randomUUID();
  const kitchen = await devToken(restaurant, "kitchen");
  const manager = await devToken(restaurant, "manager");
  const proxy = await startCuttingProxy(new URL(base));
  const viaProxy = async () => {
    const url = new URL(await negotiate(kitchen));
    url.port = String(proxy.port);
    return url.toString();
  };
  const client = new WebPubSubClient({ getClientAccessUrl: viaProxy });
  const seen = record(client);
  const created = () => seen.envelopes.filter((e) => e.type === "order:created");
  const total = 30;
  const cutAfter = 10;
  const orders = Array.from({ length: total }, () => randomUUID());
  try {
    await client.start();
    await seen.until(() => seen.connected.length === 1, "the SDK's connected event");
    const connectionId = seen.connected[0];

    // Orders keep coming while the socket is cut and recovered: the ones sent meanwhile wait in the service.
    const producing = (async () => {
      for (const id of orders) {
        await createOrder(manager, id);
      }
    })();
    await seen.until(() => created().length >= cutAfter, `${cutAfter} order:created events`);
    assert.ok(proxy.cut() >= 2, "the proxy had a live connection to cut");
    await producing;

    await seen.until(() => created().length >= total, `all ${total} order:created events`);
    // Anything doubled would arrive right behind; give a final order the same path and wait for it.
    const last = randomUUID();
    await createOrder(manager, last);
    await seen.until(() => created().some((e) => e.data.order.id === last), "the final order");

    const ids = created().map((e) => e.data.order.id);
    assert.deepEqual(ids, [...orders, last], "every order once, in order");
    const seqs = created().map((e) => e.seq);
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `seq strictly increasing: ${seqs}`);

    // Recovered, not reconnected: the SDK raised no disconnected and no second connected, and a second
    // WebSocket upgrade (the recovery) went through the proxy.
    assert.deepEqual(seen.disconnected, []);
    assert.deepEqual(seen.connected, [connectionId]);
    assert.ok(proxy.upgrades >= 2, `expected a recovery upgrade, saw ${proxy.upgrades}`);
  } finally {
    client.stop();
    proxy.cut();
    await proxy.close();
  }
});
