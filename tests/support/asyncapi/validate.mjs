// Validate an AsyncAPI document with the official parser; print its diagnostics as JSON lines.
// Exit 0 when the parser accepts the document (no error diagnostics), 1 otherwise.
import { Parser } from '@asyncapi/parser';
import { readFileSync } from 'node:fs';

const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(process.argv[2], 'utf8'));
for (const d of diagnostics) {
  console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
}
process.exit(document && !diagnostics.some((d) => d.severity === 0) ? 0 : 1);
