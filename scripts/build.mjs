// `npm run build`: compiles src/ to dist/ (plain JavaScript, no tsx at run time) for production and the
// benchmark's processes. dist/ is emptied first so that a module deleted from src/ cannot linger there.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
rmSync(path.join(root, "dist"), { recursive: true, force: true });
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
const r = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
