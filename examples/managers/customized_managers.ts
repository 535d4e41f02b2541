// "Customized managers" from Python's multiprocessing docs, line for line: a class registered
// with a BaseManager subclass lives in the manager's server; the proxy forwards its methods.
// Run: node --import tsx examples/managers/customized_managers.ts
import { is_main } from "multiprocessing-ts";
import { BaseManager } from "multiprocessing-ts/managers";
import { print } from "multiprocessing-ts/py";

export class MathsClass {
  add(x: number, y: number) {
    return x + y;
  }
  mul(x: number, y: number) {
    return x * y;
  }
}

export class MyManager extends BaseManager {
  declare Maths: () => any;
}

MyManager.register("Maths", MathsClass);

if (is_main(import.meta)) {
  new MyManager().with((manager) => {
    const maths = manager.Maths();
    print(maths.add(4, 3)); // prints 7
    print(maths.mul(7, 8)); // prints 56
  });
}
