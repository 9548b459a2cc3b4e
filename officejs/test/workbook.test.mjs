// The task pane's workbook side against a mocked workbook: the snapshot the backend reads, the
// refresh's operations written as Excel tables (all or nothing), a table inserted at the
// selection; insertFormula and selection through office-addin-mock.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { OfficeMockObject } from "office-addin-mock";

import * as workbook from "../src/workbook.js";
import { backend } from "./support/backend.mjs";
import { createFakeExcel, WorkbookModel } from "./support/fake-excel.mjs";

const api = backend();

async function refresh(Excel, scope = "all", extra = {}) {
  const request = await Excel.run(async (context) => ({
    workbook: await workbook.snapshot(context),
    scope,
    ...(await workbook.selection(context)),
    ...extra,
  }));
  const progress = [];
  const result = await api.job("refresh", request, { onProgress: (text) => progress.push(text), interval: 50 });
  await Excel.run((context) => workbook.apply(context, result.ops));
  return { result, progress };
}

describe("refresh all of a new workbook", () => {
  const { Excel, model } = createFakeExcel();
  let first;

  test("writes the settings sheet and every dataset as a named Excel table", async () => {
    first = await refresh(Excel);
    assert.match(first.result.summary, /^eCore refreshed: contracts \d+ rows, clicks/);
    assert.ok(first.progress.length >= 1);
    const sheets = model.sheets.map((s) => s.name);
    for (const name of ["eCore", "Contracts", "Clicks", "Volumes", "Positions", "Invoices", "InvoiceLines", "eCoreLists"]) {
      assert.ok(sheets.includes(name), name);
    }
    assert.equal(model.sheet("eCoreLists").visibility, "Hidden");
    const contracts = model.table("tblContracts");
    assert.equal(contracts.sheet, "Contracts");
    assert.equal(contracts.style, "TableStyleMedium2");
    const values = model.tableValues("tblContracts");
    const written = first.result.results.find((r) => r.table === "tblContracts");
    assert.equal(values.length, 1 + written.rows);
    assert.deepEqual(values[0].slice(0, 2), ["id", "contractNumber"]);
    assert.match(values[1][0], /^CTR-/, "text lost its apostrophe: a value, not a formula");
    assert.match(model.value("Contracts", "A1"), /^eCore contracts: refreshed /);
    assert.match(model.value("Contracts", "A2"), /^Filters: /);
  });

  test("dates are serial numbers with their number format", () => {
    const volumes = model.table("tblVolumes");
    const header = model.tableValues("tblVolumes")[0];
    const col = header.indexOf("startLocal");
    const top = Number(volumes.address.split(":")[0].replace(/\D/g, ""));
    const letter = String.fromCharCode(65 + col);
    assert.equal(typeof model.value("Volumes", `${letter}${top + 1}`), "number");
    assert.equal(model.sheet("Volumes").formats.get(`${letter}${top + 1}`), "yyyy-mm-dd hh:mm");
  });

  test("invoice lines are a table of their own, period ends read as the last day", () => {
    const [header] = model.tableValues("tblInvoices"); // the default month may hold no invoice
    assert.ok(!header.includes("lines"), "no JSON text column");
    assert.equal(header[header.indexOf("periodEnd") + 1], "periodLastDay");
    const lines = model.tableValues("tblInvoiceLines");
    assert.deepEqual(lines[0].slice(0, 2), ["invoiceId", "component"]);
    const [head, ...contracts] = model.tableValues("tblContracts");
    const end = head.indexOf("deliveryEnd");
    assert.equal(head[end + 1], "deliveryLastDay");
    assert.ok(contracts.length > 0);
    for (const row of contracts) assert.equal(row[end] - row[end + 1], 1, "the last day is the day before the end");
    const top = Number(model.table("tblContracts").address.split(":")[0].replace(/\D/g, ""));
    const column = String.fromCharCode(65 + end + 1);
    assert.equal(model.sheet("Contracts").formats.get(`${column}${top + 1}`), "yyyy-mm-dd");
  });

  test("the settings sheet is laid out: title, header row, labels", () => {
    const styles = model.sheet("eCore").styles;
    assert.equal(styles.get("A1")["font.bold"], true);
    assert.equal(styles.get("A1")["font.size"], 14);
    for (const ref of ["A4", "B4", "C4"]) assert.equal(styles.get(ref).fill, "#D9E1F2");
    assert.equal(styles.get("A5")["font.bold"], true);
    assert.equal(styles.get("C5")["font.italic"], true);
  });

  test("number columns carry the catalogue's formats (MWh, EUR, %, dates)", () => {
    const formats = JSON.parse(process.env.ECORE_TEST_FORMATS);
    let checked = 0;
    for (const table of model.tables) {
      const [header] = model.tableValues(table.name);
      const top = Number(table.address.split(":")[0].replace(/\D/g, ""));
      const left = table.address.charCodeAt(0) - 64;
      const rows = model.tableValues(table.name).length - 1;
      for (const [column, format] of Object.entries(formats[table.name] || {})) {
        const c = header.indexOf(column);
        if (c < 0 || !rows) continue;
        const letterOf = String.fromCharCode(64 + left + c);
        for (let r = top + 1; r <= top + rows; r += 1) {
          assert.equal(model.sheet(table.sheet).formats.get(`${letterOf}${r}`), format, `${table.name}[${column}]`);
        }
        checked += 1;
      }
    }
    assert.ok(checked >= 8, `${checked} formatted columns checked`);
  });

  test("every column is as wide as its longest value: tables and the settings sheet", () => {
    const chars = (points) => (points / 0.75 - 5) / 7;
    const fits = (sheetName, address) => {
      const rows = model.values(sheetName, address);
      for (let c = 0; c < rows[0].length; c += 1) {
        const longest = Math.max(...rows.map((row) => (typeof row[c] === "string" ? row[c].length : 0)));
        const column = address.replace(/\$/g, "").match(/^[A-Z]+/)[0].charCodeAt(0) + c;
        const width = model.sheet(sheetName).widths.get(String.fromCharCode(column)) ?? 48;
        assert.ok(chars(width) >= longest, `${sheetName} column ${String.fromCharCode(column)}: ${chars(width)} < ${longest}`);
      }
    };
    for (const name of ["tblContracts", "tblInvoiceLines", "tblVolumes", "tblClicks"]) {
      const table = model.table(name);
      fits(table.sheet, table.address);
    }
    const block = Number(model.names.get("ecore.lastRefresh").replace(/\D/g, ""));
    fits("eCore", `A4:B${block - 2}`);
    fits("eCore", `A${block}:G${block + 6}`);
  });

  test("names and drop-down lists of the settings sheet", () => {
    assert.equal(model.names.get("ecore.datasets"), "=eCore!$B$13");
    assert.ok(model.names.get("lstMeters").startsWith("=eCoreLists!$A$2"));
    const validation = model.sheet("eCore").validations.get("B7");
    assert.deepEqual(validation.rule, { list: { inCellDropDown: true, source: "=lstMeters" } });
  });

  test("a second refresh rewrites the same tables in place", async () => {
    const before = model.table("tblContracts").address;
    model.sheet("Contracts").widths.set("C", 400); // the user widened a column
    const second = await refresh(Excel);
    assert.equal(model.sheet("Contracts").widths.get("C"), 400, "a wider column keeps its width");
    assert.ok(model.sheet("Contracts").autofitted.length > 0);
    assert.equal(second.result.summary, first.result.summary);
    assert.equal(model.table("tblContracts").address, before);
    assert.equal(model.tables.length, 6);
  });

  test("this sheet refreshes only the table on it", async () => {
    model.selection = { sheet: "Positions", address: "C9" };
    const { result } = await refresh(Excel, "sheet");
    assert.deepEqual(result.results.map((r) => r.table), ["tblPositions"]);
  });

  test("a cell in the way stops the refresh before anything is written", async () => {
    const contracts = model.table("tblContracts");
    contracts.address = contracts.address.replace(/\d+$/, "6"); // the table shrank to one row
    model.sheet("Contracts").cells.set("A7", "in the way");
    const before = JSON.stringify([...model.sheet("Contracts").cells]);
    await assert.rejects(refresh(Excel, "sheet", { sheet: "Contracts" }), /A7 is in the way of table tblContracts/);
    assert.equal(JSON.stringify([...model.sheet("Contracts").cells]), before, "nothing was written");
  });
});

