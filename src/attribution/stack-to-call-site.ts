import { builtinOf, isSharedWrapper, nodeModuleOf, packageCategory, type Category } from './categories';
import type { SyncCallRecord } from '../recording/schema';
import { normalizeFrame, ownerOf, packageOf, type Frame } from './frames';
import { identifierAt, NO_SOURCE, type SourceLines } from './source';

/** Where a stack was blocked, named for people. */
export interface Attribution {
  /** First frame in the program's own code (or, when there is none, the first dependency frame). */
  callSite: Frame | null;
  /** What that line called that blocked: `crypto.pbkdf2Sync`, `bcryptjs.hashSync`, `JSON.parse`, or the function itself. */
  operation: string;
  category: Category;
  /** What the call was about, when the stack tells: the module being loaded. */
  detail?: string;
}

/**
 * Which dependency frame is the call site of a stack with none of the program's frames
 * (a dependency's command-line tool, eslint or tsc, run as the main module):
 * - 'entry', for stack samples: its outermost, where the dependency's code was entered.
 *   Every sample of one long stall in the dependency shares it, so the stall is one cause
 *   there (the report lists its hottest functions below it), not one per function the
 *   samples happened to land in (135 causes of ~50 ms for one 6.66 s eslint stall).
 * - 'innermost', for probed calls: the dependency's line that made the call.
 */
export type DependencySite = 'entry' | 'innermost';

/**
 * Attributes one stack (innermost frame first).
 *
 * - callSite: the first frame in the program's own code, skipping Node internals,
 *   builtins and node_modules. A stack that never reaches the program's code (npm's
 *   own startup, say) is attributed to a dependency frame (`withoutProgram`), and one with only
 *   Node's frames to no line at all (nodeInternals): never an internal frame presented
 *   as the program's line.
 * - operation: the outermost thing that call site called. A dependency is named by
 *   package and the function the program called (`bcryptjs.hashSync`); Node's API by
 *   module and function (`fs.readFileSync`); a builtin by its name (`JSON.parse`).
 *   When the call site itself is the innermost frame, the program was computing:
 *   the operation is its function.
 * - category: a known package's nature, else the Node API family found in the
 *   callees, else the builtin's, else `js`.
 */
export function attributeStack(frames: Frame[], source: SourceLines = NO_SOURCE, withoutProgram: DependencySite = 'innermost'): Attribution {
  if (frames.length === 0) return { callSite: null, operation: 'unknown', category: 'unknown' };
  let siteIndex = frames.findIndex((frame) => ownerOf(frame) === 'program');
  if (siteIndex < 0) {
    siteIndex = withoutProgram === 'entry' ? frames.findLastIndex((frame) => ownerOf(frame) === 'dependency') : frames.findIndex((frame) => ownerOf(frame) === 'dependency');
  }
  const loading = moduleLoading(frames, siteIndex);
  if (loading) return loading;
  if (siteIndex < 0) return nodeInternals(frames, source);
  return attributeCallees(frames[siteIndex]!, frames.slice(0, siteIndex), source);
}

/**
 * A stack with none of the program's frames nor a dependency's: Node.js running its own
 * JavaScript (a saturated server's stream and HTTP parser callbacks, the bootstrap of a
 * process). No line is the program's, so none is named: the call site is null (reports
 * say "no program frame: in Node.js internals"), and the operation says what Node was
 * running, by its public module where it belongs to a known family (`fs.writeSync`),
 * else its innermost function and file (`onwrite (node:internal/streams/writable)`).
 */
function nodeInternals(frames: Frame[], source: SourceLines): Attribution {
  const running = frames.find((frame) => frame.file !== null);
  if (!running) return attributeCallees(null, frames, source);
  // The outermost frame of a known family is the public call Node's code made (onwrite's fs.writeSync).
  const call = frames.findLast((frame) => frame.file !== null && nodeModuleOf(frame.file) !== undefined);
  const family = call && nodeModuleOf(call.file!);
  if (call && family && family.category !== 'module') {
    return { callSite: null, operation: `${family.module}.${call.function ?? '<anonymous>'}`, category: family.category };
  }
  const builtin = frames.length > 0 && frames[0]!.file === null ? builtinOf(frames[0]!.function ?? '') : undefined;
  if (builtin) return { callSite: null, operation: builtin.operation, category: builtin.category };
  return { callSite: null, operation: `${running.function ?? '<anonymous>'} (${running.file})`, category: 'js' };
}

