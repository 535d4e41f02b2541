// CPython's spawn._check_not_importing_main(): a child that is still importing the modules of its
// target (the parent's main module among them) must not start processes of its own. Without the
// `is_main` guard, the main module's top-level code would start a child in every child, without end.

import { RuntimeError } from "./pyerrors.js";

const kImporting = Symbol.for("multiprocessing-ts.importingMain");

/** CPython 3.11's message, then the TypeScript spelling of the idiom. */
export const kBootstrapMessage = `
        An attempt has been made to start a new process before the
        current process has finished its bootstrapping phase.

        This probably means that you are not using fork to start your
        child processes and you have forgotten to use the proper idiom
        in the main module:

            if __name__ == '__main__':
                freeze_support()
                ...

        The "freeze_support()" line can be omitted if the program
        is not going to be frozen to produce an executable.

        To fix this issue, refer to the "Safe importing of main module"
        section in https://docs.python.org/3/library/multiprocessing.html
        
        (In TypeScript the idiom is \`if (multiprocessing.is_main(import.meta)) { ... }\`.)
`;

/** Marks this thread as importing its target's modules (true) or done with it (false). */
export function setImportingMain(on: boolean): void {
  (globalThis as any)[kImporting] = on;
}

/** True while this thread (a child) imports its target's modules. */
export function isImportingMain(): boolean {
  return (globalThis as any)[kImporting] === true;
}

/**
 * Raises Python's RuntimeError when a process is started while this child is still importing
 * the modules of its target (a program without the `is_main` guard).
 * @throws RuntimeError "An attempt has been made to start a new process before the current process has finished its bootstrapping phase. ..."
 */
export function checkNotImportingMain(): void {
  if (isImportingMain()) throw new RuntimeError(kBootstrapMessage);
}

const kMainUrl = Symbol.for("multiprocessing-ts.mainUrl");

/** In a child: the URL of the program's entry module, as the parent sent it (null in the main thread). */
export function mainModuleUrl(): string | null {
  return (globalThis as any)[kMainUrl] ?? null;
}

/** Records the program's entry module in a child. */
export function setMainModuleUrl(url: string | null | undefined): void {
  (globalThis as any)[kMainUrl] = url ?? null;
}
