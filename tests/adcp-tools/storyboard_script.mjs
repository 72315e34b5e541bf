// What the scripts that run one AdCP storyboard share: their arguments
// (checked against a usage line), the storyboard by id, and stdout kept for
// the JSON result alone (the runner's logs go to stderr).
import { getComplianceStoryboardById } from '@adcp/sdk/testing';

// The first `required` arguments must be present; prints `usage` otherwise.
export function scriptArguments(required, usage) {
  const args = process.argv.slice(2);
  if (args.length < required || args.slice(0, required).some((a) => !a)) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return args;
}

export function storyboardOrExit(id) {
  const storyboard = getComplianceStoryboardById(id);
  if (!storyboard) {
    console.error(`${id} is not in this @adcp/sdk`);
    process.exit(2);
  }
  console.log = (...args) => console.error(...args);
  console.info = console.log;
  return storyboard;
}

export function printResult(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
}