const isLoaderFrame = (frame: Frame) =>
  frame.file !== null && (frame.file.startsWith('node:internal/modules/') || frame.file.startsWith('node:internal/deps/cjs-module-lexer'));
const isEsmFrame = (frame: Frame) => frame.file?.startsWith('node:internal/modules/esm/') === true;

/**
 * A stack whose blocking code is a module being loaded: its top-level code, or Node's
 * loader itself (reading, parsing, linking). It is a `module` stall (`require`, or
 * `import` when the ES module loader is on the stack) at the program's line that loaded
 * the module when that line is on the stack (a require, the synchronous part of an
 * import()), else at the module's own frame; `detail` names the module loaded (its
 * outermost frame inside the loader). Not for the main module's own evaluation
 * (run_main, with no program line outer to the loader), which is the program's own
 * startup work.
 */
function moduleLoading(frames: Frame[], siteIndex: number): Attribution | undefined {
  const loaderAt = frames.findIndex(isLoaderFrame);
  if (loaderAt < 0) return undefined;
  const callerAt = siteIndex > loaderAt ? siteIndex : frames.findIndex((f, i) => i > loaderAt && ownerOf(f) === 'program');
  if (callerAt < 0 && frames.some((f) => f.file === 'node:internal/modules/run_main')) return undefined;
  const loaded = frames.slice(0, loaderAt).findLast((f) => ownerOf(f) === 'program' || ownerOf(f) === 'dependency');
  const attribution: Attribution = {
    callSite: callerAt >= 0 ? frames[callerAt]! : loaded ?? null,
    operation: frames.some(isEsmFrame) ? 'import' : 'require',
    category: 'module',
  };
  if (loaded?.file) attribution.detail = loaded.file;
  return attribution;
}

/** `callees` are the frames above the call site, innermost first. */
function attributeCallees(callSite: Frame | null, callees: Frame[], source: SourceLines): Attribution {
  if (callees.length === 0) return ownWork(callSite);
  const outermost = callees[callees.length - 1]!;
  const category = calleeCategory(callees);
  const owner = ownerOf(outermost);
  if (owner === 'dependency') {
    const pkg = packageOf(outermost.file!)!;
    // A method names its class: express's res.json is `express.ServerResponse.json`, not
    // `express.json`, which is the body parser the package exports under that name.
    const method = outermost.receiver === undefined ? '' : `${outermost.receiver}.`;
    return {
      callSite,
      operation: `${pkg}.${method}${outermost.function ?? '<anonymous>'}`,
      category: packageCategory(pkg) ?? category ?? 'js',
    };
  }
  if (owner === 'builtin') {
    const builtin = builtinOf(outermost.function ?? '');
    if (!builtin) return ownWork(callSite);
    return { callSite, operation: builtin.operation, category: builtin.category };
  }
  // Node's own JavaScript: name it by its public module. Callees outside the known
  // families (a getter, an event emitter) are part of the program's own work.
  const family = nodeModuleOf(outermost.file!);
  if (!family && !category) return ownWork(callSite);
  const name = outermost.function ?? '<anonymous>';
  if (family?.category === 'module') return { callSite, operation: callees.some(isEsmFrame) ? 'import' : 'require', category: 'module' };
  const calledName = isSharedWrapper(name) ? calledIdentifier(callSite, source) ?? 'sync call' : name;
  const operation = family ? `${family.module}.${calledName}` : calledName;
  return { callSite, operation, category: category ?? 'js' };
}

/**
 * The category of the blocking found among the callees, outermost first: the first
 * frame that belongs to a known Node API family or builtin decides.
 */
function calleeCategory(callees: Frame[]): Category | undefined {
  for (let i = callees.length - 1; i >= 0; i--) {
    const frame = callees[i]!;
    const owner = ownerOf(frame);
    if (owner === 'node') {
      const family = nodeModuleOf(frame.file!);
      if (family) return family.category;
    } else if (owner === 'builtin') {
      const builtin = builtinOf(frame.function ?? '');
      if (builtin) return builtin.category;
    } else if (owner === 'dependency') {
      const known = packageCategory(packageOf(frame.file!)!);
      if (known) return known;
    }
  }
  return undefined;
}

/** The call site's function was computing by itself: it is its own operation. */
export function ownWork(callSite: Frame | null): Attribution {
  return { callSite, operation: callSite ? callSite.function ?? '<anonymous>' : 'unknown', category: callSite ? 'js' : 'unknown' };
}

