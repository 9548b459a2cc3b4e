// Every =ECORE.* custom function against a running backend over the mock API: tables that spill,
// numbers, real Excel errors with their message, streaming and cancellation.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { customFunctions, registerAll } from "../src/functions.js";
import { backend, invocation } from "./support/backend.mjs";
import { fakeCustomFunctions } from "./support/fake-excel.mjs";

const api = backend();
let metadata;
let fns;
let CF;
let meters;
let portfolios;

before(async () => {
  metadata = await api.get("/addin/functions.json");
  CF = fakeCustomFunctions();
  fns = customFunctions(metadata, { backend: api, CF, streamInterval: 100 });
  meters = (await api.get("/api/v1/choices/volumes/meterId")).values.map((v) => v.value);
  portfolios = (await api.get("/api/v1/choices/positions/portfolioId")).values.map((v) => v.value);
});

/** Arguments as Excel hands them over: [[value]] for a cell, null for an empty one. */
const cell = (v) => [[v]];

function argsFor(fn) {
  const byName = {
    VOLUMES: [cell(meters[0]), cell(46082), cell(46083)], // 2026-03-01 .. 2026-03-02 as serials
    POSITIONS: [cell(portfolios[0])],
    HEDGE_RATIO: [cell(portfolios[1]), cell("2026-10")],
    OPEN_POSITION: [cell(portfolios[1]), cell("2026-10")],
    VOLUME_TOTAL: [cell(meters[0]), cell("2026-03-01"), cell("2026-03-02")],
    GET: [cell("/contracts"), []],
  };
  const given = byName[fn.id] || [];
  const fixed = fn.parameters.filter((p) => !p.repeating).length;
  const values = fn.parameters.filter((p) => !p.repeating).map((p, i) => (i < given.length ? given[i] : null));
  if (fn.parameters.some((p) => p.repeating)) values.push(given[fixed] || []);
  return values;
}

describe("every function", () => {
  test("the metadata has every function of the catalogue", () => {
    const ids = metadata.functions.map((f) => f.id);
    for (const id of ["VOLUMES", "CONTRACTS", "HEDGE_RATIO", "OPEN_POSITION", "VOLUME_TOTAL", "GET", "STATUS"]) {
      assert.ok(ids.includes(id), id);
    }
    assert.equal(Object.keys(fns).length, ids.length);
  });

  test("each network function answers: a table spills with its header, a number is a number", async () => {
    for (const fn of metadata.functions.filter((f) => !f.options.stream)) {
      const result = await fns[fn.id](...argsFor(fn), invocation());
      if (fn.result.dimensionality === "scalar") {
        assert.equal(typeof result, "number", fn.id);
        assert.ok(Number.isFinite(result), fn.id);
      } else {
        assert.ok(Array.isArray(result) && result.length >= 2, `${fn.id} spills a header and rows`);
        const width = result[0].length;
        assert.ok(result.every((row) => row.length === width), `${fn.id} is rectangular`);
        assert.ok(result[0].every((h) => typeof h === "string" && h), `${fn.id} header`);
      }
    }
  });

  test("registerAll associates every function by its id", async () => {
    const registry = fakeCustomFunctions();
    const ids = await registerAll({ CF: registry, backend: api });
    assert.deepEqual(Object.keys(registry.associated).sort(), metadata.functions.map((f) => f.id).sort());
    assert.deepEqual(ids.sort(), Object.keys(registry.associated).sort());
  });
});

