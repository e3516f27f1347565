// The test page's Pyodide worker, booted exactly as the site's converter worker boots: Pyodide from
// the site, our wheel from site.json, then installKernels. Runs the Python it is sent (top-level
// await allowed; SITE is the site's base URL) and posts {result: the last expression} or {error}.
import { loadPyodide } from './pyodide/pyodide.mjs';
import { installKernels } from './runtime/pyodide_bridge.mjs';

const site = new URL('./', import.meta.url);
const threads = Number(new URL(import.meta.url).searchParams.get('threads'));

async function boot() {
  const t0 = performance.now();
  const py = await loadPyodide({ indexURL: new URL('pyodide/', site).href });
  const info = await (await fetch(new URL('site.json', site))).json();
  const failures = [];
  await py.loadPackage(new URL(info.wheel, site).href, { errorCallback: (m) => failures.push(m), messageCallback: () => {} });
  if (failures.length) throw new Error(`cannot install ${info.wheel}: ${failures.join('; ')}`);
  const kernels = await installKernels(py, { kernelsURL: new URL('kernels/', site).href, threads });
  py.globals.set('SITE', site.href);
  return { py, ready: { type: 'ready', kernels, crossOriginIsolated: self.crossOriginIsolated, bootMs: performance.now() - t0 } };
}

// A Pyodide fatal error (e.g. a stack overflow) rejects a promise nobody awaits: report it, don't hang.
self.addEventListener('unhandledrejection', (e) => self.postMessage({ error: `unhandled: ${e.reason?.stack || e.reason}` }));

const booted = boot();
booted.then(({ ready }) => self.postMessage(ready), (e) => self.postMessage({ type: 'fatal', error: String(e.stack || e) }));

self.onmessage = async ({ data }) => {
  try {
    const { py } = await booted;
    const out = await py.runPythonAsync(data.code);
    self.postMessage({ result: String(out) });
  } catch (e) {
    self.postMessage({ error: String(e.message || e).slice(-4000) });
  }
};
