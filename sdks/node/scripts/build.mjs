// `npm run build`: generates the API's types from the OpenAPI document, then compiles the SDK
// twice with tsc, as ES modules (dist/esm) and as CommonJS (dist/cjs, marked by a package.json
// of its own so Node reads its .js files as CommonJS whatever the root package.json says).
//
// The document is the repository's openapi.yaml (../../openapi.yaml); env PAYORCH_OPENAPI
// names another one (a draft, or a server's /v1/openapi.json saved to a file).
// The generated file, src/generated/openapi.ts, is git-ignored: the document is the source.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

function run(command, args) {
  const r = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error(`build: ${command} ${args.join(" ")} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

const openapi = resolve(root, process.env.PAYORCH_OPENAPI || "../../openapi.yaml");
if (!existsSync(openapi)) {
  console.error(
    `build: no OpenAPI document at ${openapi}: the SDK's types are generated from it ` +
      "(set PAYORCH_OPENAPI to its path)",
  );
  process.exit(1);
}
if (!existsSync(bin("tsc"))) {
  console.error("build: typescript is not installed: run `npm ci` in sdks/node first");
  process.exit(1);
}

mkdirSync(join(root, "src", "generated"), { recursive: true });
run(bin("openapi-typescript"), [openapi, "--output", "src/generated/openapi.ts", "--silent"]);

rmSync(join(root, "dist"), { recursive: true, force: true });
run(bin("tsc"), ["-p", "tsconfig.json"]);
run(bin("tsc"), ["-p", "tsconfig.cjs.json"]);
writeFileSync(join(root, "dist", "cjs", "package.json"), '{ "type": "commonjs" }\n');
console.log(`build: dist/esm and dist/cjs from ${openapi}`);
