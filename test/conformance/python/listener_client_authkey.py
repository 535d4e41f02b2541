"""Listener / Client: AF_INET and AF_UNIX families, the authkey handshake both ways (the client
answers the listener's challenge, then challenges it), a wrong key refused on both sides, the
closed listener, bad arguments. Mirrors _TestListenerClient / _TestListener and the
authentication tests of _test_multiprocessing.py (cpython-api.md section 5.3)."""
import multiprocessing as mp
import os
from multiprocessing.connection import Listener, Client, deliver_challenge
from multiprocessing import AuthenticationError


def show(label, fn):
    try:
        print(f"{label}: {fn()!r}")
    except Exception as e:
        msg = str(e)
        print(f"{label}: {type(e).__name__}" + (f": {msg}" if msg else ""))


def client(address, authkey, q):
    try:
        with Client(address, authkey=authkey) as c:
            c.send(['hello', 1, 'two', None, True])
            q.put(('client got', c.recv()))
            c.send_bytes(b'raw bytes')
    except AuthenticationError as e:
        q.put(('client', f'{type(e).__name__}: {e}'))


def serve_one(listener, authkey_for_client):
    q = mp.Queue()
    p = mp.Process(target=client, args=(listener.address, authkey_for_client, q))
    p.start()
    try:
        with listener.accept() as c:
            print('  server got:', c.recv())
            c.send({'reply': 'ok', 'n': 3})
            print('  server got bytes:', c.recv_bytes())
            show('  recv() after the client closed', c.recv)
    except AuthenticationError as e:
        print(f'  server {type(e).__name__}: {e}')
    print(' ', *q.get(timeout=30))
    p.join()
    print('  client exitcode:', p.exitcode)


def main():
    print('AF_INET with an authkey:')
    with Listener(('localhost', 0), authkey=b'secret password') as l:
        print('  address:', type(l.address).__name__, l.address[0], isinstance(l.address[1], int))
        print('  last_accepted before accept:', l.last_accepted)
        serve_one(l, b'secret password')
        print('  last_accepted:', type(l.last_accepted).__name__, l.last_accepted[0])

    print('AF_INET without an authkey:')
    with Listener(('127.0.0.1', 0)) as l:
        serve_one(l, None)

    print('AF_INET, the client has the wrong key:')
    with Listener(('localhost', 0), authkey=b'right') as l:
        serve_one(l, b'wrong')

    print('AF_UNIX (default family, arbitrary address):')
    l = Listener()
    addr = l.address
    print('  address is a path:', isinstance(addr, str), os.path.basename(addr).startswith('listener-'), os.path.exists(addr))
    with l:
        serve_one(l, None)
        print('  last_accepted:', repr(l.last_accepted))
    print('  path removed by close():', not os.path.exists(addr))

    print('AF_UNIX with an authkey, explicit family:')
    with Listener(family='AF_UNIX', authkey=b'k') as l:
        serve_one(l, b'k')

    print('closed listener:')
    l = Listener(('localhost', 0))
    port = l.address[1]
    l.close()
    show('  accept()', l.accept)
    show('  close() again', l.close)
    show('  address', lambda: l.address)
    show('  Client to the closed port', lambda: Client(('localhost', port)))

    print('bad arguments:')
    show("  Listener(family='AF_PIPE')", lambda: Listener(family='AF_PIPE'))
    show("  Listener(authkey='secret')", lambda: Listener(('localhost', 0), authkey='secret'))
    show("  Client(12)", lambda: Client(12))
    show("  Client(address, family='AF_PIPE')", lambda: Client(('localhost', 1), family='AF_PIPE'))
    show("  Client to a missing AF_UNIX path", lambda: Client('/nonexistent/dir/listener-x'))
    with Listener(('localhost', 0)) as l:
        show('  a second Listener on the same address', lambda: Listener(l.address))
    with Listener() as l:
        show('  a second Listener on the same path', lambda: Listener(l.address))
    a, b = mp.Pipe()
    show("  deliver_challenge(conn, 'key')", lambda: deliver_challenge(a, 'key'))
    print('  AuthenticationError is a ProcessError:', issubclass(AuthenticationError, mp.ProcessError))


if __name__ == '__main__':
    main()
