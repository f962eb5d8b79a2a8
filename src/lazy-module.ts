import { fileURLToPath } from "node:url";

/**
 * Loads a module when it is first needed, so that code only some configurations use (PostgreSQL's driver, the
 * eFormidling channels, the operator console) is not held in memory by every access point.
 *
 * The compiled program is ES modules throughout, and this is `load`, the caller's own `import()` (written out, so
 * that readers and test/layout see which module it is). Under the test runner (mocha with tsx) src/ is compiled to
 * CommonJS as it loads, and an `import()` there would load a second copy of the module and of everything it
 * imports, with their own state (the direct SQL's registry of clients, the error classes `instanceof` checks): there
 * the module is `require()`d by `module`, the same module as a package name or a file URL, and the copy already
 * loaded is the one returned.
 */
export async function loadModule<T>(load: () => Promise<T>, module: string | URL): Promise<T> {
  if (typeof require === "function") return require(module instanceof URL ? fileURLToPath(module) : module) as T;
  return load();
}
