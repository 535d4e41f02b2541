# CPython's side of bench/connection.mjs: send+recv round trips over multiprocessing.connection
# (Client -> echo Listener in another process, AF_INET loopback) of a small object (send/recv,
# pickled) and of 1 MiB of bytes (send_bytes/recv_bytes). The echo side sends each frame back as
# it came (recv_bytes/send_bytes), in every pairing. Connections use an authkey unless
# --no-authkey is given (the handshake is not timed).
#   connection_bench.py [--reps N] [--scale F]   CPython client against a CPython echo server
#   connection_bench.py --echo-server            an echo server: prints its port, serves one client
#   connection_bench.py --sha-server             answers one message with its length and sha256
import json, os, statistics, subprocess, sys, time
from multiprocessing.connection import Client, Listener

SMALL = {'id': 12345, 'name': 'alice', 'tags': ['a', 'b', 'c'], 'score': 1.5, 'ok': True,
         'point': (3, 4), 'nested': {'x': [1, 2, 3], 'y': None}, 'blob': b'\x00\x01\x02'}
BIG = bytes(1024 * 1024)
AUTHKEY = None if '--no-authkey' in sys.argv else b'bench key'


def echo_server():
    with Listener(('127.0.0.1', 0), authkey=AUTHKEY) as l:
        print(l.address[1], flush=True)
        with l.accept() as c:
            try:
                while True:
                    c.send_bytes(c.recv_bytes())
            except EOFError:
                pass


def sha_server():
    import hashlib
    with Listener(('127.0.0.1', 0)) as l:
        print(l.address[1], flush=True)
        with l.accept() as c:
            m = c.recv_bytes()
            c.send_bytes(f'{len(m)} {hashlib.sha256(m).hexdigest()}'.encode())


def cpu_of(pid):
    """CPU time (user + system, s) of an OS process so far, from /proc (Linux)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().split(') ')[1].split(' ')
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except OSError:
        return float('nan')


def main():
    reps = int(sys.argv[sys.argv.index('--reps') + 1]) if '--reps' in sys.argv else 5
    scale = float(sys.argv[sys.argv.index('--scale') + 1]) if '--scale' in sys.argv else 1.0
    srv = subprocess.Popen([sys.executable, __file__, '--echo-server'] + (['--no-authkey'] if AUTHKEY is None else []), stdout=subprocess.PIPE)
    port = int(srv.stdout.readline())
    with Client(('127.0.0.1', port), authkey=AUTHKEY) as c:
        def measure(name, n, unit, factor, once):
            for _ in range(min(n, 50)):
                once()
            samples = []
            cpu = []
            for _ in range(reps):
                c0, s0 = time.process_time(), cpu_of(srv.pid)
                t0 = time.perf_counter()
                for _ in range(n):
                    once()
                samples.append((time.perf_counter() - t0) / n * factor)
                cpu.append((time.process_time() - c0 + cpu_of(srv.pid) - s0) / n * factor)
            print(json.dumps({'name': name, 'value': round(statistics.median(samples), 3), 'unit': unit,
                              'min': round(min(samples), 3), 'max': round(max(samples), 3), 'n': reps,
                              'cpu': round(statistics.median(cpu), 3)}), flush=True)

        def small():
            c.send(SMALL)
            c.recv()

        def big():
            c.send_bytes(BIG)
            c.recv_bytes()

        measure('connection_small_roundtrip', max(1, int(2000 * scale)), 'us', 1e6, small)
        measure('connection_1mib_roundtrip', max(1, int(100 * scale)), 'ms', 1e3, big)
    srv.wait(10)


if __name__ == '__main__':
    if '--echo-server' in sys.argv:
        echo_server()
    elif '--sha-server' in sys.argv:
        sha_server()
    else:
        main()
