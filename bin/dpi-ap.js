#!/usr/bin/env node
// The project runs TypeScript through tsx (no build step): register its loader, then run the CLI.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
