// The package as users load it: `import "payorch"` and `require("payorch")` (through the
// package.json `exports`, by the package's own name) both load and expose the same names, the
// CJS build works on its own, and VERSION is the API's version (the crate's Cargo.toml).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = (path) => new URL(path, import.meta.url);

test("ESM and CJS builds both load and expose the same names", async () => {
  const esm = await import("payorch");
  const cjs = require("payorch");
  const names = (m) => Object.keys(m).filter((k) => k !== "__esModule" && k !== "default").sort();
  assert.deepEqual(names(cjs), names(esm));
  for (const name of ["Payorch", "Webhook", "WebhookVerificationError", "PayorchError", "InvalidRequestError",
    "AuthenticationError", "IdempotencyError", "GatewayError", "RateLimitError", "ApiError",
    "PayorchConnectionError", "PayorchTimeoutError", "VERSION"]) {
    assert.ok(name in esm, `ESM exports ${name}`);
    assert.ok(name in cjs, `CJS exports ${name}`);
  }
  // They are two builds: each works on its own.
  assert.notEqual(cjs.Payorch, esm.Payorch);
  const client = new cjs.Payorch({ apiKey: "po_sk_x", baseUrl: "http://127.0.0.1:1" });
  assert.equal(typeof client.charges.create, "function");
  assert.ok(new cjs.RateLimitError("rate_limit_error", "x") instanceof cjs.PayorchError);
  assert.equal(require.resolve("payorch"), here("../../dist/cjs/index.js").pathname);
});

test("each build ships its type declarations", () => {
  const pkg = JSON.parse(readFileSync(here("../../package.json"), "utf8"));
  for (const condition of ["import", "require"]) {
    const entry = pkg.exports["."][condition];
    readFileSync(here(`../../${entry.types}`));
    readFileSync(here(`../../${entry.default}`));
  }
  assert.deepEqual(pkg.dependencies ?? {}, {}, "no runtime dependencies");
});

test("VERSION is the API's version: the crate's, and the package's", async () => {
  const { VERSION } = await import("payorch");
  const cargo = readFileSync(here("../../../../Cargo.toml"), "utf8");
  const crate = /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m.exec(cargo)?.[1];
  assert.ok(crate, "Cargo.toml has a [package] version");
  assert.equal(VERSION, crate);
  const pkg = JSON.parse(readFileSync(here("../../package.json"), "utf8"));
  assert.equal(pkg.version, crate);
  const changelog = readFileSync(here("../../CHANGELOG.md"), "utf8");
  assert.match(changelog, new RegExp(`^## ${crate.replaceAll(".", "\\.")}\\b`, "m"), "CHANGELOG.md has this version");
});

test("the packed tarball installs into another project, which loads it both ways", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "payorch-node-pack-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const npm = (args, cwd) => {
    // The build is there already (npm test runs after npm run build): no scripts.
    const r = spawnSync("npm", [...args, "--ignore-scripts", "--loglevel=error"], { cwd, encoding: "utf8" });
    assert.equal(r.status, 0, `npm ${args.join(" ")}: ${r.stderr}`);
  };
  npm(["pack", "--pack-destination", dir], fileURLToPath(here("../..")));
  const pkg = JSON.parse(readFileSync(here("../../package.json"), "utf8"));
  writeFileSync(join(dir, "package.json"), '{ "name": "shop", "private": true }\n');
  npm(["install", "--offline", "--no-audit", "--no-fund", `./payorch-${pkg.version}.tgz`], dir);
  const run = (args) => spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8" });
  const cjs = run(["-e", 'const p = require("payorch"); console.log(p.VERSION, typeof p.Payorch, typeof p.Webhook)']);
  assert.equal(cjs.stdout.trim(), `${pkg.version} function function`, cjs.stderr);
  const esm = run(["--input-type=module", "-e", 'import { VERSION, Payorch } from "payorch"; console.log(VERSION, typeof Payorch)']);
  assert.equal(esm.stdout.trim(), `${pkg.version} function`, esm.stderr);
});
