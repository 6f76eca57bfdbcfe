// The repository README's "Integrate" section shows the Node.js examples exactly as the files
// the end-to-end test runs (examples/charge.mjs, examples/webhook.mjs): edit the file, then copy
// it into the README (this test says where they differ).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const read = (path) => readFileSync(new URL(path, import.meta.url), "utf8");

/**
 * The body of `## title` (to the next heading of level 2 or above), or of `### title` within it
 * (to the next of level 3 or above). Lines inside fenced code blocks are not headings (a shell
 * comment starts with `# ` too).
 */
function section(text, heading, level) {
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README.md has a "${heading}" heading`);
  const lines = text.slice(start + heading.length + 2).split("\n");
  const isHeading = new RegExp(`^#{1,${level}} `);
  let fenced = false;
  const end = lines.findIndex((line) => {
    if (line.startsWith("```")) fenced = !fenced;
    return !fenced && isHeading.test(line);
  });
  return (end < 0 ? lines : lines.slice(0, end)).join("\n");
}

test("the README's Node.js examples are the files the end-to-end test runs", () => {
  const integrate = section(read("../../../../README.md"), "## Integrate", 2);
  const node = section(integrate, "### Node.js", 3);
  const blocks = [...node.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  assert.equal(blocks.length, 2, "two js blocks: creating a charge, verifying a webhook");
  assert.equal(blocks[0], read("../../examples/charge.mjs"), "README block 1 = sdks/node/examples/charge.mjs");
  assert.equal(blocks[1], read("../../examples/webhook.mjs"), "README block 2 = sdks/node/examples/webhook.mjs");
});
