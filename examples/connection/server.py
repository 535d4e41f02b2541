# The Listener example of Python's docs (multiprocessing, "Listeners and Clients").
# Runs against client.py or client.ts. MP_EXAMPLE_PORT overrides the docs' port 6000.
import os
from multiprocessing.connection import Listener
from array import array

address = ('localhost', int(os.environ.get('MP_EXAMPLE_PORT', 6000)))     # family is deduced to be 'AF_INET'

with Listener(address, authkey=b'secret password') as listener:
    with listener.accept() as conn:
        print('connection accepted from', listener.last_accepted)

        conn.send([2.25, None, 'junk', float])

        conn.send_bytes(b'hello')

        conn.send_bytes(array('i', [42, 1729]))
