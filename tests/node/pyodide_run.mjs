// Runs a Python script inside Pyodide under Node, with our wheel installed and a host folder
// mounted at /work, and prints the script's final JSON line.
//   node tests/node/pyodide_run.mjs WHEEL HOST_DIR SCRIPT.py
import { loadPyodide } from 'pyodide';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [wheel, hostDir, script] = process.argv.slice(2);
const t0 = performance.now();
const py = await loadPyodide();
const tBoot = performance.now() - t0;
if (wheel) {
  // Under Node, loadPackage reads a local wheel from the host file system: no micropip, no network.
  const failures = [];
  await py.loadPackage(path.resolve(wheel), { errorCallback: (m) => failures.push(m) });
  if (failures.length) {
    console.error(`cannot install ${wheel}: ${failures.join('; ')}`);
    process.exit(1);
  }
}
if (hostDir) {
  py.FS.mkdirTree('/work');
  py.FS.mount(py.FS.filesystems.NODEFS, { root: path.resolve(hostDir) }, '/work');
}
py.globals.set('BOOT_MS', tBoot);
try {
  const out = await py.runPythonAsync(readFileSync(script, 'utf8'));
  console.log(typeof out === 'string' ? out : JSON.stringify(out));
  process.exit(0);
} catch (e) {
  console.error(String(e.message || e).slice(-4000));  // the Python traceback, not Pyodide's JS stack
  process.exit(1);
}
