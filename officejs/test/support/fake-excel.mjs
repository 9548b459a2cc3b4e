// An in-memory Excel for the tests (node and the browser): the part of the Excel JavaScript API
// the add-in uses, with its load/sync rule enforced (reading a property before load() and
// context.sync() throws, as in Excel), and a workbook model the tests read back.
//
// Also a stand-in CustomFunctions namespace (Error, ErrorCode, associate), as Excel provides it.

const NOT_LOADED = (name) =>
  new Error(`PropertyNotLoaded: The property '${name}' is not available. Call load() and context.sync() first.`);

export function parseCell(ref) {
  const m = /^([A-Za-z]{1,3})(\d+)$/.exec(String(ref).replace(/\$/g, ""));
  if (!m) throw new Error(`InvalidArgument: ${ref}`);
  let col = 0;
  for (const ch of m[1].toUpperCase()) col = col * 26 + (ch.charCodeAt(0) - 64);
  return { row: Number(m[2]), col };
}

/** Excel's width of a column nobody sized: 8.43 characters, 64 px, 48 points */
export const DEFAULT_COLUMN_POINTS = 48;

export function letter(col) {
  let s = "";
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

function parseBox(address) {
  const local = String(address).split("!").pop().replace(/\$/g, "");
  const [a, b] = local.split(":");
  const first = parseCell(a);
  const last = parseCell(b || a);
  return { top: first.row, left: first.col, bottom: last.row, right: last.col };
}

function boxAddress(b) {
  const one = `${letter(b.left)}${b.top}`;
  return b.top === b.bottom && b.left === b.right ? one : `${one}:${letter(b.right)}${b.bottom}`;
}

/** The workbook's contents, as the tests read them. */
export class WorkbookModel {
  constructor() {
    this.sheets = [];
    this.tables = [];
    this.names = new Map();
    this.selection = { sheet: null, address: "A1" };
    this.syncs = 0;
  }

  addSheet(name, { visibility = "Visible" } = {}) {
    const sheet = { name, cells: new Map(), formats: new Map(), formulas: new Map(), validations: new Map(), styles: new Map(), widths: new Map(), autofitted: [], visibility };
    this.sheets.push(sheet);
    if (!this.selection.sheet) this.selection.sheet = name;
    return sheet;
  }

  sheet(name) {
    return this.sheets.find((s) => s.name === name);
  }

  value(sheet, ref) {
    const v = this.sheet(sheet).cells.get(ref);
    return v === undefined ? "" : v;
  }

  /** Values of a rectangle, as Excel shows them (a leading apostrophe is not part of a value). */
  values(sheet, address) {
    const b = parseBox(address);
    const out = [];
    for (let r = b.top; r <= b.bottom; r += 1) {
      const row = [];
      for (let c = b.left; c <= b.right; c += 1) row.push(this.value(sheet, `${letter(c)}${r}`));
      out.push(row);
    }
    return out;
  }

  table(name) {
    return this.tables.find((t) => t.name.toLowerCase() === name.toLowerCase());
  }

  tableValues(name) {
    const t = this.table(name);
    return this.values(t.sheet, t.address);
  }
}

/** The Excel namespace (Excel.run) over a model, and the model. */
export function createFakeExcel(model = new WorkbookModel()) {
  if (!model.sheets.length) model.addSheet("Sheet1");

  class Context {
    constructor() {
      this.pending = [];
      this.queue = [];
      this.workbook = workbookProxy(this);
    }

    async sync() {
      model.syncs += 1;
      for (const action of this.queue.splice(0)) action();
      for (const object of this.pending.splice(0)) object.__loadNow();
    }
  }

  // a loadable object: its `fields` are readable after load(...) + sync()
  function loadable(ctx, fields, compute) {
    const obj = { __loaded: new Set(), __requested: new Set(), __values: {} };
    obj.load = (what) => {
      const names = typeof what === "string" ? what.split(",").map((s) => s.trim()) : what || fields;
      for (const name of names) obj.__requested.add(name.split("/")[0] === "items" ? "items" : name);
      ctx.pending.push(obj);
      return obj;
    };
    obj.__loadNow = () => {
      const values = compute();
      for (const name of obj.__requested) {
        obj.__values[name] = values[name];
        obj.__loaded.add(name);
      }
    };
    for (const name of fields) {
      Object.defineProperty(obj, name, {
        get() {
          if (!obj.__loaded.has(name)) throw NOT_LOADED(name);
          return obj.__values[name];
        },
        set(value) {
          obj.__set(name, value);
        },
        configurable: true,
      });
    }
    obj.__set = () => {
      throw new Error("read-only");
    };
    if (fields.includes("isNullObject")) {
      // as in Excel: isNullObject is known after the next sync, without a load()
      obj.__requested.add("isNullObject");
      ctx.pending.push(obj);
    }
    return obj;
  }

  function rangeProxy(ctx, sheetName, address) {
    const b = parseBox(address);
    const sheetOf = () => model.sheet(sheetName);
    const each = (fn) => {
      for (let r = b.top; r <= b.bottom; r += 1) for (let c = b.left; c <= b.right; c += 1) fn(r, c, `${letter(c)}${r}`);
    };
    const range = loadable(ctx, ["address", "values", "isNullObject"], () => ({
      address: `${sheetName}!${boxAddress(b)}`,
      values: model.values(sheetName, boxAddress(b)),
      isNullObject: false,
    }));
    const put = (matrix, store, what) => {
      if (matrix.length !== b.bottom - b.top + 1 || matrix.some((row) => row.length !== b.right - b.left + 1)) {
        throw new Error(`InvalidArgument: ${what} of ${matrix.length}x${matrix[0]?.length} for ${boxAddress(b)}`);
      }
      ctx.queue.push(() =>
        each((r, c, ref) => {
          let v = matrix[r - b.top][c - b.left];
          if (what === "values" && typeof v === "string" && v.startsWith("'")) v = v.slice(1);
          if (what === "values" && typeof v === "string" && v.startsWith("=")) sheetOf().formulas.set(ref, v);
          store(sheetOf()).set(ref, v);
        }),
      );
    };
    range.__set = (name, value) => {
      if (name === "values") put(value, (s) => s.cells, "values");
      else throw new Error(`read-only ${name}`);
    };
    Object.defineProperty(range, "numberFormat", {
      set(value) {
        put(value, (s) => s.formats, "numberFormat");
      },
    });
    Object.defineProperty(range, "formulas", {
      set(value) {
        put(value, (s) => s.formulas, "formulas");
        put(value, (s) => s.cells, "values");
      },
    });
    range.clear = () =>
      ctx.queue.push(() =>
        each((r, c, ref) => {
          sheetOf().cells.delete(ref);
          sheetOf().formulas.delete(ref);
        }),
      );
    // font and fill settings land in sheet.styles per cell: { "font.bold": true, fill: "#D9E1F2" }
    const styled = (key) => (value) =>
      ctx.queue.push(() =>
        each((r, c, ref) => {
          const cell = sheetOf().styles.get(ref) || {};
          cell[key] = value;
          sheetOf().styles.set(ref, cell);
        }),
      );
    const font = {};
    for (const key of ["bold", "italic", "size", "color"]) {
      Object.defineProperty(font, key, { set: styled(`font.${key}`) });
    }
    const fill = {};
    Object.defineProperty(fill, "color", { set: styled("fill") });
    // column widths in points (sheet.widths by column letter); AutoFit fits the range's own
    // cells: text by its length, numbers and dates as 10 characters, 7 px a character
    const widthOf = () => sheetOf().widths.get(letter(b.left)) ?? DEFAULT_COLUMN_POINTS;
    const format = loadable(ctx, ["columnWidth"], () => ({ columnWidth: widthOf() }));
    format.__set = (name, value) => {
      if (name !== "columnWidth") throw new Error(`read-only ${name}`);
      ctx.queue.push(() => {
        for (let c = b.left; c <= b.right; c += 1) sheetOf().widths.set(letter(c), value);
      });
    };
    format.autofitColumns = () =>
      ctx.queue.push(() => {
        for (let c = b.left; c <= b.right; c += 1) {
          let chars = 0;
          for (let r = b.top; r <= b.bottom; r += 1) {
            const v = model.value(sheetName, `${letter(c)}${r}`);
            if (v !== "" && v !== null && v !== undefined) chars = Math.max(chars, typeof v === "string" ? v.length : 10);
          }
          sheetOf().widths.set(letter(c), chars ? (chars * 7 + 5) * 0.75 : DEFAULT_COLUMN_POINTS);
          sheetOf().autofitted.push(boxAddress(b));
        }
      });
    format.font = font;
    format.fill = fill;
    range.format = format;
    range.worksheet = sheetProxy(ctx, sheetName);
    const validation = {};
    range.dataValidation = {
      clear: () => ctx.queue.push(() => sheetOf().validations.delete(boxAddress(b))),
      set rule(rule) {
        ctx.queue.push(() => sheetOf().validations.set(boxAddress(b), { ...validation, rule }));
        validation.rule = rule;
      },
      set errorAlert(value) {
        validation.errorAlert = value;
      },
      set prompt(value) {
        validation.prompt = value;
        ctx.queue.push(() => sheetOf().validations.set(boxAddress(b), { ...validation }));
      },
    };
    return range;
  }

  function tableProxy(ctx, name) {
    const find = () => model.table(name);
    const table = loadable(ctx, ["name", "isNullObject"], () => ({ name: find()?.name, isNullObject: !find() }));
    table.getRange = () => rangeProxy(ctx, find().sheet, find().address);
    table.getHeaderRowRange = () => {
      const b = parseBox(find().address);
      return rangeProxy(ctx, find().sheet, boxAddress({ ...b, bottom: b.top }));
    };
    Object.defineProperty(table, "worksheet", { get: () => sheetProxy(ctx, find().sheet) });
    table.resize = (range) =>
      ctx.queue.push(() => {
        const b = parseBox(range.__address);
        find().address = boxAddress(b);
      });
    return table;
  }

  function sheetProxy(ctx, name) {
    const sheet = loadable(ctx, ["name", "isNullObject"], () => ({ name, isNullObject: !model.sheet(name) }));
    sheet.getRange = (address) => {
      const range = rangeProxy(ctx, name, address);
      range.__address = address;
      return range;
    };
    sheet.getUsedRangeOrNullObject = () => {
      const cells = [...(model.sheet(name)?.cells.keys() || [])].map(parseCell);
      if (!cells.length) return loadable(ctx, ["isNullObject"], () => ({ isNullObject: true }));
      const b = {
        top: Math.min(...cells.map((c) => c.row)), bottom: Math.max(...cells.map((c) => c.row)),
        left: Math.min(...cells.map((c) => c.col)), right: Math.max(...cells.map((c) => c.col)),
      };
      return rangeProxy(ctx, name, boxAddress(b));
    };
    sheet.tables = {
      add: (range, hasHeaders) => {
        if (!hasHeaders) throw new Error("the add-in always writes a header");
        const address = typeof range === "string" ? range : range.__address;
        const entry = { name: `Table${model.tables.length + 1}`, sheet: name, address: boxAddress(parseBox(address)), style: null };
        ctx.queue.push(() => model.tables.push(entry));
        return {
          set name(value) {
            ctx.queue.push(() => (entry.name = value));
          },
          set style(value) {
            ctx.queue.push(() => (entry.style = value));
          },
        };
      },
    };
    Object.defineProperty(sheet, "visibility", {
      set(value) {
        ctx.queue.push(() => (model.sheet(name).visibility = value));
      },
    });
    Object.defineProperty(sheet, "position", {
      set(value) {
        ctx.queue.push(() => {
          const s = model.sheet(name);
          model.sheets.splice(model.sheets.indexOf(s), 1);
          model.sheets.splice(value, 0, s);
        });
      },
    });
    return sheet;
  }

  function workbookProxy(ctx) {
    const worksheets = loadable(ctx, ["items"], () => ({
      items: model.sheets.map((s) => withName(sheetProxy(ctx, s.name), s.name)),
    }));
    worksheets.getItem = (name) => sheetProxy(ctx, name);
    worksheets.getItemOrNullObject = (name) => sheetProxy(ctx, name);
    worksheets.add = (name) => {
      ctx.queue.push(() => model.addSheet(name));
      return sheetProxy(ctx, name);
    };
    const tables = loadable(ctx, ["items"], () => ({
      items: model.tables.map((t) => withName(tableProxy(ctx, t.name), t.name)),
    }));
    tables.getItemOrNullObject = (name) => tableProxy(ctx, name);
    tables.getItem = (name) => tableProxy(ctx, name);
    const names = loadable(ctx, ["items"], () => ({
      items: [...model.names].map(([name, formula]) => ({ name, formula })),
    }));
    names.add = (name, reference) => ctx.queue.push(() => model.names.set(name, reference));
    names.getItem = (name) => ({ delete: () => ctx.queue.push(() => model.names.delete(name)) });
    return {
      worksheets,
      tables,
      names,
      getSelectedRange: () => rangeProxy(ctx, model.selection.sheet, model.selection.address),
      getActiveCell: () => {
        const cell = model.selection.address.split(":")[0];
        const range = rangeProxy(ctx, model.selection.sheet, cell);
        return range;
      },
    };
  }

  // an item of a collection loaded with "items/name": its name is readable
  function withName(object, name) {
    object.__values.name = name;
    object.__loaded.add("name");
    return object;
  }

  const Excel = {
    async run(batch) {
      const ctx = new Context();
      const result = await batch(ctx);
      await ctx.sync();
      return result;
    },
  };
  return { Excel, model };
}

/** What Excel provides custom functions: CustomFunctions.Error, ErrorCode, associate. */
export function fakeCustomFunctions() {
  const ErrorCode = {
    invalidValue: "#VALUE!",
    notAvailable: "#N/A",
    divisionByZero: "#DIV/0!",
    invalidNumber: "#NUM!",
    nullReference: "#NULL!",
  };
  class CFError extends Error {
    constructor(code, message) {
      super(message);
      this.code = code;
    }
  }
  const associated = {};
  return { Error: CFError, ErrorCode, associate: (id, fn) => (associated[id] = fn), associated };
}
