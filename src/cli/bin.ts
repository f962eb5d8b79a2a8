/**
 * The CLI's entry in the compiled build (`node dist/cli/bin.js …`, after `npm run build`); bin/dpi-ap.js runs the
 * same main() from the sources through tsx.
 */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
