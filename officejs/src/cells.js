// The backend's answers as Excel cell values for a custom function.
//
// A table spills as a matrix: its header row (unless header=FALSE), then its rows. A date or
// date-time comes as its serial number with a number format; it is handed to Excel as a
// formatted number ({type: "Double", basicValue, numberFormat}: functions.json allows custom data
// types), so it shows as a date and still sorts and sums as one. Errors become real Excel errors
// carrying the one-line message: #VALUE! for an argument to fix, #N/A for anything else.

/** The matrix a table answer spills (`formatted`: dates as formatted numbers). */
export function tableMatrix(answer, { formatted = true } = {}) {
  const formats = answer.formats || [];
  const cellFormats = answer.cellFormats || null;
  const rows = answer.rows.map((row, i) =>
    row.map((value, j) => {
      const format = (cellFormats && cellFormats[i] && cellFormats[i][j]) || formats[j];
      if (formatted && format && typeof value === "number") {
        return { type: "Double", basicValue: value, numberFormat: format };
      }
      return value === null || value === undefined ? "" : value;
    }),
  );
  return answer.showHeader === false ? rows : [answer.header.slice(), ...rows];
}

/** The cell value of a function's answer. */
export function answerValue(answer, options) {
  if (answer.kind === "number") return answer.value;
  return tableMatrix(answer, options);
}

/** A CustomFunctions.Error for a backend error (`CF`: the CustomFunctions namespace). */
export function excelError(CF, error) {
  const code = error && error.excel === "#VALUE!" ? CF.ErrorCode.invalidValue : CF.ErrorCode.notAvailable;
  const message = String((error && error.message) || "eCore: unknown error").slice(0, 255);
  return new CF.Error(code, message);
}

/** A formula for a dataset function: `=ECORE.VOLUMES("MTR-1", "2026-03-01", , "hour")`. */
export function formulaText(namespace, name, values) {
  let last = values.length;
  while (last > 0 && (values[last - 1] === "" || values[last - 1] == null)) last -= 1;
  const args = values.slice(0, last).map((v) => {
    if (v === "" || v == null) return "";
    if (typeof v === "number" || typeof v === "boolean") return String(v).toUpperCase();
    return `"${String(v).replace(/"/g, '""')}"`;
  });
  return `=${namespace}.${name}(${args.join(", ")})`;
}
