import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * The independent tools the interop tests run (Debian's python3-lxml/cryptography, Java Santuario, openssl),
 * found once, so each test can skip cleanly where they are absent.
 */

export function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

/**
 * A python3 for which `args` succeeds (e.g. an import check). /usr/bin/python3 first: the python3 on PATH may be
 * a pyenv build without Debian's modules.
 */
export function findPython(args: string[]): string | undefined {
  return ["/usr/bin/python3", "python3"].find((py) => run(py, args).status === 0);
}

/** Debian's libxml-security-java (Santuario) and its logging dependencies. */
export const SANTUARIO_JARS = ["xmlsec", "commons-logging", "slf4j-api", "slf4j-nop"].map((j) => `/usr/share/java/${j}.jar`);

export function hasSantuario(): boolean {
  return SANTUARIO_JARS.every((j) => existsSync(j)) && run("javac", ["-version"]).status === 0 && run("java", ["-version"]).status === 0;
}

export const hasOpenssl = (): boolean => run("openssl", ["version"]).status === 0;
