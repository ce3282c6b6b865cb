// The peer side of `python -m benchmarks.simulate`: decides the benchmark's
// cases with @cloud-copilot/iam-simulate, installed by the benchmark into a
// cache outside the repository (it is never shipped with iamconsole).
//
//   node iam_simulate_peer.mjs <the npm prefix holding the peer> <cases file>
//
// The cases file holds one simulation a line, already in the peer's input
// shape. Each line "round" on standard input runs every case once, from its
// JSON text to its decision, and answers one JSON line:
// {"seconds": <the loop's time>, "decisions": [...]}. Only that loop is timed:
// not Node's start-up, the file read or the answer's output.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";

const [prefix, casesPath] = process.argv.slice(2);
const require = createRequire(join(prefix, "package.json"));
const { runSimulation } = require("@cloud-copilot/iam-simulate");

const OUTCOMES = {
  Allowed: "Allow",
  ExplicitlyDenied: "ExplicitDeny",
  ImplicitlyDenied: "ImplicitDeny",
};

const texts = readFileSync(casesPath, "utf8").split("\n").filter((line) => line.trim() !== "");

function outcome(result) {
  if (result.resultType === "error") {
    return "error: " + result.errors.message;
  }
  return OUTCOMES[result.overallResult] ?? "error: unknown result " + result.overallResult;
}

async function round() {
  const decisions = new Array(texts.length);
  const started = process.hrtime.bigint();
  for (let index = 0; index < texts.length; index++) {
    try {
      decisions[index] = outcome(await runSimulation(JSON.parse(texts[index]), {}));
    } catch (error) {
      decisions[index] = "error: " + error.message;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, decisions };
}

const commands = createInterface({ input: process.stdin });
for await (const command of commands) {
  if (command.trim() === "round") {
    process.stdout.write(JSON.stringify(await round()) + "\n");
  }
}
