// The distributed Pool when its Redis server goes away mid-map: restarted (without persistence,
// so with every key lost) the map still finishes exactly; gone for good, waits raise OSError
// instead of hanging. Each test starts and stops its own redis-server.
import { execFileSync } from "node:child_process";
import mp from "multiprocessing-ts";
import { Pool } from "multiprocessing-ts/distributed";
import { OSError } from "multiprocessing-ts/py";
import { afterAll, describe, expect, test } from "vitest";
import { hasRedis, startRedis, RedisServer } from "./helpers/redis.js";
import * as t from "./fixtures/distributed_targets.js";

const queue = `test-redis-${process.pid}-${Date.now()}`;
const servers: RedisServer[] = [];

function workerCount(): number {
  return execFileSync("ps", ["-eo", "args="], { encoding: "utf8" }).split("\n").filter((l) => l.includes(`--queue ${queue}`)).length;
}

describe.skipIf(!hasRedis)("distributed Pool: what cannot be recovered raises instead of hanging", () => {
  afterAll(async () => {
    for (const s of servers) await s.stop();
    expect(workerCount(), "worker processes left running").toBe(0);
  });

  test("Redis restarted mid-map (every key lost): the map finishes with every result in order", async () => {
    const first = await startRedis();
    servers.push(first);
    const pool = Pool({ processes: 2, connection: first.url, queue, lock_duration: 1, stalled_interval: 0.5, redis_timeout: 30 });
    try {
      const xs = [...mp.py.range(30)];
      const r = pool.map_async(t.slowSquare, xs.map((x) => x), 1);
      await new Promise((res) => setTimeout(res, 1500));
      await first.stop();
      const second = await new RedisServer(first.port).start();
      servers.push(second);
      const got = await r.get_async(60);
      expect(got.map(([sq]) => sq)).toEqual(xs.map((x) => x * x));
      expect(pool.map(t.square, [1, 2, 3])).toEqual([1, 4, 9]);
    } finally {
      pool.terminate();
      await pool.join_async();
    }
  });

  test("a chunk that kills every worker process running it fails with RuntimeError once BullMQ gives up on it", async () => {
    const server = await startRedis();
    servers.push(server);
    const pool = Pool({ processes: 1, connection: server.url, queue, lock_duration: 0.5, stalled_interval: 0.3, max_stalled_count: 1 });
    try {
      // It runs twice (BullMQ puts it back once), then fails.
      const r = pool.apply_async(t.killOwnProcess, [0]);
      await expect(r.get_async(90)).rejects.toThrow(/stalled more than allowable limit/);
      expect(pool.apply(t.square, [7])).toBe(49); // the Pool replaced its dead workers and goes on
    } finally {
      pool.terminate();
      await pool.join_async();
    }
  });

  test("Redis gone for good: waits raise OSError after redis_timeout, and the Pool still joins", async () => {
    const server = await startRedis();
    servers.push(server);
    const pool = Pool({ processes: 1, connection: server.url, queue, redis_timeout: 2 });
    try {
      expect(pool.map(t.square, [1, 2])).toEqual([1, 4]);
      const r = pool.map_async(t.slowSquare, [...mp.py.range(20)], 1);
      await server.stop();
      const t0 = performance.now();
      await expect(r.get_async(30)).rejects.toThrow(OSError);
      expect(performance.now() - t0).toBeLessThan(15_000);
      expect(() => pool.map(t.square, [1])).toThrow(/Pool not running/);
    } finally {
      pool.terminate();
      await pool.join_async();
    }
  });
});
