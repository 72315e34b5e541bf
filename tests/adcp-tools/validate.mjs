// Validates JSON payloads against the AdCP 3.0 JSON schemas that ship in
// @adcp/sdk (the bundled, self-contained variants).
//
//   node validate.mjs <file.jsonl>
//
// Each line of the file is {"schema": "media-buy/create-media-buy-response.json",
// "name": "what this is", "instance": {...}}. A schema is taken from bundled/
// when it is there, else from the unbundled tree (every schema loaded by its
// $id, so that their $refs resolve). Prints one line per payload
// (ok / FAIL with the schema errors); exits 1 when any payload fails, 2 on a
// usage error or a missing schema.
import { readFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const here = dirname(fileURLToPath(import.meta.url));
const dataRoot = join(here, 'node_modules/@adcp/sdk/dist/lib/schemas-data/3.0');
const schemaRoot = join(dataRoot, 'bundled');

if (process.argv.length !== 3) {
  console.error('usage: node validate.mjs <file.jsonl>');
  process.exit(2);
}
if (!existsSync(schemaRoot)) {
  console.error(`AdCP schemas not found at ${schemaRoot} (run npm ci in ${here})`);
  process.exit(2);
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const compiled = new Map();

let unbundled = null;  // Ajv instance holding every unbundled schema
function loadUnbundled() {
  if (unbundled) return unbundled;
  unbundled = new Ajv({ allErrors: true, strict: false });
  addFormats(unbundled);
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (entry === 'bundled') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.json')) {
        const schema = JSON.parse(readFileSync(path, 'utf8'));
        if (schema.$id && !unbundled.getSchema(schema.$id)) unbundled.addSchema(schema);
      }
    }
  };
  walk(dataRoot);
  return unbundled;
}

function validator(schema) {
  if (!compiled.has(schema)) {
    const path = join(schemaRoot, schema);
    if (existsSync(path)) {
      compiled.set(schema, ajv.compile(JSON.parse(readFileSync(path, 'utf8'))));
    } else {
      const loose = join(dataRoot, schema);
      if (!existsSync(loose)) {
        console.error(`no such schema: ${schema}`);
        process.exit(2);
      }
      const id = JSON.parse(readFileSync(loose, 'utf8')).$id;
      compiled.set(schema, loadUnbundled().getSchema(id));
    }
  }
  return compiled.get(schema);
}

let failures = 0;
const lines = readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.trim());
for (const line of lines) {
  const { schema, name, instance } = JSON.parse(line);
  const validate = validator(schema);
  if (validate(instance)) {
    console.log(`ok   ${schema}  ${name}`);
  } else {
    failures++;
    console.log(`FAIL ${schema}  ${name}`);
    for (const error of validate.errors.slice(0, 20)) {
      console.log(`     ${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`);
    }
    console.log(`     instance: ${JSON.stringify(instance).slice(0, 2000)}`);
  }
}
console.log(`${lines.length - failures} of ${lines.length} payloads valid`);
process.exit(failures ? 1 : 0);
