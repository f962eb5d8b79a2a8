/**
 * Preloaded (`--import`) into the access points the benchmark starts: their stdin is a pipe from the bench,
 * which closes however the bench ends (even SIGKILL), and then the access point stops the way it stops on
 * SIGTERM. No orphaned access points keep running after an interrupted benchmark.
 */
const stop = () => {
  process.kill(process.pid, "SIGTERM");
  // If graceful shutdown hangs, do not linger.
  setTimeout(() => process.exit(1), 10_000).unref();
};
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
// Reading stdin must not be what keeps the process alive.
(process.stdin as unknown as { unref?: () => void }).unref?.();
