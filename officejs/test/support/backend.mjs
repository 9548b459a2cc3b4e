// The running backend the tests use (started by tests/test_officejs_node.py over the mock API).

import { Backend } from "../../src/client.js";

export const BASE = process.env.ECORE_TEST_BACKEND;
export const TOKEN = process.env.ECORE_TEST_TOKEN;

if (!BASE || !TOKEN) {
  throw new Error("Run these tests through pytest (tests/test_officejs_node.py): it starts the backend.");
}

export function backend() {
  return new Backend({ base: BASE, token: TOKEN });
}

/** A fake invocation object, as Excel passes it last to every custom function. */
export function invocation() {
  const results = [];
  return {
    results,
    setResult(value) {
      results.push(value);
    },
    onCanceled: undefined,
  };
}
