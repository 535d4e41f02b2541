# The Client example of Python's docs (multiprocessing, "Listeners and Clients").
# Runs against server.py or server.ts. MP_EXAMPLE_PORT overrides the docs' port 6000.
import os
from multiprocessing.connection import Client
from array import array

address = ('localhost', int(os.environ.get('MP_EXAMPLE_PORT', 6000)))

with Client(address, authkey=b'secret password') as conn:
    print(conn.recv())                  # => [2.25, None, 'junk', float]

    print(conn.recv_bytes())            # => 'hello'

    arr = array('i', [0, 0, 0, 0, 0])
    print(conn.recv_bytes_into(arr))    # => 8
    print(arr)                          # => array('i', [42, 1729, 0, 0, 0])
