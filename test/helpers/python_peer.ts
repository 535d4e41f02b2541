// Starts test/fixtures/connection_peer.py under a given CPython and reads its stdout lines.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../fixtures/connection_peer.py", import.meta.url));

/** The python3.X interpreters on this machine (3.11 first), as [label, command]. */
export function pythons(): { version: string; cmd: string | null }[] {
  return ["3.11", "3.12", "3.13", "3.14"].map((version) => {
    for (const cmd of [`python${version}`, "python3"]) {
      try {
        const v = execFileSync(cmd, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
        if (v === version) return { version, cmd };
      } catch {
        // not installed
      }
    }
    return { version, cmd: null };
  });
}

/** "python3" when it can import `module` (interop tests skip without it), else null. */
export function python3With(module: string): string | null {
  try {
    execFileSync("python3", ["-c", `import ${module}`], { stdio: "ignore" });
    return "python3";
  } catch {
    return null;
  }
}

export class Peer {
  readonly child: ChildProcess;
  #lines: string[] = [];
  #waiters: ((l: string) => void)[] = [];
  #buf = "";
  stderr = "";
  readonly exited: Promise<number | null>;

  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      this.#buf += d;
      let i;
      while ((i = this.#buf.indexOf("\n")) >= 0) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        const w = this.#waiters.shift();
        if (w) w(line);
        else this.#lines.push(line);
      }
    });
    this.child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.exited = new Promise((res) => this.child.on("exit", (code) => res(code)));
  }

  /** The next line the peer prints (rejects after `ms`). */
  line(ms = 10_000): Promise<string> {
    const l = this.#lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no line from the python peer in ${ms} ms; stderr: ${this.stderr}`)), ms);
      this.#waiters.push((x) => {
        clearTimeout(t);
        res(x);
      });
    });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}
