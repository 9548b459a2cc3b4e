// The task pane in headless Chromium against a running backend (tests/test_officejs_node.py
// starts it over the mock): it lists the datasets, builds a formula from drop-downs the API
// fills, inserts it, and its Refresh all writes the expected tables into a mocked workbook.
//
//   node test/browser/taskpane.browser.mjs --screenshots DIR
//
// Office.js itself is Microsoft's CDN script: here the page gets, in its place, a stand-in that
// provides Office.onReady, Excel.run over the in-memory workbook of support/fake-excel.mjs and
// CustomFunctions. Everything else is the add-in as the backend serves it.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const BASE = process.env.ECORE_TEST_BACKEND;
const TOKEN = process.env.ECORE_TEST_TOKEN;
const CHROMIUM = process.env.ECORE_CHROMIUM || "/usr/bin/chromium";
const shotsAt = process.argv.indexOf("--screenshots");
const SHOTS = shotsAt > 0 ? process.argv[shotsAt + 1] : null;
if (!BASE || !TOKEN) throw new Error("run through pytest (tests/test_officejs_node.py)");

const OFFICE_STAND_IN = `
  window.__fake = import(location.origin + "/test-support/fake-excel.mjs").then((m) => {
    const model = new m.WorkbookModel();
    model.addSheet("Sheet1");
    model.selection = { sheet: "Sheet1", address: "B2" };
    window.__model = model;
    window.Excel = m.createFakeExcel(model).Excel;
    window.CustomFunctions = m.fakeCustomFunctions();
  });
  window.Office = { onReady: (callback) => window.__fake.then(() => callback({ host: "Excel" })) };
`;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 380, height: 860 } });
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
  // routes run last-registered first: the catch-all goes first, so it is asked last
  await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => route.abort()); // nothing leaves the machine
  await page.route("https://appsforoffice.microsoft.com/**", (route) =>
    route.fulfill({ contentType: "text/javascript", body: OFFICE_STAND_IN }),
  );
  const fake = await readFile(path.join(here, "..", "support", "fake-excel.mjs"), "utf8");
  await page.route(`${BASE}/test-support/**`, (route) => route.fulfill({ contentType: "text/javascript", body: fake }));

  await page.goto(`${BASE}/addin/taskpane.html`);

  // 1. the datasets of the catalogue
  await page.waitForFunction(() => document.querySelectorAll("#dataset option").length > 5);
  const catalogue = await (await fetch(`${BASE}/api/v1/catalogue`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json();
  const listed = await page.$$eval("#dataset option", (options) => options.map((o) => o.value));
  assert.deepEqual(listed, catalogue.datasets.map((d) => d.name));
  assert.equal(await page.textContent("#connection"), "connected");
  const registered = await page.evaluate(() => Object.keys(window.CustomFunctions.associated).sort());
  assert.ok(registered.includes("VOLUMES") && registered.includes("STATUS"), "the functions are registered");

  // 2. a formula from the drop-downs
  await page.selectOption("#dataset", "volumes");
  await page.waitForFunction(() => document.querySelectorAll("#arg-meter option").length > 1);
  const meters = await page.$$eval("#arg-meter option", (options) => options.map((o) => o.value).filter(Boolean));
  await page.selectOption("#arg-meter", meters[0]);
  await page.fill("#arg-from_date", "2026-03-01");
  await page.fill("#arg-to_date", "2026-03-02");
  await page.selectOption("#arg-granularity", "hour");
  const formula = `=ECORE.VOLUMES("${meters[0]}", "2026-03-01", "2026-03-02", "hour")`;
  assert.equal(await page.textContent("#formula"), formula);
  await page.click("#insert-formula");
  await page.waitForFunction(() => document.querySelector("#message").textContent.startsWith("Formula in"));
  assert.equal(await page.evaluate(() => window.__model.sheet("Sheet1").formulas.get("B2")), formula);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, "officejs-taskpane.png"), fullPage: true });

  // 3. Refresh all writes every table of the workbook's settings
  await page.click("#refresh-all");
  await page.waitForFunction(() => /^eCore refreshed|error/.test(document.querySelector("#message").textContent + document.querySelector("#message").className), null, { timeout: 60000 });
  const message = await page.textContent("#message");
  assert.match(message, /^eCore refreshed: contracts \d+ rows/);
  const tables = await page.evaluate(() => window.__model.tables.map((t) => ({ name: t.name, sheet: t.sheet, address: t.address })));
  assert.deepEqual(tables.map((t) => t.name).sort(), ["tblClicks", "tblContracts", "tblInvoiceLines", "tblInvoices", "tblPositions", "tblVolumes"]);
  const contracts = await page.evaluate(() => window.__model.tableValues("tblContracts"));
  const expected = await (await fetch(`${BASE}/api/v1/fetch/contracts`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json();
  // the sheet shows the API's columns, and beside each period end its last day
  assert.equal(contracts[0][contracts[0].indexOf("deliveryEnd") + 1], "deliveryLastDay");
  assert.deepEqual(contracts[0].filter((name) => name !== "deliveryLastDay"), expected.header);
  assert.equal(contracts.length - 1, expected.rowCount);
  assert.deepEqual(contracts.slice(1).map((r) => r[0]), expected.rows.map((r) => r[0]));

  // 4. the connection check: the doctor's steps
  await page.click("#check-connection");
  await page.waitForFunction(() => document.querySelectorAll("#steps li").length === 6);
  const steps = await page.$$eval("#steps li", (items) => items.map((i) => i.className));
  assert.deepEqual(steps, ["ok", "ok", "ok", "ok", "ok", "ok"]);

  assert.match(await page.textContent("#progress"), /^Last refresh [^:]+:\d\d( [AP]M)?: 6 table\(s\) written\.$/);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, "officejs-refreshed.png"), fullPage: true });

  // 5. offline: the toggle reaches the functions' shared state
  await page.check("#offline");
  assert.match(await page.textContent("#message"), /^Offline/);
  const offline = await page.evaluate(async () => (await import(location.origin + "/addin/functions.js")).state.offline);
  assert.equal(offline, true);

  if (SHOTS) {
    // the mocked workbook after the refresh, drawn as a sheet (what Excel would show)
    const sheet = await page.evaluate(() => window.__model.values("Contracts", "A1:H9"));
    const view = await browser.newPage({ viewport: { width: 980, height: 330 } });
    await view.route(/.*/, (route) => route.abort());
    const cells = sheet.map((row, i) => `<tr><th>${i + 1}</th>${row.map((v) => `<td>${String(v).replace(/</g, "&lt;")}</td>`).join("")}</tr>`).join("");
    await view.setContent(`<style>body{font:12px Segoe UI,sans-serif;margin:8px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;white-space:nowrap;max-width:160px;overflow:hidden}th{background:#f3f2f1;color:#666}tr:nth-child(5) td{background:#0b6a53;color:#fff;font-weight:600}</style><p>Mocked workbook, sheet <b>Contracts</b> after <i>Refresh all</i> (table tblContracts from row 5)</p><table>${cells}</table>`);
    await view.screenshot({ path: path.join(SHOTS, "officejs-workbook.png") });
  }
  assert.deepEqual(errors, [], "no script error in the page");
  console.log("task pane: all checks passed");
} catch (error) {
  console.error("page errors:", JSON.stringify(errors ?? []));
  throw error;
} finally {
  await browser.close();
}
