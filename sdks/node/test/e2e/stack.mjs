// A real payorch for the end-to-end tests: `payorch sandbox` (fake gateways) and `payorch serve`
// against it, each on a free loopback port, in a temp dir of their own (HOME, data dir, a fresh
// data key), an API key, and a loopback webhook receiver registered as the tenant's endpoint
// (allowed by PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS). Every process is killed by `close()`.
//
// The binary is $PAYORCH_BIN, else the cargo-built one: ${CARGO_TARGET_DIR:-target}/debug/payorch
// at the repository's root (scripts/test-node-sdk sets PAYORCH_BIN the same way).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const REPO = resolve(fileURLToPath(new URL("../../../..", import.meta.url)));

export function payorchBin() {
  const bin = process.env.PAYORCH_BIN || join(resolve(REPO, process.env.CARGO_TARGET_DIR || "target"), "debug", "payorch");
  if (!existsSync(bin)) {
    throw new Error(`no payorch binary at ${bin}: build it (cargo build) or set PAYORCH_BIN`);
  }
  return bin;
}

/** Reads a child's first stdout line, `listening on URL`; fails with its stderr if it exits first. */
function listeningUrl(child, what) {
  return new Promise((resolvePromise, reject) => {
    let stderr = "";
    child.stderr?.on("data", (c) => (stderr += c).length > 20_000 && (stderr = stderr.slice(-10_000)));
    const lines = createInterface({ input: child.stdout });
    const onExit = (code) => reject(new Error(`${what} exited (${code}) before listening: ${stderr}`));
    child.once("exit", onExit);
    lines.once("line", (line) => {
      child.off("exit", onExit);
      const m = /^listening on (\S+)/.exec(line);
      if (m) resolvePromise(m[1]);
      else reject(new Error(`${what}: unexpected first line ${JSON.stringify(line)}`));
      // Keep draining stdout so the child never blocks on a full pipe.
      lines.on("line", () => {});
    });
  });
}

/** A loopback HTTP server recording every delivery (raw body bytes and headers); answers 204. */
async function receiver() {
  const deliveries = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      deliveries.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, deliveries, server };
}

/** Polls `probe` every 100 ms until it returns something truthy; fails after `boundMs` (a hang guard, not a timing assertion). */
export async function waitFor(what, probe, boundMs = 60_000) {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still not so after ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startStack() {
  const bin = payorchBin();
  const dir = mkdtempSync(join(tmpdir(), "payorch-node-sdk-"));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("PAYORCH_") && !k.startsWith("XDG_")),
  );
  Object.assign(env, {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, "config"),
    XDG_DATA_HOME: join(dir, "xdg-data"),
    PAYORCH_DATA_DIR: join(dir, "data"),
    PAYORCH_DATA_KEY: randomBytes(32).toString("base64"),
    PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true",
    NO_COLOR: "1",
  });
  const children = [];
  const receiverHandle = await receiver();
  const close = async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : null)));
    receiverHandle.server.closeAllConnections?.();
    await new Promise((r) => receiverHandle.server.close(r));
    rmSync(dir, { recursive: true, force: true });
  };
  // Never leave a process behind, even when the test runner is interrupted.
  const onExit = () => children.forEach((c) => c.exitCode === null && c.kill("SIGKILL"));
  process.once("exit", onExit);

  /** `payorch ARGS…` in this stack's env; asserts success, returns stdout. */
  const cli = (args) => {
    const r = spawnSync(bin, args, { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`payorch ${args.join(" ")} exited ${r.status}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  try {
    const sandboxProcess = spawn(bin, ["sandbox", "--bind", "127.0.0.1:0"], { env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(sandboxProcess);
    const sandboxUrl = await listeningUrl(sandboxProcess, "payorch sandbox");
    const apiKey = JSON.parse(cli(["apikey", "create", "-o", "json"])).secret;
    const secret = JSON.parse(cli(["webhook", "endpoint", "set", `${receiverHandle.url}/hook`, "-o", "json"])).secret;
    const serveProcess = spawn(bin, ["serve", "--bind", "127.0.0.1:0", "--sandbox", sandboxUrl], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(serveProcess);
    const url = await listeningUrl(serveProcess, "payorch serve");
    await waitFor("serve is ready", async () => (await fetch(`${url}/readyz`).catch(() => null))?.ok);
    return {
      url,
      sandboxUrl,
      apiKey,
      secret,
      deliveries: receiverHandle.deliveries,
      cli,
      /** `payorch sandbox ARGS… --url SANDBOX`. */
      sandbox: (args) => cli(["sandbox", ...args, "--url", sandboxUrl]),
      env,
      close: async () => {
        process.off("exit", onExit);
        await close();
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}
