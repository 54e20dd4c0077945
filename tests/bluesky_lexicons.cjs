// Checks requests and answers against the AT Protocol lexicons, for tests/blueskystub.py.
//
// The lexicon documents and their validator come from the npm package @atproto/api (pinned in
// package.json): the same schemas Bluesky's own servers and apps are built from. One JSON object
// per line on stdin, one answer per line on stdout:
//   {"kind": "params" | "input" | "output" | "record", "nsid": "...", "value": ...}
//     -> {"errors": ["..."]}                     (empty when valid)
//   {"kind": "def", "nsid": "..."} -> {"def": {...} | null}
"use strict";

const readline = require("node:readline");
const { lexicons, jsonToLex } = require("@atproto/api");

// Query parameters arrive as strings: give each the type its lexicon declares before checking.
function typedParams(nsid, raw) {
  const def = lexicons.getDefOrThrow(nsid);
  const properties = (def.parameters && def.parameters.properties) || {};
  const typed = {};
  for (const [name, values] of Object.entries(raw)) {
    const spec = properties[name];
    const convert = (value) => {
      if (!spec) return value;
      const type = spec.type === "array" ? spec.items.type : spec.type;
      if (type === "integer") return /^-?\d+$/.test(value) ? Number(value) : value;
      if (type === "boolean") return value === "true" ? true : value === "false" ? false : value;
      return value;
    };
    typed[name] = spec && spec.type === "array" ? values.map(convert) : convert(values[values.length - 1]);
  }
  return typed;
}

function check(request) {
  const { kind, nsid, value } = request;
  if (kind === "def") {
    try {
      return { def: lexicons.getDefOrThrow(nsid) };
    } catch (err) {
      return { def: null };
    }
  }
  try {
    if (kind === "params") lexicons.assertValidXrpcParams(nsid, typedParams(nsid, value));
    else if (kind === "input") lexicons.assertValidXrpcInput(nsid, jsonToLex(value));
    else if (kind === "output") lexicons.assertValidXrpcOutput(nsid, jsonToLex(value));
    else if (kind === "record") lexicons.assertValidRecord(nsid, jsonToLex(value));
    else return { errors: [`unknown kind ${kind}`] };
  } catch (err) {
    return { errors: [`${nsid} ${kind}: ${err.message}`] };
  }
  return { errors: [] };
}

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let answer;
  try {
    answer = check(JSON.parse(line));
  } catch (err) {
    answer = { errors: [`checker: ${err.message}`] };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
