// Messages between a thread that uses Listener/Client and its socket host thread
// (worker/connection_host.ts). Requests go on a MessagePort; the host answers on the same port
// and bumps a shared counter, which the caller waits on with Atomics.wait (its event loop may be
// blocked). Each socket's bytes then flow through two shared-memory channels, never the port.

/** Control cells shared with the host. */
export const kPosted = 0; // bumped after each reply is posted
export const kHostGone = 1; // 1 + exit code once the host thread has ended
export const kControlCells = 2;

/** Per-connection state cells (written by the host). */
export const kStateError = 0; // why the host stopped reading: 0 none, 1 over recv_limit, 2 bad header, 3 over 2 GiB - 1
export const kStateSize = 1; // the refused message's size (clamped to 2^31-1)
export const kStateFd = 2; // the socket's OS descriptor (-1: write through the host instead)
export const kStateFdGone = 3; // set (under kStateFdLock) before the host lets the descriptor close
export const kStateFdLock = 4; // held by a writer for each write(2), and by the host to close
export const kStateMsgLock = 5; // held by a writer for a whole message (threads sharing the socket)
export const kStateCodec = 6; // 1 once both ends chose the library's codec for send()/recv() (set by the caller)
export const kStateCells = 7;

export type Family = "AF_INET" | "AF_UNIX";

/** An address as the host takes it. */
export type HostAddress = { family: "AF_INET"; host: string; port: number } | { family: "AF_UNIX"; path: string };

export type Request =
  | { op: "listen"; id: number; address: HostAddress; backlog: number; capacity: number; limit: number }
  | { op: "accept"; id: number; lid: number }
  | { op: "closeListener"; id: number; lid: number }
  | { op: "connect"; id: number; address: HostAddress; capacity: number; limit: number }
  | { op: "closed"; id: number; cid: number };

/** The shared parts of one socket connection. */
export interface ConnHandles {
  cid: number;
  /** Socket → caller messages. */
  inbound: SharedArrayBuffer;
  /** Caller → socket messages. */
  outbound: SharedArrayBuffer;
  state: SharedArrayBuffer;
  /** The peer's address: [host, port] for AF_INET, "" (or the path) for AF_UNIX. */
  peer: [string, number] | string;
}

/** A failure as the host saw it (a Node system error, flattened). */
export interface HostError {
  code: string;
  errno: number;
  message: string;
}

export type Reply =
  | { id: number; error: HostError }
  | { id: number; lid: number; address: [string, number] | string }
  | { id: number; conn: ConnHandles }
  | { id: number; done: true };
