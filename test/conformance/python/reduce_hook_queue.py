# Source: Python docs, pickle, "object.__reduce__()" (a callable and its arguments rebuild the
# object: https://docs.python.org/3/library/pickle.html#object.__reduce__), with a Queue: an
# object holding an unpicklable lock travels through its __reduce__, and comes back.
import multiprocessing as mp
import threading

class Account:
    def __init__(self, owner, balance):
        self.owner = owner
        self.balance = balance
        self._lock = threading.Lock()   # cannot be pickled: __reduce__ leaves it out

    def __reduce__(self):
        return (Account, (self.owner, self.balance))

    def deposit(self, amount):
        with self._lock:
            self.balance += amount
        return self.balance

    def __repr__(self):
        return 'Account(%r, %r)' % (self.owner, self.balance)

def work(inbox, outbox):
    account = inbox.get()
    account.deposit(50)
    outbox.put(account)

if __name__ == '__main__':
    import os
    if os.environ.get("MP_START_METHOD"):
        mp.set_start_method(os.environ["MP_START_METHOD"])
    inbox, outbox = mp.Queue(), mp.Queue()
    p = mp.Process(target=work, args=(inbox, outbox))
    p.start()
    inbox.put(Account('ann', 100))
    back = outbox.get()
    print(back, type(back).__name__, back.deposit(1))
    p.join()
