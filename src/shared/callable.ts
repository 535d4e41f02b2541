// Python's classes are called like functions (`Lock()`, `Queue()`, `range(10)`); JavaScript
// classes need `new`. A factory made here works both ways and shares the class's prototype, so
// `instanceof` and `.name` behave as for the class itself.

/** A class that can also be called without `new`. */
export type Callable<C extends abstract new (...args: any[]) => any> = C & ((...args: ConstructorParameters<C>) => InstanceType<C>);

/** Wraps `cls` so that `Name(...)` and `new Name(...)` both construct it (optionally through `make`). */
export function callable<C extends new (...args: any[]) => any>(cls: C, make?: (...args: ConstructorParameters<C>) => InstanceType<C>): Callable<C> {
  const build = make ?? ((...args: ConstructorParameters<C>) => new cls(...args));
  const factory = function (this: unknown, ...args: ConstructorParameters<C>) {
    // `class X extends Factory`: construct the subclass itself.
    if (new.target !== undefined && new.target !== factory) return Reflect.construct(cls, args, new.target);
    return build(...args);
  };
  Object.defineProperty(factory, "name", { value: cls.name });
  factory.prototype = cls.prototype;
  for (const key of Object.getOwnPropertyNames(cls)) {
    if (!["length", "name", "prototype", "caller", "arguments"].includes(key)) {
      Object.defineProperty(factory, key, Object.getOwnPropertyDescriptor(cls, key)!);
    }
  }
  return factory as unknown as Callable<C>;
}
