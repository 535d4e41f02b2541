// Port of python/reduce_hook_queue.py: Python docs, pickle, "object.__reduce__()"
// (https://docs.python.org/3/library/pickle.html#object.__reduce__) with a Queue: an object
// whose state cannot be copied (here a #private field) travels through its __reduce__().
import mp from "multiprocessing-ts";
import { print, repr } from "multiprocessing-ts/py";

export class Account {
  owner: string;
  balance: number;
  #deposits = 0; // cannot be copied to another process: __reduce__ leaves it out

  constructor(owner: string, balance: number) {
    this.owner = owner;
    this.balance = balance;
  }

  __reduce__(): [typeof Account, [string, number]] {
    return [Account, [this.owner, this.balance]];
  }

  deposit(amount: number) {
    this.#deposits += 1;
    this.balance += amount;
    return this.balance;
  }

  __repr__() {
    return `Account(${repr(this.owner)}, ${repr(this.balance)})`;
  }
}

export function work(inbox: mp.Queue, outbox: mp.Queue) {
  const account = inbox.get() as Account;
  account.deposit(50);
  outbox.put(account);
}

if (mp.is_main(import.meta)) {
  if (process.env.MP_START_METHOD) mp.set_start_method(process.env.MP_START_METHOD);
  const [inbox, outbox] = [mp.Queue(), mp.Queue()];
  const p = new mp.Process({ target: work, args: [inbox, outbox] });
  p.start();
  inbox.put(new Account("ann", 100));
  const back = outbox.get() as Account;
  print(back, back.constructor.name, back.deposit(1));
  p.join();
}
