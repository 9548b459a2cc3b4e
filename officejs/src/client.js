// The add-in's only way to eCore data: HTTP to its backend (`ecore-xl serve`), same origin.
//
// The per-install token comes from the page the backend served (<meta name="ecore-token">): a
// page of another origin cannot read it, and the backend refuses calls without it.

/** An answer of the backend that is an error: its code, one-line message and Excel error. */
export class BackendError extends Error {
  constructor({ code, message, excel, status, parameter }) {
    super(message);
    this.name = "BackendError";
    this.code = code;
    this.excel = excel || "#N/A";
    this.status = status;
    this.parameter = parameter;
  }
}

/** The token the backend put into the page that loaded this script. */
export function pageToken(doc = globalThis.document) {
  const meta = doc && doc.querySelector && doc.querySelector('meta[name="ecore-token"]');
  const token = meta ? meta.getAttribute("content") : "";
  return token && !token.startsWith("%") ? token : "";
}

/** Calls to one backend. `base` is its origin ("" in the add-in: the page's own). */
export class Backend {
  constructor({ base = "", token = pageToken(), fetchImpl = (...a) => globalThis.fetch(...a) } = {}) {
    this.base = base.replace(/\/$/, "");
    this.token = token;
    this.fetch = fetchImpl; // a browser's fetch needs its window as `this`: never a bare method
  }

  async request(method, path, body, { signal, raw = false } = {}) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await this.fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (error && error.name === "AbortError") throw error;
      throw new BackendError({
        code: "BackendUnreachable",
        message: "The eCore backend does not answer: start it with 'ecore-xl serve'.",
        excel: "#N/A",
      });
    }
    if (raw && response.ok) return response;
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = (data && data.error) || {
        code: "HTTP" + response.status,
        message: `The eCore backend answered HTTP ${response.status}.`,
      };
      throw new BackendError({ status: response.status, ...error });
    }
    return data;
  }

  get(path, options) {
    return this.request("GET", path, undefined, options);
  }

  post(path, body, options) {
    return this.request("POST", path, body ?? {}, options);
  }

  /** A file the backend serves behind the token (a report job's workbook), as a Blob. */
  async download(path, { signal } = {}) {
    const response = await this.request("GET", path, undefined, { signal, raw: true });
    return response.blob();
  }

  /** One worksheet function: `name` as in functions.json, Excel's argument values. */
  call(name, args, { offline = null, signal } = {}) {
    return this.post(`/api/v1/functions/${encodeURIComponent(name)}`, { args, offline }, { signal });
  }

  /** Start a job and wait for it, reporting its progress text; resolves to its result. */
  async job(kind, body, { onProgress = () => {}, interval = 250, signal } = {}) {
    let job = await this.post(`/api/v1/jobs/${kind}`, body, { signal });
    while (job.state === "running") {
      onProgress(job.message, job);
      await new Promise((resolve) => setTimeout(resolve, interval));
      job = await this.get(`/api/v1/jobs/${encodeURIComponent(job.id)}`, { signal });
    }
    if (job.state === "failed") throw new BackendError(job.error);
    onProgress(job.message, job);
    return job.result;
  }
}
