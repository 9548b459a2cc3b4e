// The =ECORE.* custom functions: one generic handler per function of the backend's
// functions.json (generated from its catalogue, so a dataset a user adds needs no code here).
//
// Every network function is asynchronous (Excel shows #BUSY! until it answers) and cancelable
// (a recalculation or an edit aborts its request); ECORE.STATUS() streams the backend's status
// until Excel cancels it. The arguments go to the backend exactly as Excel hands them over.

import { Backend, BackendError } from "./client.js";
import { answerValue, excelError } from "./cells.js";

/** Shared with the task pane (one runtime): the offline toggle. */
export const state = { offline: null };

/** Handlers by function id, for `CustomFunctions.associate`. */
export function customFunctions(metadata, { backend, CF, addinState = state, streamInterval = 5000 }) {
  const handlers = {};
  for (const fn of metadata.functions) {
    handlers[fn.id] = fn.options && fn.options.stream
      ? statusStream(backend, CF, addinState, streamInterval)
      : networkFunction(fn, backend, CF, addinState);
  }
  return handlers;
}

function networkFunction(fn, backend, CF, addinState) {
  const fixed = fn.parameters.filter((p) => !p.repeating).length;
  const repeating = fn.parameters.some((p) => p.repeating);
  return async function (...args) {
    const invocation = args.pop(); // Excel passes the invocation last
    const values = args.slice(0, fixed).map((v) => (v === undefined ? null : v));
    if (repeating) values.push(...(args[fixed] || []));
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    if (invocation) invocation.onCanceled = () => controller && controller.abort();
    try {
      const answer = await backend.call(fn.id, values, {
        offline: addinState.offline,
        signal: controller ? controller.signal : undefined,
      });
      return answerValue(answer);
    } catch (error) {
      if (error && error.name === "AbortError") throw excelError(CF, { excel: "#N/A", message: "cancelled" });
      throw excelError(CF, error instanceof BackendError ? error : { message: String(error) });
    }
  };
}

function statusStream(backend, CF, addinState, interval) {
  return function (invocation) {
    let stopped = false;
    let timer = null;
    const tick = async () => {
      try {
        const query = addinState.offline === null ? "" : `?offline=${addinState.offline ? 1 : 0}`;
        const answer = await backend.get(`/api/v1/status${query}`);
        if (!stopped) invocation.setResult(answerValue(answer));
      } catch (error) {
        if (!stopped) invocation.setResult(excelError(CF, error));
      }
      if (!stopped) timer = setTimeout(tick, interval);
    };
    invocation.onCanceled = () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    };
    tick();
  };
}

/** In the add-in: associate every function of the backend's metadata (call once). */
export async function registerAll({ CF = globalThis.CustomFunctions, backend = new Backend() } = {}) {
  const metadata = await backend.get("/addin/functions.json");
  const handlers = customFunctions(metadata, { backend, CF });
  for (const [id, handler] of Object.entries(handlers)) CF.associate(id, handler);
  return Object.keys(handlers);
}