/** The name written at the call site (`gzipSync` in `zlib.gzipSync(buf)`), when the source can be read. */
function calledIdentifier(callSite: Frame | null, source: SourceLines): string | undefined {
  if (!callSite?.file || callSite.line === null || callSite.column === null) return undefined;
  const text = source.line(callSite.file, callSite.line);
  return text === undefined ? undefined : identifierAt(text, callSite.column);
}

/**
 * Names a call timed by a probe (`crypto.pbkdf2Sync`, `require`) from its caller's stack.
 * A call the program made itself keeps the probe's name. A call made for the program by
 * a dependency takes the dependency's name, as a sample would: dns-sync's resolve runs
 * child_process.execFileSync, and the program called `dns-sync.resolve`.
 */
export function attributeProbedCall(
  stack: Frame[],
  operation: string,
  category: Category,
  source: SourceLines = NO_SOURCE,
): Attribution & { viaDependency: boolean } {
  const attribution = attributeStack(stack, source);
  // Node's loader reading a module's source: part of loading it.
  if (attribution.category === 'module' && category !== 'module') return { ...attribution, viaDependency: false };
  const siteAt = attribution.callSite === null ? 0 : stack.indexOf(attribution.callSite);
  const viaDependency = stack.slice(0, Math.max(0, siteAt)).some((f) => ownerOf(f) === 'dependency');
  if (viaDependency && ownerOf(attribution.callSite!) === 'program') {
    return { ...attribution, category: attribution.category === 'js' ? category : attribution.category, viaDependency };
  }
  return { callSite: attribution.callSite, operation, category, viaDependency: false };
}

/**
 * Names a timed call into a native addon (SyncCallRecord.addon) from its caller's stack.
 * The program called the addon's binding either directly (`stmt.run()` on
 * better-sqlite3's native Statement: the binding's own name, `better-sqlite3.Statement.run`)
 * or through the package's own JavaScript (bcrypt's `hashSync` calls the binding's
 * `encrypt_sync`): then what the program called is named (`bcrypt.hashSync`), and the
 * wrapper is to the binding what Node's JavaScript is to its C++, so the call is the
 * program's own (`viaDependency: false`). A call made through another package (an ORM
 * over better-sqlite3) is named after that package, as attributeProbedCall names any
 * call a dependency made. The category is the probe's: the addon package's nature, or
 * `native`.
 */
export function attributeAddonCall(
  stack: Frame[],
  operation: string,
  category: Category,
  addon: string,
  source: SourceLines = NO_SOURCE,
): Attribution & { viaDependency: boolean } {
  const attribution = attributeStack(stack, source);
  if (attribution.category === 'module' || attribution.callSite === null) return attributeProbedCall(stack, operation, category, source);
  const callees = stack.slice(0, Math.max(0, stack.indexOf(attribution.callSite)));
  const packages = callees.filter((f) => ownerOf(f) === 'dependency').map((f) => packageOf(f.file!)!);
  if (packages.some((pkg) => pkg !== addon)) return attributeProbedCall(stack, operation, category, source);
  // The outermost frame of the addon's package is the function the program called.
  const wrapper = callees.findLast((f) => ownerOf(f) === 'dependency');
  const called = wrapper ? `${addon}.${wrapper.function ?? '<anonymous>'}` : operation;
  return { callSite: attribution.callSite, operation: called, category, viaDependency: false };
}

/** A recorded sync call, attributed: its stack as reports show it, and what attributeProbedCall says of it. */
export type AttributedSyncCall = ReturnType<typeof attributeProbedCall> & { stack: Frame[] };

const attributedSyncCalls = new WeakMap<SyncCallRecord, AttributedSyncCall>();

/**
 * Attributes a recorded sync call once: a stall's causes and the sync I/O section both
 * ask for the same call.
 */
export function attributeSyncCall(call: SyncCallRecord, source: SourceLines = NO_SOURCE): AttributedSyncCall {
  let attributed = attributedSyncCalls.get(call);
  if (!attributed) {
    const stack = call.frames.map(normalizeFrame);
    const category = call.category as Category;
    const named =
      call.addon !== undefined
        ? attributeAddonCall(stack, call.operation, category, call.addon, source)
        : attributeProbedCall(stack, call.operation, category, source);
    attributed = { ...named, stack };
    attributedSyncCalls.set(call, attributed);
  }
  return attributed;
}
