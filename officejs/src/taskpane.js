// The task pane: browse the catalogue, build a formula or insert a table, refresh the workbook's
// eCore tables (all, this sheet, the selection), offline mode, the connection check.
//
// It shares one runtime with the custom functions (the manifest's shared runtime): the offline
// toggle here is the functions' too.

import { Backend } from "./client.js";
import { formulaText } from "./cells.js";
import { registerAll, state } from "./functions.js";
import * as workbook from "./workbook.js";

const NAMESPACE = "ECORE";
const OFFLINE_KEY = "ecore.offline";

export class TaskPane {
  constructor({ doc = document, backend = new Backend(), Excel = globalThis.Excel, storage = globalThis.localStorage } = {}) {
    this.doc = doc;
    this.backend = backend;
    this.Excel = Excel;
    this.storage = storage;
    this.catalogue = { datasets: [] };
    this.$ = (id) => doc.getElementById(id);
  }

  async start() {
    const offline = this.storage && this.storage.getItem(OFFLINE_KEY) === "1";
    this.$("offline").checked = offline;
    state.offline = offline ? true : null;
    this.$("offline").addEventListener("change", () => this.setOffline(this.$("offline").checked));
    this.$("dataset").addEventListener("change", () => this.showDataset());
    this.$("filters").addEventListener("input", () => this.showFormula());
    this.$("filters").addEventListener("change", () => this.showFormula());
    this.$("insert-formula").addEventListener("click", () => this.run(() => this.insertFormula()));
    this.$("insert-table").addEventListener("click", () => this.run(() => this.insertTable()));
    this.$("refresh-all").addEventListener("click", () => this.run(() => this.refresh("all")));
    this.$("refresh-sheet").addEventListener("click", () => this.run(() => this.refresh("sheet")));
    this.$("refresh-selection").addEventListener("click", () => this.run(() => this.refresh("selection")));
    this.$("check-connection").addEventListener("click", () => this.run(() => this.checkConnection()));
    try {
      this.catalogue = await this.backend.get("/api/v1/catalogue");
      this.setBadge("connected", "ok");
    } catch (error) {
      this.setBadge("no backend", "bad");
      this.say(error.message, true);
      return;
    }
    const select = this.$("dataset");
    select.replaceChildren(
      ...this.catalogue.datasets.map((ds) => this.option(ds.name, `${ds.name} — ${ds.officeFunction}`)),
    );
    await this.showDataset();
  }

  option(value, label) {
    const opt = this.doc.createElement("option");
    opt.value = value;
    opt.textContent = label ?? value;
    return opt;
  }

  setBadge(text, kind) {
    const badge = this.$("connection");
    badge.textContent = text;
    badge.className = `badge ${kind}`;
  }

  say(text, error = false) {
    const message = this.$("message");
    message.textContent = text;
    message.className = error ? "message error" : "message";
  }

  setOffline(on) {
    state.offline = on ? true : null;
    if (this.storage) this.storage.setItem(OFFLINE_KEY, on ? "1" : "0");
    this.say(on ? "Offline: formulas and refreshes answer from the cache and snapshots only." : "Online.");
  }

  dataset() {
    return this.catalogue.datasets.find((d) => d.name === this.$("dataset").value);
  }

  /** One field per argument of the dataset's function, drop-downs from the API. */
  async showDataset() {
    const ds = this.dataset();
    if (!ds) return;
    this.$("dataset-doc").textContent = ds.description;
    const form = this.$("filters");
    form.replaceChildren();
    const loads = [];
    for (const arg of ds.arguments) {
      const flt = ds.filters.find((f) => f.name === arg.filter);
      const id = `arg-${arg.name}`;
      const label = this.doc.createElement("label");
      label.htmlFor = id;
      label.textContent = arg.name;
      label.title = arg.doc;
      let field;
      if (arg.filter === "layout") {
        field = this.doc.createElement("select");
        field.append(this.option("", ""), ...(ds.layouts || ["long"]).map((name) => this.option(name)));
      } else if (flt && (flt.allowed || flt.choicesFrom)) {
        field = this.doc.createElement("select");
        field.append(this.option("", flt.default ? `(${flt.default})` : "(any)"));
        for (const value of flt.allowed || []) field.append(this.option(value));
        if (flt.choicesFrom) loads.push(this.loadChoices(ds, flt, field));
      } else {
        field = this.doc.createElement("input");
        field.type = flt && flt.type === "date" ? "date" : "text";
      }
      field.id = id;
      field.name = arg.name;
      field.dataset.filter = arg.filter;
      form.append(label, field);
    }
    await Promise.all(loads);
    this.showFormula();
  }

