// Port of CPython's _TestRemoteManager (Lib/test/_test_multiprocessing.py), "manager" flavour:
// a manager served on (HOST, 0) with serializer xmlrpclib, a child that connects and puts a
// tuple of values, and a second manager object connected from the test that gets it back as a
// list (XML-RPC has no tuples), then fails to send a function.
// With xmlrpclib every client goes through the socket, in this tree too (managers/remote_client.ts).
import mp from "multiprocessing-ts";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import { time } from "multiprocessing-ts/py";
import { QueueManager, QueueManager2, _remotePutter, remoteValues } from "../fixtures/cpython/managers.js";
import { track } from "../helpers/processes.js";
import { SHORT_TIMEOUT } from "./support.js";

const SERIALIZER = "xmlrpclib";
const SHUTDOWN_TIMEOUT = SHORT_TIMEOUT;
const HOST = "127.0.0.1"; // socket_helper.HOST

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

describe("_TestRemoteManager", () => {
  const result = [...remoteValues];

  test("test_remote: a child puts a tuple through a manager on a socket (xmlrpclib); another manager object gets it as a list", () => {
    const authkey = randomBytes(32);
    const manager: any = new QueueManager({ address: [HOST, 0], authkey, serializer: SERIALIZER, shutdown_timeout: SHUTDOWN_TIMEOUT });
    manager.start();
    cleanups.push(() => manager.shutdown());

    const p = track(new mp.Process({ target: _remotePutter, args: [manager.address, authkey] }));
    p.daemon = true;
    p.start();

    const manager2: any = new QueueManager2({ address: manager.address, authkey, serializer: SERIALIZER });
    manager2.connect();
    const queue = manager2.get_queue();

    expect(queue.get()).toEqual(result);

    // Because we are using xmlrpclib for serialization instead of
    // pickle this will cause a serialization error.
    expect(() => queue.put(time.sleep)).toThrow(Error);

    // Make queue finalizer run before the server is stopped
    queue._close();
    p.join(SHORT_TIMEOUT);
  });
});