describe("tables", () => {
  test("VOLUMES spills a day of hours, local times as formatted dates", async () => {
    const rows = await fns.VOLUMES(cell(meters[0]), cell(46082), cell(46083), null, null, null, null, null, null, invocation());
    assert.equal(rows.length, 25);
    const header = rows[0];
    assert.deepEqual(header.slice(0, 4), ["meterId", "start", "startLocal", "value"]);
    const local = rows[1][header.indexOf("startLocal")];
    assert.deepEqual(local, { type: "Double", basicValue: 46082, numberFormat: "yyyy-mm-dd hh:mm" });
    assert.equal(rows[1][0], meters[0]);
    assert.equal(typeof rows[1][header.indexOf("value")], "number");
  });

  test("options pick columns and drop the header", async () => {
    const rows = await fns.CONTRACTS(null, cell("active"), null, null, cell("columns=id,status; header=false"), null, null, null, invocation());
    assert.ok(rows.length >= 1);
    assert.ok(rows.every((r) => r.length === 2 && r[1] === "active"));
  });
});

describe("errors are real Excel errors carrying the one-line message", () => {
  test("a bad argument is #VALUE!", async () => {
    await assert.rejects(fns.CONTRACTS(cell("coal"), invocation()), (error) => {
      assert.ok(error instanceof CF.Error);
      assert.equal(error.code, CF.ErrorCode.invalidValue);
      assert.equal(error.message, "Filter commodity cannot be 'coal': use one of power, gas.");
      return true;
    });
  });

  test("no data is #N/A", async () => {
    await assert.rejects(fns.CONTRACTS(null, null, cell("LE-NOPE"), invocation()), (error) => {
      assert.equal(error.code, CF.ErrorCode.notAvailable);
      assert.equal(error.message, "No contracts for these arguments.");
      return true;
    });
    await assert.rejects(fns.VOLUMES(cell("MTR-9999"), cell("2026-03-01"), cell("2026-03-02"), invocation()), (error) => {
      assert.equal(error.code, CF.ErrorCode.notAvailable);
      assert.match(error.message, /MTR-9999/);
      return true;
    });
  });

  test("a missing required argument names it", async () => {
    await assert.rejects(fns.HEDGE_RATIO(null, cell("2026-10"), invocation()), (error) => {
      assert.equal(error.code, CF.ErrorCode.invalidValue);
      assert.match(error.message, /portfolio/);
      return true;
    });
  });

  test("an unreachable backend is #N/A saying what to start", async () => {
    const { Backend } = await import("../src/client.js");
    const dead = new Backend({ base: "http://127.0.0.1:9", token: "x" });
    const lone = customFunctions(metadata, { backend: dead, CF });
    await assert.rejects(lone.CONTRACTS(invocation()), (error) => {
      assert.equal(error.code, CF.ErrorCode.notAvailable);
      assert.match(error.message, /ecore-xl serve/);
      return true;
    });
  });
});

describe("streaming and cancellation", () => {
  test("STATUS streams rows until Excel cancels it", async () => {
    const inv = invocation();
    fns.STATUS(inv);
    for (let i = 0; i < 100 && inv.results.length < 3; i += 1) await new Promise((r) => setTimeout(r, 50));
    assert.ok(inv.results.length >= 3, `${inv.results.length} results`);
    const rows = inv.results.at(-1);
    assert.deepEqual(rows[0], ["item", "value"]);
    const items = Object.fromEntries(rows.slice(1).map((r) => [r[0], r[1]]));
    assert.equal(items.connection, "connected (token valid)");
    assert.equal(items["token expires"].numberFormat, "yyyy-mm-dd hh:mm");
    inv.onCanceled();
    const seen = inv.results.length;
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(inv.results.length <= seen + 1, "at most the one in flight lands after cancelling");
    const settled = inv.results.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(inv.results.length, settled, "nothing after cancellation");
  });

  test("cancelling a network function aborts its request", async () => {
    const inv = invocation();
    const pending = fns.VOLUMES(cell(meters[1]), cell("2026-05-01"), cell("2026-05-02"), inv);
    assert.equal(typeof inv.onCanceled, "function", "cancelable: Excel can stop it");
    inv.onCanceled();
    await assert.rejects(pending, (error) => {
      assert.equal(error.code, CF.ErrorCode.notAvailable);
      assert.equal(error.message, "cancelled");
      return true;
    });
  });
});

after(() => {});
