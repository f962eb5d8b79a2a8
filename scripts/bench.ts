/**
 * `npm run bench [-- options]`: corner 2 and corner 3 as separate processes on loopback with every external
 * party simulated, N letters pushed through them to a postbox provider and back as receipts (or, with
 * `--channel dpo|dpf|dpv|dpe`, N messages from an archive system over the NextMove API through that channel's
 * simulator); prints intake latency, throughput, CPU per letter and peak memory per process. `--help` lists the
 * options.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { PROJECT_ROOT } from "../src/bench/child-process.js";
import { Cleanup } from "../src/bench/cleanup.js";
import { BenchUsageError, parseBenchArgs, USAGE } from "../src/bench/options.js";
import { ProgressDisplay, progressMode } from "../src/bench/progress.js";
import { formatReport } from "../src/bench/report.js";
import { BenchInterruptedError, runBench } from "../src/bench/run.js";

async function main(): Promise<number> {
  let options;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof BenchUsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const progress = new ProgressDisplay(process.stderr, progressMode(options.quiet, process.stderr.isTTY === true));
  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      // Second Ctrl-C: stop waiting for the phase to wind down.
      process.stderr.write(`\n${signal} again: cleaning up and exiting\n`);
      void cleanup.run().finally(() => process.exit(130));
      return;
    }
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping after the letters in flight (again to quit at once)\n`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  // The measured processes run the compiled build, as production does: compile it from the sources at hand.
  progress.note("compiling src/ to dist/ (npm run build)");
  const built = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "scripts", "build.mjs")], { cwd: PROJECT_ROOT, stdio: ["ignore", "inherit", "inherit"] });
  if (built.status !== 0) {
    process.stderr.write("npm run build failed; the benchmark needs the compiled build\n");
    return 1;
  }

  try {
    const { report, complete } = await runBench(options, { progress, cleanup, cancelled: () => interrupted });
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatReport(report)}\n`);
    return interrupted ? 130 : complete ? 0 : 1;
  } catch (err) {
    progress.stop();
    if (err instanceof BenchInterruptedError) {
      process.stderr.write(`\n${err.message}\n`);
      return 130;
    }
    process.stderr.write(`\nbench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return interrupted ? 130 : 1;
  } finally {
    const failures = await cleanup.run();
    for (const f of failures) process.stderr.write(`cleanup: ${f}\n`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
