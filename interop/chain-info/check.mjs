// Validates chain descriptions with validators this project did not write:
//   node check.mjs <docs.json>
// where docs.json is {"keplr": ChainInfo, "chain": chain.json, "assetlist": assetlist.json,
// "ibc": an IBC path file (optional)}.
// - Keplr's ChainInfo through @keplr-wallet/chain-validator's ChainInfoSchema (what Keplr runs on
//   a suggested chain);
// - the chain-registry documents through @chain-registry/types, the registry's JSON schemas as
//   TypeScript types: each document is written as an object literal of its type and
//   type-checked, so a missing required field, a wrong type, a value outside an enum or a field
//   the schema does not have is an error.
// Prints "ok: …" per document and exits 0, or prints each problem and exits 1.
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { ChainInfoSchema } from "@keplr-wallet/chain-validator";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url));
const docs = JSON.parse(readFileSync(process.argv[2], "utf8"));
let failed = false;

try {
  await ChainInfoSchema.validateAsync(docs.keplr);
  console.log("ok: Keplr ChainInfo");
} catch (e) {
  failed = true;
  console.log(`Keplr ChainInfo refused: ${e.message}`);
}

const typed = [
  ["chain", "Chain", "chain.schema"],
  ["assetlist", "AssetList", "assetlist.schema"],
  ["ibc", "IBCData", "ibc_data.schema"],
].filter(([key]) => docs[key] !== undefined);
const dir = mkdtempSync(join(tmpdir(), "chain-info-"));
const file = join(dir, "documents.ts");
const types = join(here, "node_modules/@chain-registry/types");
writeFileSync(
  file,
  typed
    .map(
      ([key, type, module]) =>
        `import type { ${type} } from ${JSON.stringify(join(types, module))};\n` +
        `export const ${key}: ${type} = ${JSON.stringify(docs[key], null, 2)};\n`,
    )
    .join("\n"),
);
const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true });
const problems = ts.getPreEmitDiagnostics(program);
for (const d of problems) {
  failed = true;
  const where = d.file ? `line ${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : "";
  console.log(`chain-registry: ${where}${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}
if (problems.length === 0) {
  for (const [key, type] of typed) console.log(`ok: chain-registry ${type} (${key})`);
}
process.exit(failed ? 1 : 0);
