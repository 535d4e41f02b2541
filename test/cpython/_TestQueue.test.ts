// Port of CPython's _TestQueue (Lib/test/_test_multiprocessing.py), "processes" flavour.
import mp from "multiprocessing-ts";
import * as queues from "multiprocessing-ts/queues";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/queues.js";
import { track } from "../helpers/processes.js";
import { DELTA, SHORT_TIMEOUT, TIMEOUT1, TIMEOUT2, TIMEOUT3, TimingWrapper, assertTimingAlmostEqual, close_queue } from "./support.js";

const { time } = mp.py;
const isFull = expect.objectContaining({ name: "Full" });
const isEmpty = expect.objectContaining({ name: "Empty" });

function queue_empty(q: { empty(): boolean }): boolean {
  return q.empty();
}
function queue_full(q: { full(): boolean }, _maxsize: number): boolean {
  return q.full();
}

function startDaemon(target: (...a: any[]) => unknown, args: unknown[]): mp.Process {
  const p = track(new mp.Process({ target, args }));
  p.daemon = true;
  p.start();
  return p;
}

describe("_TestQueue", () => {
  test("test_put: put() in every spelling fills the queue, then raises Full without and with timeouts", () => {
    const MAXSIZE = 6;
    const queue = mp.Queue(MAXSIZE);
    const child_can_start = mp.Event();
    const parent_can_continue = mp.Event();
    const proc = startDaemon(f.test_put, [queue, child_can_start, parent_can_continue]);

    expect(queue_empty(queue)).toBe(true);
    expect(queue_full(queue, MAXSIZE)).toBe(false);

    queue.put(1);
    queue.put(2, true);
    queue.put(3, true, null);
    queue.put(4, false);
    queue.put(5, false, null);
    queue.put_nowait(6);

    // the values may be in buffer but not yet in pipe so sleep a bit
    time.sleep(DELTA);

    expect(queue_empty(queue)).toBe(false);
    expect(queue_full(queue, MAXSIZE)).toBe(true);

    const put = new TimingWrapper(queue.put.bind(queue));
    const put_nowait = new TimingWrapper(queue.put_nowait.bind(queue));

    expect(() => put.call(7, false)).toThrow(isFull);
    assertTimingAlmostEqual(put.elapsed!, 0);
    expect(() => put.call(7, false, null)).toThrow(isFull);
    assertTimingAlmostEqual(put.elapsed!, 0);
    expect(() => put_nowait.call(7)).toThrow(isFull);
    assertTimingAlmostEqual(put_nowait.elapsed!, 0);
    expect(() => put.call(7, true, TIMEOUT1)).toThrow(isFull);
    assertTimingAlmostEqual(put.elapsed!, TIMEOUT1);
    expect(() => put.call(7, false, TIMEOUT2)).toThrow(isFull);
    assertTimingAlmostEqual(put.elapsed!, 0);
    expect(() => put.call(7, true, { timeout: TIMEOUT3 })).toThrow(isFull);
    assertTimingAlmostEqual(put.elapsed!, TIMEOUT3);

    child_can_start.set();
    parent_can_continue.wait();

    expect(queue_empty(queue)).toBe(true);
    expect(queue_full(queue, MAXSIZE)).toBe(false);

    proc.join();
    close_queue(queue);
  });

  test("test_get: get() in every spelling takes a child's items in order, then raises Empty without and with timeouts", () => {
    const queue = mp.Queue();
    const child_can_start = mp.Event();
    const parent_can_continue = mp.Event();
    const proc = startDaemon(f.test_get, [queue, child_can_start, parent_can_continue]);

    expect(queue_empty(queue)).toBe(true);

    child_can_start.set();
    parent_can_continue.wait();

    time.sleep(DELTA);
    expect(queue_empty(queue)).toBe(false);

    expect(queue.get(true, null)).toBe(2);
    expect(queue.get(true)).toBe(3);
    expect(queue.get({ timeout: 1 })).toBe(4);
    expect(queue.get_nowait()).toBe(5);

    expect(queue_empty(queue)).toBe(true);

    const get = new TimingWrapper(queue.get.bind(queue));
    const get_nowait = new TimingWrapper(queue.get_nowait.bind(queue));

    expect(() => get.call(false)).toThrow(isEmpty);
    assertTimingAlmostEqual(get.elapsed!, 0);
    expect(() => get.call(false, null)).toThrow(isEmpty);
    assertTimingAlmostEqual(get.elapsed!, 0);
    expect(() => get_nowait.call()).toThrow(isEmpty);
    assertTimingAlmostEqual(get_nowait.elapsed!, 0);
    expect(() => get.call(true, TIMEOUT1)).toThrow(isEmpty);
    assertTimingAlmostEqual(get.elapsed!, TIMEOUT1);
    expect(() => get.call(false, TIMEOUT2)).toThrow(isEmpty);
    assertTimingAlmostEqual(get.elapsed!, 0);
    expect(() => get.call({ timeout: TIMEOUT3 })).toThrow(isEmpty);
    assertTimingAlmostEqual(get.elapsed!, TIMEOUT3);

    proc.join();
    close_queue(queue);
  });

  test("test_fork: a child started while the parent's items are buffered adds its own after them", () => {
    const queue = mp.Queue();
    for (let i = 0; i < 10; i++) queue.put(i);
    time.sleep(DELTA);
    const p = startDaemon(f.test_fork, [queue]);
    for (let i = 0; i < 20; i++) expect(queue.get()).toBe(i);
    expect(() => queue.get(false)).toThrow(isEmpty);
    p.join();
    close_queue(queue);
  });

  test("test_qsize: qsize() counts puts and gets", () => {
    const q = mp.Queue();
    expect(q.qsize()).toBe(0);
    q.put(1);
    expect(q.qsize()).toBe(1);
    q.put(5);
    expect(q.qsize()).toBe(2);
    q.get();
    expect(q.qsize()).toBe(1);
    q.get();
    expect(q.qsize()).toBe(0);
    close_queue(q);
  });

  test("test_task_done: join() returns once four workers have called task_done() for every item", () => {
    const queue = mp.JoinableQueue();
    const workers = Array.from({ length: 4 }, () => track(new mp.Process({ target: f.test_task_done, args: [queue] })));
    for (const p of workers) {
      p.daemon = true;
      p.start();
    }
    for (let i = 0; i < 10; i++) queue.put(i);
    queue.join();
    for (const _p of workers) queue.put(null);
    for (const p of workers) p.join();
    close_queue(queue);
  });

  test("test_no_import_lock_contention: a Queue used while its module is being imported does not deadlock", async () => {
    await import("../fixtures/cpython/imported_by_an_imported_module.js");
  });

  test("test_timeout: get(True, 0.2) raises Empty after at least 0.1 s", () => {
    const q = mp.Queue();
    const start = time.monotonic();
    expect(() => q.get(true, 0.2)).toThrow(isEmpty);
    const delta = time.monotonic() - start;
    expect(delta).toBeGreaterThanOrEqual(0.1);
    close_queue(q);
  });

  test("test_queue_feeder_donot_stop_onexc: an item that cannot be pickled leaves the queue and its size intact", () => {
    // Differs from Python: items are serialized in put() (there is no feeder thread), so the
    // error is raised by put() itself instead of being printed by the feeder; the assertions on
    // the queue afterwards are CPython's.
    class NotSerializable {
      __reduce__(): never {
        throw new mp.py.AttributeError();
      }
    }
    {
      const q = mp.Queue();
      expect(() => q.put(new NotSerializable())).toThrow(mp.py.AttributeError);
      q.put(true);
      expect(q.get({ timeout: SHORT_TIMEOUT })).toBe(true);
      close_queue(q);
    }
    {
      const q = mp.Queue(1);
      expect(() => q.put(new NotSerializable())).toThrow(mp.py.AttributeError);
      q.put(true);
      expect(q.qsize()).toBe(1);
      expect(q.get({ timeout: SHORT_TIMEOUT })).toBe(true);
      expect(q.empty()).toBe(true);
      close_queue(q);
    }
  });

  test("test_queue_feeder_on_queue_feeder_error: a Queue subclass's _on_queue_feeder_error hook gets the error and the item that could not be pickled, and the queue goes on", () => {
    // bpo-30006. Differs from Python: the hook is called by put() (there is no feeder thread).
    class NotSerializable {
      reduce_was_called = false;
      on_queue_feeder_error_was_called = false;
      __reduce__(): never {
        this.reduce_was_called = true;
        throw new mp.py.AttributeError();
      }
    }
    class SafeQueue extends queues.Queue {
      static override _on_queue_feeder_error(e: unknown, obj: unknown): void {
        if (e instanceof mp.py.AttributeError && obj instanceof NotSerializable) obj.on_queue_feeder_error_was_called = true;
      }
    }
    const not_serializable_obj = new NotSerializable();
    const q = new SafeQueue();
    q.put(not_serializable_obj);
    // Verify q is still functioning correctly
    q.put(true);
    expect(q.get({ timeout: SHORT_TIMEOUT })).toBe(true);
    close_queue(q);
    // Assert that the serialization and the hook have been called correctly
    expect(not_serializable_obj.reduce_was_called).toBe(true);
    expect(not_serializable_obj.on_queue_feeder_error_was_called).toBe(true);
  });

  test("test_closed_queue_put_get_exceptions: put() and get() on a closed Queue or JoinableQueue raise ValueError 'is closed'", () => {
    for (const q of [mp.Queue(), mp.JoinableQueue()]) {
      q.close();
      expect(() => q.put("foo")).toThrow(expect.objectContaining({ name: "ValueError", message: expect.stringMatching(/is closed/) }));
      expect(() => q.get()).toThrow(expect.objectContaining({ name: "ValueError", message: expect.stringMatching(/is closed/) }));
    }
  });
});