describe("a table inserted at the selection", () => {
  test("the dataset with the pane's filters, named after the catalogue's table", async () => {
    const model = new WorkbookModel();
    model.addSheet("Report");
    model.selection = { sheet: "Report", address: "C3" };
    const { Excel } = createFakeExcel(model);
    const meters = (await api.get("/api/v1/choices/volumes/meterId")).values.map((v) => v.value);
    const body = { filters: { meterId: meters[0], from: "2026-03-01", to: "2026-03-02" }, sheet: "Report", anchor: "C3", tables: [] };
    const answer = await api.post("/api/v1/tables/volumes", body);
    await Excel.run((context) => workbook.apply(context, answer.ops));
    assert.equal(answer.table, "tblVolumes");
    const table = model.table("tblVolumes");
    assert.equal(table.sheet, "Report");
    assert.equal(table.address, "C7:I31", "three note lines and a blank row, the header, 24 hours");
    assert.match(model.value("Report", "C3"), /^eCore volumes: refreshed/);
    const again = await api.post("/api/v1/tables/volumes", { ...body, tables: ["tblVolumes"] });
    assert.equal(again.table, "tblVolumes2");
  });
});

describe("office-addin-mock", () => {
  test("insertFormula puts the formula into the active cell and says where", async () => {
    const mock = new OfficeMockObject({
      context: {
        workbook: {
          cell: { address: "Sheet1!B7", formulas: [] },
          getActiveCell() {
            return this.cell;
          },
        },
      },
      run: async function (callback) {
        return callback(this.context);
      },
    });
    const where = await mock.run((context) => workbook.insertFormula(context, '=ECORE.CONTRACTS("power")'));
    assert.equal(where, "B7");
    assert.deepEqual(mock.context.workbook.cell.formulas, [['=ECORE.CONTRACTS("power")']]);
  });

  test("selection loads before it reads", async () => {
    const mock = new OfficeMockObject({
      context: {
        workbook: {
          range: { address: "Volumes!C7:D8", worksheet: { name: "Volumes" } },
          getSelectedRange() {
            return this.range;
          },
        },
      },
      run: async function (callback) {
        return callback(this.context);
      },
    });
    assert.deepEqual(await mock.run((context) => workbook.selection(context)), { sheet: "Volumes", address: "C7:D8" });
  });
});
