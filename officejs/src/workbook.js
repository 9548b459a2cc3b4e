// The workbook side of a refresh, through the Excel JavaScript API.
//
// snapshot(): what the backend's refresh reads (sheet names, tables and where they are, the
// workbook's names, the eCore settings sheets' values). The backend runs the ribbon's own
// refresh over it and answers operations; apply() writes them: first a check of every table's
// room (nothing written when a cell is in the way), then every write, then one sync. A failure
// of the refresh itself comes before any operation exists: all or nothing, as on the ribbon.

const SETTINGS_SHEETS = ["eCore", "eCoreLists"];

/** The snapshot the backend's refresh job takes. */
export async function snapshot(context) {
  const wb = context.workbook;
  const sheets = wb.worksheets;
  sheets.load("items/name");
  const tables = wb.tables;
  tables.load("items/name");
  const names = wb.names;
  names.load("items/name,items/formula");
  await context.sync();
  const found = tables.items.map((table) => {
    const range = table.getRange();
    range.load("address");
    const header = table.getHeaderRowRange();
    header.load("values");
    const sheet = table.worksheet;
    sheet.load("name");
    return { table, range, header, sheet };
  });
  const used = {};
  for (const sheet of sheets.items) {
    if (SETTINGS_SHEETS.includes(sheet.name)) {
      const range = sheet.getUsedRangeOrNullObject(true);
      range.load("address,values");
      used[sheet.name] = range;
    }
  }
  await context.sync();
  const cells = {};
  for (const [name, range] of Object.entries(used)) {
    if (!range.isNullObject) cells[name] = { origin: localAddress(range.address).split(":")[0], values: range.values };
  }
  return {
    sheets: sheets.items.map((s) => s.name),
    tables: found.map(({ table, range, header, sheet }) => ({
      name: table.name,
      sheet: sheet.name,
      address: localAddress(range.address),
      header: header.values[0],
    })),
    names: Object.fromEntries(names.items.map((n) => [n.name, String(n.formula).replace(/^=/, "")])),
    cells,
  };
}

/** "Sheet 1!A1:B2" / "'My sheet'!A1" -> "A1:B2". */
export function localAddress(address) {
  const text = String(address);
  const bang = text.lastIndexOf("!");
  return (bang >= 0 ? text.slice(bang + 1) : text).replace(/\$/g, "");
}

/** "B7" -> {row: 7, col: 2}. */
export function parseCell(ref) {
  const m = /^([A-Za-z]{1,3})(\d+)$/.exec(ref.replace(/\$/g, ""));
  if (!m) throw new Error(`${ref} is not a cell address`);
  let col = 0;
  for (const ch of m[1].toUpperCase()) col = col * 26 + (ch.charCodeAt(0) - 64);
  return { row: Number(m[2]), col };
}

