import type { MemoryBudget, TempDirOptions } from "../../as4/temp-files.js";

/** Where DPI's AS4 messages spool, sending or receiving: both sides take the same two settings. */
export function spoolOptions(deps: { tempDir?: string; memorySpoolBytes?: number; memorySpoolBudget?: MemoryBudget | undefined }): TempDirOptions {
  return {
    ...(deps.memorySpoolBudget ? { shared: deps.memorySpoolBudget } : {}),
    ...(deps.tempDir ? { parent: deps.tempDir } : {}),
    ...(deps.memorySpoolBytes !== undefined ? { memoryBytes: deps.memorySpoolBytes } : {}),
  };
}
