import { defineConfig } from "prisma/config";

// Only `prisma generate` is run through the CLI here: migrations are applied by src/store/migrate.ts.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
