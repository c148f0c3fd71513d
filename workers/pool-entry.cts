/**
 * The file the piscina pool is given: CommonJS on purpose. piscina loads a task file with require()
 * first; on Node ≥ 20.19 require() can also load an ES module, and an ES module first required and
 * then imported (by a second handler or a dynamic import) trips a Node assertion ("imported again
 * after being required") that kills the worker. This shim is plain CommonJS, so require() succeeds
 * here, and the real entry point (chunk-worker.js, ESM) is imported once, by the ES module loader.
 */
type Handlers = typeof import('./chunk-worker.js');

// Started as soon as the worker loads this file (piscina requires it at thread start), so the
// module graph is ready before the first task instead of delaying it.
const handlers: Promise<Handlers> = import('./chunk-worker.js');

// What piscina looks up at thread start (the pool's handler name is `ready`, worker-pool.ts) and
// awaits before the thread reports ready. A promise here, not a function, on purpose: once ready,
// an idle worker blocks its event loop in Atomics.wait until a task arrives, which stalls an
// import still in flight, so the modules above loaded only when the first task came (~300 ms into
// a load, then ~100 ms of loading before its sniff). Awaited here, they load while the main
// thread loads its own. Settled either way: modules that fail to load fail each task with their
// error (through load()), as before, rather than the thread at every start.
const ready: Promise<typeof encode> = handlers.then(() => encode, () => encode);

function load(): Promise<Handlers> {
  return handlers;
}

async function encode(task: Parameters<Handlers['encode']>[0]): Promise<ReturnType<Handlers['encode']>> {
  return (await load()).encode(task);
}

async function sniff(task: Parameters<Handlers['sniff']>[0]): Promise<ReturnType<Handlers['sniff']>> {
  return (await load()).sniff(task);
}

async function encodeJson(task: Parameters<Handlers['encodeJson']>[0]): Promise<ReturnType<Handlers['encodeJson']>> {
  return (await load()).encodeJson(task);
}

async function sniffJson(task: Parameters<Handlers['sniffJson']>[0]): Promise<ReturnType<Handlers['sniffJson']>> {
  return (await load()).sniffJson(task);
}

async function processSeries(task: Parameters<Handlers['processSeries']>[0]): Promise<ReturnType<Handlers['processSeries']>> {
  return (await load()).processSeries(task);
}

async function convertWorkbook(task: Parameters<Handlers['convertWorkbook']>[0]): ReturnType<Handlers['convertWorkbook']> {
  return (await load()).convertWorkbook(task);
}

async function listWorksheets(task: Parameters<Handlers['listWorksheets']>[0]): ReturnType<Handlers['listWorksheets']> {
  return (await load()).listWorksheets(task);
}

export = { ready, encode, sniff, encodeJson, sniffJson, processSeries, convertWorkbook, listWorksheets };
