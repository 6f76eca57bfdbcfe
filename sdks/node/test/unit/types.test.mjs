// The SDK's types are the OpenAPI document's: test/types/usage.mts (a TypeScript backend using
// the SDK, ESM and CJS) type-checks against the built declarations, and each of its
// `@ts-expect-error` lines (a body or filter the document refuses) is indeed an error.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SDK = fileURLToPath(new URL("../..", import.meta.url));

test("a TypeScript user of the SDK type-checks, and what the document refuses does not", () => {
  const r = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "test/types/tsconfig.json"], {
    cwd: SDK,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, `tsc:\n${r.stdout}${r.stderr}`);
});