export function columnLetter(col) {
  let s = "";
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

export function cellRef(row, col) {
  return columnLetter(col) + row;
}

function box(address) {
  const [a, b] = localAddress(address).split(":");
  const first = parseCell(a);
  const last = parseCell(b || a);
  return { top: first.row, left: first.col, bottom: last.row, right: last.col };
}

function boxRef({ top, left, bottom, right }) {
  return `${cellRef(top, left)}:${cellRef(bottom, right)}`;
}

/** Header names as cells: text that Excel would read as a formula or number stays text. */
function headerCell(name) {
  return /^[=+\-@\d]/.test(name) ? "'" + name : name;
}

/** Where each table of the operations goes, checked before anything is written. */
async function planTables(context, ops) {
  const plans = [];
  for (const op of ops) {
    if (op.op !== "writeTable") continue;
    const existing = context.workbook.tables.getItemOrNullObject(op.table);
    existing.load("name");
    plans.push({ op, existing });
  }
  await context.sync();
  for (const plan of plans) {
    if (!plan.existing.isNullObject) {
      plan.range = plan.existing.getRange();
      plan.range.load("address");
      plan.headerRange = plan.existing.getHeaderRowRange();
      plan.headerRange.load("values");
    }
  }
  await context.sync();
  const checks = [];
  for (const plan of plans) {
    const { op } = plan;
    const nrows = Math.max(op.rows.length, 1);
    let top;
    let left;
    let old = null;
    let width = op.header.length;
    if (plan.existing.isNullObject) {
      const anchor = parseCell(op.anchor);
      top = anchor.row + (op.note.length ? op.note.length + 1 : 0);
      left = anchor.col;
    } else {
      old = box(plan.range.address);
      top = old.top;
      left = old.left;
      const header = plan.headerRange.values[0].map(String);
      const data = new Set(op.header.map((h) => h.toLowerCase()));
      const kept = header.slice(op.header.length).filter((h) => !data.has(h.toLowerCase()));
      width = op.header.length + kept.length; // the user's calculated columns stay in the table
    }
    const target = { top, left, bottom: top + nrows, right: left + width - 1 };
    Object.assign(plan, { top, left, nrows, width, old, target });
    const area = context.workbook.worksheets.getItem(op.sheet).getRange(boxRef(target));
    area.load("values");
    checks.push({ plan, area });
  }
  if (checks.length) await context.sync();
  for (const { plan, area } of checks) {
    const { target, old } = plan;
    area.values.forEach((row, i) =>
      row.forEach((value, j) => {
        const r = target.top + i;
        const c = target.left + j;
        const inOld = old && r >= old.top && r <= old.bottom && c >= old.left && c <= old.right;
        if (!inOld && value !== "" && value !== null) {
          throw new Error(
            `Sheet '${plan.op.sheet}': ${cellRef(r, c)} is in the way of table ${plan.op.table}. ` +
              "Move that content (or the table), then refresh again.",
          );
        }
      }),
    );
  }
  return plans;
}

/** Write the operations of a refresh (or of an inserted table) into the workbook. */
export async function apply(context, ops) {
  const wb = context.workbook;
  // sheets first: a table check needs its sheet
  for (const op of ops.filter((o) => o.op === "ensureSheet")) {
    const sheet = wb.worksheets.getItemOrNullObject(op.title);
    await context.sync();
    if (sheet.isNullObject) {
      const added = wb.worksheets.add(op.title);
      if (op.first) added.position = 0;
      if (op.hidden) added.visibility = "Hidden";
    } else if (op.hidden) {
      sheet.visibility = "Hidden";
    }
  }
  wb.names.load("items/name");
  await context.sync();
  const names = new Set(wb.names.items.map((n) => n.name.toLowerCase()));
  const plans = await planTables(context, ops);
  let nextPlan = 0;
  const fits = [];
  for (const op of ops) {
    const sheet = op.sheet ? wb.worksheets.getItem(op.sheet) : null;
    if (op.op === "fitColumns") fits.push({ sheet, ref: op.ref });
    if (op.op === "writeTable") writeTable(sheet, plans[nextPlan++], wb);
    else if (op.op === "writeCells") writeCells(sheet, op);
    else if (op.op === "writeColumn") writeColumn(sheet, op);
    else if (op.op === "defineName") defineName(wb, op, names);
    else if (op.op === "listValidation") listValidation(sheet, op);
    else if (op.op === "style") style(sheet, op);
  }
  await context.sync();
  if (fits.length) await fitColumns(context, fits);
}

/** Excel's AutoFit on each range's own cells, column by column, once the values are written; a
 * column already wider (the user's choice) keeps its width. Three syncs for all ranges. */
async function fitColumns(context, fits) {
  const columns = [];
  for (const { sheet, ref } of fits) {
    const b = box(ref);
    for (let col = b.left; col <= b.right; col += 1) {
      const range = sheet.getRange(boxRef({ top: b.top, left: col, bottom: b.bottom, right: col }));
      columns.push({ range, before: range.format.load("columnWidth") });
    }
  }
  await context.sync();
  const widths = columns.map((c) => c.before.columnWidth);
  for (const c of columns) c.range.format.autofitColumns();
  const after = columns.map((c) => c.range.format.load("columnWidth"));
  await context.sync();
  columns.forEach((c, i) => {
    if (after[i].columnWidth < widths[i]) c.range.format.columnWidth = widths[i];
  });
  await context.sync();
}

function writeTable(sheet, plan, wb) {
  const { op, top, left, nrows, width, old } = plan;
  const ncols = op.header.length;
  const body = op.rows.length ? op.rows : [Array(ncols).fill("")];
  sheet.getRange(boxRef({ top, left, bottom: top, right: left + ncols - 1 })).values = [op.header.map(headerCell)];
  const data = sheet.getRange(boxRef({ top: top + 1, left, bottom: top + nrows, right: left + ncols - 1 }));
  data.values = body.map((row) => row.map((v) => (v === null ? "" : v)));
  data.numberFormat = body.map(() => op.formats.map((f) => f || "General"));
  const whole = boxRef({ top, left, bottom: top + nrows, right: left + width - 1 });
  if (old) {
    const table = wb.tables.getItem(op.table);
    table.resize(sheet.getRange(whole));
    if (old.bottom > top + nrows) {
      sheet.getRange(boxRef({ top: top + nrows + 1, left, bottom: old.bottom, right: old.right })).clear("Contents");
    }
    if (old.right > left + width - 1) {
      sheet.getRange(boxRef({ top, left: left + width, bottom: old.bottom, right: old.right })).clear("Contents");
    }
  } else {
    const table = sheet.tables.add(whole, true);
    table.name = op.table;
    table.style = op.style;
    sheet.getRange(whole).format.autofitColumns();
  }
  if (op.note.length && top > 1) {
    const lines = top - 1 >= op.note.length + 1 ? op.note : [op.note.join(" · ")];
    const start = top - lines.length - 1 >= 1 ? top - lines.length - 1 : 1;
    sheet.getRange(boxRef({ top: start, left, bottom: start + lines.length - 1, right: left })).values = lines.map((l) => [l]);
  }
}

function writeCells(sheet, op) {
  for (const [ref, value] of Object.entries(op.values)) {
    const range = sheet.getRange(ref);
    range.values = [[value === null ? "" : value]];
    if (op.formats[ref]) range.numberFormat = [[op.formats[ref]]];
  }
}

function writeColumn(sheet, op) {
  const { row, col } = parseCell(op.anchor);
  if (op.values.length) {
    sheet.getRange(boxRef({ top: row, left: col, bottom: row + op.values.length - 1, right: col })).values =
      op.values.map((v) => [v === null ? "" : v]);
  }
  if (op.clear > 0) {
    const start = row + op.values.length;
    sheet.getRange(boxRef({ top: start, left: col, bottom: start + op.clear - 1, right: col })).clear("Contents");
  }
}

function defineName(wb, op, names) {
  if (names.has(op.name.toLowerCase())) wb.names.getItem(op.name).delete();
  wb.names.add(op.name, op.refersTo);
  names.add(op.name.toLowerCase());
}

function listValidation(sheet, op) {
  const range = sheet.getRange(op.ref);
  range.dataValidation.clear();
  const source = op.source.startsWith('"') ? op.source.slice(1, -1) : op.source;
  range.dataValidation.rule = { list: { inCellDropDown: true, source } };
  range.dataValidation.errorAlert = { showAlert: false }; // several ids in one cell are allowed
  if (op.prompt) range.dataValidation.prompt = { message: op.prompt, showPrompt: true, title: "eCore" };
}

function style(sheet, op) {
  for (const ref of op.refs) {
    const format = sheet.getRange(ref).format;
    format.font.bold = op.bold;
    format.font.italic = op.italic;
    if (op.size) format.font.size = op.size;
    if (op.color) format.font.color = op.color;
    if (op.fill) format.fill.color = op.fill;
  }
}

/** Where the user is: the active sheet and the selection ("B7:C9"). */
export async function selection(context) {
  const range = context.workbook.getSelectedRange();
  range.load("address");
  const sheet = range.worksheet;
  sheet.load("name");
  await context.sync();
  return { sheet: sheet.name, address: localAddress(range.address) };
}

/** Put a formula into the active cell (it spills from there). */
export async function insertFormula(context, formula) {
  const cell = context.workbook.getActiveCell();
  cell.formulas = [[formula]];
  cell.load("address");
  await context.sync();
  return localAddress(cell.address);
}