  async loadChoices(ds, flt, field) {
    const query = state.offline ? "?offline=1" : "";
    try {
      const choices = await this.backend.get(`/api/v1/choices/${ds.name}/${flt.name}${query}`);
      for (const { value, label } of choices.values) field.append(this.option(value, label === value ? value : `${value} — ${label}`));
    } catch (error) {
      field.title = error.message; // a text filter still works without its list
    }
  }

  values() {
    const ds = this.dataset();
    return ds.arguments.map((arg) => this.$(`arg-${arg.name}`).value);
  }

  formula() {
    return formulaText(NAMESPACE, this.dataset().officeFunction, this.values());
  }

  showFormula() {
    if (this.dataset()) this.$("formula").textContent = this.formula();
  }

  async insertFormula() {
    const formula = this.formula();
    const where = await this.Excel.run((context) => workbook.insertFormula(context, formula));
    return `Formula in ${where}: ${formula}`;
  }

  filters() {
    const ds = this.dataset();
    const out = {};
    ds.arguments.forEach((arg, i) => {
      const value = this.values()[i];
      if (value !== "" && arg.filter !== "layout") out[arg.filter] = value;
    });
    return out;
  }

  async insertTable() {
    const ds = this.dataset();
    const layoutArg = ds.arguments.find((a) => a.filter === "layout");
    const layout = layoutArg ? this.$(`arg-${layoutArg.name}`).value : "";
    const { sheet, anchor, tables } = await this.Excel.run(async (context) => {
      const where = await workbook.selection(context);
      const snap = await workbook.snapshot(context);
      return { sheet: where.sheet, anchor: where.address.split(":")[0], tables: snap.tables.map((t) => t.name) };
    });
    const body = { filters: this.filters(), sheet, anchor, tables, offline: state.offline };
    if (layout) body.layout = layout;
    this.progress(`eCore: ${ds.name}…`);
    const answer = await this.backend.post(`/api/v1/tables/${ds.name}`, body);
    await this.Excel.run((context) => workbook.apply(context, answer.ops));
    this.progress("");
    return `Table ${answer.table} (${answer.rows.toLocaleString("en")} rows) at ${sheet}!${anchor}.`;
  }

  progress(text) {
    this.$("progress").textContent = text;
  }

  /** The ribbon's refresh: all, this sheet or the selection; all tables or none. */
  async refresh(scope) {
    const request = await this.Excel.run(async (context) => {
      const snap = await workbook.snapshot(context);
      const where = await workbook.selection(context);
      return { workbook: snap, scope, sheet: where.sheet, selection: where, offline: state.offline };
    });
    const result = await this.backend.job("refresh", request, { onProgress: (text) => this.progress(text) });
    this.progress("writing…");
    await this.Excel.run((context) => workbook.apply(context, result.ops));
    const when = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    this.progress(`Last refresh ${when}: ${result.results.length} table(s) written.`);
    return [result.summary, ...result.warnings].join(" ");
  }

  async checkConnection() {
    const report = await this.backend.get("/api/v1/doctor");
    const list = this.$("steps");
    list.replaceChildren(
      ...report.steps.map((step) => {
        const item = this.doc.createElement("li");
        item.className = step.ok ? "ok" : "fail";
        item.textContent = `${step.name}: ${step.ok ? "OK" : "FAIL"} — ${step.reason}`;
        return item;
      }),
    );
    if (report.skipped) list.append(Object.assign(this.doc.createElement("li"), { textContent: `${report.skipped} later steps skipped` }));
    this.setBadge(report.ok ? "connected" : "not connected", report.ok ? "ok" : "bad");
    return report.ok ? "All checks passed." : "A check failed: see the steps.";
  }

  async run(action) {
    const buttons = [...this.doc.querySelectorAll("button")];
    buttons.forEach((b) => (b.disabled = true));
    this.say("");
    try {
      this.say(await action());
    } catch (error) {
      this.progress("");
      this.say(error.message || String(error), true);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }
}

/** In Excel: once Office is ready, register the functions (shared runtime) and show the pane. */
if (globalThis.Office && globalThis.document) {
  globalThis.Office.onReady(async () => {
    if (globalThis.CustomFunctions) {
      try {
        await registerAll();
      } catch (error) {
        console.error("eCore functions not registered", error);
      }
    }
    const pane = new TaskPane();
    globalThis.ecorePane = pane;
    await pane.start();
  });
}
