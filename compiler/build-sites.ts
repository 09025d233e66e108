// Request sites of the build path: `export const NAME = grad(fn, { wrt })` in a .ts module,
// where `grad` / `valueAndGrad` come from "gradc". Each becomes a GradRequest.
import type * as ESTree from "acorn";
import { Node, SyntaxKind, type CallExpression, type Expression, type Identifier, type Project } from "ts-morph";
import { refuse } from "./errors.js";
import type { FnNode, ResolveFn, SourceFn, SourceText } from "./parse/source.js";
import { EstreeConverter } from "./parse/ts-estree.js";
import { kindsFromSignature, locateFunction, parseTsModule, resolver, unwrapMorph, type TsFunctionLike, type TsModule } from "./parse/typescript.js";
import { isMode, MODES } from "./modes.js";
import { callingWrapper, mathArity, mathParamNames, notComposable, PAIR_HINT, wrapperParams } from "./derived.js";
import type { Kind } from "./kinds.js";
import type { CheckpointSpec, GradRequest, JacobianMode, Mode } from "./request.js";
import { checkedSchedule, parameterNames, resolveWrt } from "./request-options.js";
import { moduleValues, withModuleValues } from "./module-values.js";

export type WrtSpec = string | number | (string | number)[] | undefined;

export interface RequestSite {
  /** NAME of `export const NAME = grad(...)` (for other sites, a name made from the function and mode). */
  exportName: string;
  request: GradRequest;
  /** 1-based line of the site in its module. */
  line: number;
  /** Offsets of the request call in its module (the plugin replaces it). */
  start?: number;
  end?: number;
}

/** The API functions whose calls are request sites. */
export const API_FUNCTIONS = new Set(Object.keys(MODES));
const WRT_HINT = "Write wrt as a parameter name, an index, or an array of those, e.g. { wrt: \"w\" } or { wrt: [0, 1] }.";

/**
 * The request sites of the module at `filePath`, in source order: `export const NAME = grad(…)`,
 * or with `all` every call of the API (refusing any other use of it, which could not be compiled).
 */
export function findRequestSites(project: Project, filePath: string, all = false, exportsAdded = false): RequestSite[] {
  const mod = parseTsModule(project, filePath);
  const callees = gradcCallees(mod);
  if (callees.named.size === 0 && callees.namespaces.size === 0) return [];
  const calls = all ? allCalls(mod, callees) : exportedCalls(mod, callees);
  const taken = new Set<string>();
  return calls.map(({ call, mode, name }) => {
    let exportName = name;
    for (let n = 2; taken.has(exportName); n++) exportName = `${name}_${n}`;
    taken.add(exportName);
    const request = siteRequest(project, mod, call, mode, exportName, callees, exportsAdded);
    return { exportName, request, line: call.getStartLineNumber(), start: call.getStart(), end: call.getEnd() };
  });
}

interface SiteCall { call: CallExpression; mode: Mode; name: string }

function exportedCalls(mod: TsModule, callees: Callees): SiteCall[] {
  const calls: SiteCall[] = [];
  for (const stmt of mod.sourceFile.getVariableStatements()) {
    if (!stmt.isExported()) continue;
    for (const decl of stmt.getDeclarations()) {
      const init = decl.getInitializer();
      const call = init && unwrapMorph(init);
      const mode = call && Node.isCallExpression(call) ? modeOfCallee(call.getExpression(), callees) : undefined;
      if (mode) calls.push({ call: call as CallExpression, mode, name: decl.getName() });
    }
  }
  return calls;
}

/** Every call of the API; any other reference to it is refused. */
function allCalls(mod: TsModule, callees: Callees): SiteCall[] {
  const calls: SiteCall[] = [];
  mod.sourceFile.forEachDescendant((node) => {
    const name = Node.isIdentifier(node) ? node.getText() : "";
    if (!callees.named.has(name) && !callees.namespaces.has(name)) return;
    const parent = node.getParentOrThrow();
    if (Node.isImportSpecifier(parent) || Node.isNamespaceImport(parent) || !refersToImport(node as Identifier, parent)) return;
    const member = Node.isPropertyAccessExpression(parent) && parent.getExpression() === node;
    if (member && !isMode(parent.getName())) {
      // The namespace import goes when its sites are compiled: other members would be left dangling.
      throw refuse(mod.source, span(parent), "request", `'${parent.getText()}' through a namespace import of "gradc" cannot stay once its derivatives are compiled.`,
        `Import it by name: import { ${parent.getName()} } from "gradc".`);
    }
    const callee = member ? parent : node;
    const call = callee.getParent();
    const mode = Node.isCallExpression(call) && call.getExpression() === callee ? modeOfCallee(callee, callees) : undefined;
    // `grad(f)` in `grad(grad(f))` is part of the outer site.
    if (mode && derivativeTarget(call as CallExpression, callees)) return;
    if (!mode) {
      throw refuse(mod.source, span(callee), "request", `'${callee.getText()}' from "gradc" is used here other than as a call gradc can compile at build time.`,
        "Call it directly with the function to differentiate, e.g. const lossGrad = grad(loss, { wrt: \"w\" }).");
    }
    const holder = unwrappedParent(call as CallExpression);
    const fnText = (call as CallExpression).getArguments()[0]?.getText() ?? "f";
    calls.push({ call: call as CallExpression, mode, name: Node.isVariableDeclaration(holder) ? holder.getName() : `${/^[A-Za-z_$][\w$]*$/.test(fnText) ? fnText : "f"}_${mode}` });
  });
  return calls;
}

/**
 * Whether `id` (named like a gradc import) is that import: not a property name (`p.grad`,
 * `{ grad: 0 }`), a local that shadows it, or a type (`gradc.GradOptions`, erased).
 * A shorthand `{ grad }` or `export { grad }` passes the import on, so it counts.
 */
function refersToImport(id: Identifier, parent: Node): boolean {
  if (Node.isShorthandPropertyAssignment(parent) || Node.isExportSpecifier(parent)) return true;
  if (id.getFirstAncestor((a) => Node.isTypeNode(a)) || Node.isQualifiedName(parent)) return false;
  return id.getSymbol()?.getDeclarations().some((d) => Node.isImportSpecifier(d) || Node.isNamespaceImport(d)) ?? false;
}

/** The node around `node` past parentheses and type assertions. */
function unwrappedParent(node: Node): Node | undefined {
  let parent = node.getParent();
  while (parent && (Node.isParenthesizedExpression(parent) || Node.isAsExpression(parent) || Node.isSatisfiesExpression(parent) || Node.isNonNullExpression(parent))) parent = parent.getParent();
  return parent;
}

type Callees = ReturnType<typeof gradcCallees>;

/** Local names bound to gradc's `grad` / `valueAndGrad`, and namespace imports of "gradc". */
function gradcCallees(mod: TsModule): { named: Map<string, Mode>; namespaces: Set<string> } {
  const named = new Map<string, Mode>();
  const namespaces = new Set<string>();
  for (const imp of mod.sourceFile.getImportDeclarations()) {
    if (imp.getModuleSpecifierValue() !== "gradc" || imp.isTypeOnly()) continue;
    const ns = imp.getNamespaceImport();
    if (ns) namespaces.add(ns.getText());
    for (const spec of imp.getNamedImports()) {
      const mode = isMode(spec.getName()) ? spec.getName() as Mode : undefined;
      if (mode && !spec.isTypeOnly()) named.set(spec.getAliasNode()?.getText() ?? spec.getName(), mode);
    }
  }
  return { named, namespaces };
}

function modeOfCallee(callee: Node, callees: Callees): Mode | undefined {
  if (Node.isIdentifier(callee)) return callees.named.get(callee.getText());
  if (Node.isPropertyAccessExpression(callee) && callees.namespaces.has(callee.getExpression().getText())) {
    return isMode(callee.getName()) ? (callee.getName() as Mode) : undefined;
  }
  return undefined;
}

/** Whether `call` is the function another API call differentiates (`grad(f)` in `grad(grad(f))`). */
function derivativeTarget(call: CallExpression, callees: Callees): boolean {
  const outer = unwrappedParent(call);
  if (!Node.isCallExpression(outer) || !modeOfCallee(outer.getExpression(), callees)) return false;
  const first = outer.getArguments()[0];
  return first !== undefined && unwrapMorph(first) === call;
}

function siteRequest(project: Project, mod: TsModule, call: CallExpression, mode: Mode, exportName: string, callees: Callees, exportsAdded: boolean): GradRequest {
  const [fnArg, optsArg, ...extra] = call.getArguments();
  if (!fnArg || extra.length > 0) {
    throw refuse(mod.source, span(call), "request", `${mode}() takes the function and an optional options object.`, `e.g. ${mode}(loss, { wrt: "w" }).`);
  }
  const target = siteTarget(project, mod, fnArg as Expression, exportName, callees);
  const opts = readOptions(mod, optsArg, mode);
  const kinds = target.kinds;
  return withModuleValues({
    fn: target.fn,
    resolve: withAliases(resolver(project), project, mod, opts.functions),
    kinds,
    ...wrtIndices(opts.wrt, target.fn, mod.source, opts.wrtNode ?? span(call)),
    mode,
    ...(opts.jacobianMode && { jacobianMode: opts.jacobianMode }),
    ...(opts.checkpoint && { checkpoint: opts.checkpoint }),
    ...(opts.output !== undefined && { output: opts.output }),
    moduleValue: moduleValues(project, mod.path, exportsAdded),
  });
}

/**
 * The differentiated function and its parameter kinds. A derivative made by the API
 * (`grad(grad(f))`, `jacobian(grad(f, { wrt: "x" }))`) is the wrapper `(x) => grad(f)(x)`
 * over the call as written (compiler/derived.ts); its kinds are f's, and for jvp and hvp
 * the tangent's or direction's, shaped like the wrt parameter.
 */
function siteTarget(project: Project, mod: TsModule, arg: Expression, exportName: string, callees: Callees): { fn: SourceFn; kinds: Kind[] } {
  const node = boundDerivative(unwrapMorph(arg), callees) ?? unwrapMorph(arg);
  const mode = Node.isCallExpression(node) ? modeOfCallee(node.getExpression(), callees) : undefined;
  const math = Node.isPropertyAccessExpression(node) && node.getExpression().getText() === "Math" ? node.getName() : undefined;
  if (math !== undefined && mathArity(math) !== undefined) {
    // `Math.tanh` as a function: `(x) => Math.tanh(x)`.
    const member = new EstreeConverter(mod.sourceFile.compilerNode).expression(node.compilerNode as never);
    const params = mathParamNames(math);
    return { fn: { name: math, node: callingWrapper(member, params, member), source: mod.source }, kinds: params.map((): Kind => ({ k: "num" })) };
  }
  if (!mode) {
    const target = siteFunction(project, mod, arg, exportName);
    // (A black box's declaration is its rule's, whose first parameters are f's.)
    return { fn: target.fn, kinds: kindsFromSignature(target.declaration, target.fn.source).slice(0, target.fn.node.params.length) };
  }
  const call = node as CallExpression;
  const [fnArg, optsArg] = call.getArguments();
  if (!fnArg) throw refuse(mod.source, span(call), "request", `${mode}() takes the function and an optional options object.`, `e.g. ${mode}(loss, { wrt: "w" }).`);
  const inner = siteTarget(project, mod, fnArg as Expression, `${exportName}_inner`, callees);
  const why = notComposable(mode, fnArg.getText());
  if (why) throw refuse(mod.source, span(call), `derivative of ${mode}`, why, PAIR_HINT);
  const { wrt, wrtIsList } = wrtIndices(readOptions(mod, optsArg, mode).wrt, inner.fn, mod.source, span(optsArg ?? call));
  const extra = MODES[mode].extra > 0 ? [wrtIsList ? undefined : inner.kinds[wrt[0]]] : [];
  if (extra.includes(undefined)) {
    throw refuse(mod.source, span(call), `derivative of ${mode}`, `${mode} with a list of wrt takes its ${mode === "jvp" ? "tangents" : "directions"} as an array, which cannot be an argument of a function gradc differentiates.`, "Give wrt one parameter.");
  }
  const estree = new EstreeConverter(mod.sourceFile.compilerNode).expression(call.compilerNode) as ESTree.CallExpression;
  const avoid = new Set<string>([mode, ...call.getDescendantsOfKind(SyntaxKind.Identifier).map((i) => i.getText())]);
  const name = `${mode}_${inner.fn.name}`;
  const wrapper = callingWrapper(estree, wrapperParams(inner.fn.node, mode, avoid), estree);
  return { fn: { name, node: wrapper, source: mod.source }, kinds: [...inner.kinds, ...(extra as Kind[])] };
}

/** For a name bound by `const d = grad(f, …)` (in the module or a function), that call. */
function boundDerivative(node: Node, callees: Callees): Node | undefined {
  if (!Node.isIdentifier(node)) return undefined;
  const decl = node.getSymbol()?.getDeclarations()[0];
  if (!decl || !Node.isVariableDeclaration(decl) || decl.getVariableStatement()?.getDeclarationKind() !== "const") return undefined;
  const init = decl.getInitializer();
  const call = init && unwrapMorph(init);
  return call && Node.isCallExpression(call) && modeOfCallee(call.getExpression(), callees) ? call : undefined;
}

/** The differentiated function: a name declared in or imported into the module, or an inline function. */
function siteFunction(project: Project, mod: TsModule, arg: Expression, exportName: string): { fn: SourceFn; declaration: TsFunctionLike } {
  const node = unwrapMorph(arg);
  if (Node.isArrowFunction(node) || Node.isFunctionExpression(node)) {
    const converted = new EstreeConverter(mod.sourceFile.compilerNode).fn(node.compilerNode) as FnNode;
    return { fn: { name: exportName, node: converted, source: mod.source }, declaration: node };
  }
  const found = Node.isIdentifier(node) ? locateFunction(project, mod, node.getText()) : undefined;
  if (!found) {
    throw refuse(mod.source, span(arg), "request function", `'${arg.getText()}' is not a function declared in or imported into this module.`,
      "Pass the name of a function declared here or imported from a relative .ts or .js file.");
  }
  if (found.custom) {
    // A function with a custom rule is differentiated through a call of it, which takes the rule.
    const at = { start: node.getStart(), end: node.getEnd() };
    const callee: ESTree.Identifier = { type: "Identifier", name: node.getText(), ...at };
    return { fn: { name: found.name, node: callingWrapper(callee, wrapperParams(found.node, "grad", new Set([node.getText()])), at), source: mod.source }, declaration: found.declaration };
  }
  return { fn: { name: found.name, node: found.node, source: found.source }, declaration: found.declaration };
}

interface SiteOptions {
  wrt: WrtSpec;
  wrtNode?: ESTree.Node;
  /** `functions: { name: localFunction }`: callee names resolved to functions of this module. */
  functions: Map<string, string>;
  /** `mode` of a jacobian request. */
  jacobianMode?: JacobianMode;
  /** Schedule for loops marked `// @checkpoint`. */
  checkpoint?: CheckpointSpec;
  /** `output` of grad / valueAndGrad: the entry of a typed-array result. */
  output?: number;
}

/** `checkpoint: "sqrt" | "binomial" | { snapshots: k }`, written as a literal. */
function checkpointOf(mod: TsModule, init: Node): CheckpointSpec {
  const node = unwrapMorph(init);
  const prop = Node.isObjectLiteralExpression(node) && node.getProperties().length === 1 ? node.getProperties()[0] : undefined;
  const k = prop && Node.isPropertyAssignment(prop) ? unwrapMorph(prop.getInitializerOrThrow()) : undefined;
  const value = Node.isStringLiteral(node) ? node.getLiteralValue()
    : prop && k && Node.isNumericLiteral(k) ? { [(prop as { getName(): string }).getName()]: k.getLiteralValue() } : node.getText();
  const fail = (message: string) => refuse(mod.source, span(init), "checkpoint option", `${message} Write it as a literal.`, "");
  return checkedSchedule(value, fail) as CheckpointSpec; // (value is never undefined)
}

function jacobianModeOf(mod: TsModule, init: Node): JacobianMode {
  const node = unwrapMorph(init);
  const value = Node.isStringLiteral(node) ? node.getLiteralValue() : "";
  if (value === "forward" || value === "reverse" || value === "auto") return value;
  throw refuse(mod.source, span(init), "jacobian mode", "A jacobian's mode must be \"forward\", \"reverse\" or \"auto\".", "");
}

/** `output: k`, an integer literal (negative: `-1`). */
function outputOf(mod: TsModule, init: Node): number {
  const node = unwrapMorph(init);
  const negative = Node.isPrefixUnaryExpression(node) && node.getOperatorToken() === SyntaxKind.MinusToken;
  const literal = negative ? unwrapMorph(node.getOperand()) : node;
  const value = Node.isNumericLiteral(literal) ? (negative ? -1 : 1) * literal.getLiteralValue() : NaN;
  if (Number.isInteger(value)) return value;
  throw refuse(mod.source, span(init), "output option", "output must be an integer literal: the index of the result's entry to differentiate (negative: from the end, -1 the last).", "");
}

function readOptions(mod: TsModule, arg: Node | undefined, mode: Mode): SiteOptions {
  const opts: SiteOptions = { wrt: undefined, functions: new Map() };
  if (!arg) return opts;
  const obj = unwrapMorph(arg);
  if (!Node.isObjectLiteralExpression(obj)) {
    throw refuse(mod.source, span(arg), "request options", "The options of a build-time request must be an object literal.", WRT_HINT);
  }
  for (const prop of obj.getProperties()) {
    const name = Node.isPropertyAssignment(prop) || Node.isShorthandPropertyAssignment(prop) ? prop.getName() : "";
    if (name === "wrt" && Node.isPropertyAssignment(prop)) {
      opts.wrt = literalWrt(mod, prop.getInitializerOrThrow());
      opts.wrtNode = span(prop);
    } else if (name === "output" && Node.isPropertyAssignment(prop) && MODES[mode].options.includes("output")) {
      opts.output = outputOf(mod, prop.getInitializerOrThrow());
    } else if (name === "mode" && Node.isPropertyAssignment(prop)) {
      opts.jacobianMode = jacobianModeOf(mod, prop.getInitializerOrThrow());
    } else if (name === "checkpoint" && Node.isPropertyAssignment(prop)) {
      opts.checkpoint = checkpointOf(mod, prop.getInitializerOrThrow());
    } else if (name === "functions" && Node.isPropertyAssignment(prop)) {
      opts.functions = functionAliases(mod, prop.getInitializerOrThrow());
    } else {
      throw refuse(mod.source, span(prop), "request option", `Option '${name || prop.getText()}' is not supported in a build-time request.`,
        name === "out" ? "Pass output buffers as the last argument of the generated function instead." : "The options of a build-time request are wrt, functions, checkpoint, for grad and valueAndGrad output, and for jacobian and batchJacobian mode.");
    }
  }
  return opts;
}

function literalWrt(mod: TsModule, init: Node): WrtSpec {
  const node = unwrapMorph(init);
  if (Node.isArrayLiteralExpression(node)) return node.getElements().map((e) => literalWrtItem(mod, e));
  return literalWrtItem(mod, node);
}

function literalWrtItem(mod: TsModule, init: Node): string | number {
  const node = unwrapMorph(init);
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return node.getLiteralValue();
  if (Node.isNumericLiteral(node)) return node.getLiteralValue();
  throw refuse(mod.source, span(init), "wrt", "wrt must be written as a literal in a build-time request.", WRT_HINT);
}

function functionAliases(mod: TsModule, init: Node): Map<string, string> {
  const aliases = new Map<string, string>();
  const node = unwrapMorph(init);
  const props = Node.isObjectLiteralExpression(node) ? node.getProperties() : [];
  for (const prop of props) {
    const value = Node.isShorthandPropertyAssignment(prop) ? prop.getNameNode() : Node.isPropertyAssignment(prop) ? unwrapMorph(prop.getInitializerOrThrow()) : undefined;
    if (!value || !Node.isIdentifier(value)) {
      throw refuse(mod.source, span(prop), "functions option", "Each entry of `functions` must name a function of this module.", "e.g. functions: { softplus }.");
    }
    aliases.set((prop as { getName(): string }).getName(), value.getText());
  }
  if (props.length === 0 && !Node.isObjectLiteralExpression(node)) {
    throw refuse(mod.source, span(init), "functions option", "`functions` must be an object literal.", "e.g. functions: { softplus }.");
  }
  return aliases;
}

/** Callee names not found by ordinary lookup fall back to the request's `functions` option. */
function withAliases(base: ResolveFn, project: Project, mod: TsModule, aliases: Map<string, string>): ResolveFn {
  if (aliases.size === 0) return base;
  return (name, from) => {
    const direct = base(name, from);
    const alias = aliases.get(name);
    if (direct || alias === undefined) return direct;
    const found = locateFunction(project, mod, alias);
    return found && { name: found.name, node: found.node, source: found.source };
  };
}

/** Parameter indices for `wrt` (absent: the first parameter). */
export function wrtIndices(spec: WrtSpec, fn: SourceFn, source: SourceText, at: ESTree.Node | undefined, hint = WRT_HINT): { wrt: number[]; wrtIsList: boolean } {
  const { wrt, list } = resolveWrt(spec, fn.name, parameterNames(fn.node), (message) => refuse(source, at, "wrt", message, hint));
  return { wrt, wrtIsList: list };
}

/** A position-only node for diagnostics about ts-morph nodes. */
function span(node: Node): ESTree.Node {
  return { type: "TSNode", start: node.getStart(), end: node.getEnd() };
}

/** The request `gradc show` makes for function `fnName` of a module. */
export function functionRequest(project: Project, filePath: string, fnName: string, wrt: WrtSpec, mode: Mode, jacobianMode?: JacobianMode): GradRequest {
  const mod = parseTsModule(project, filePath);
  const found = locateFunction(project, mod, fnName);
  if (!found) {
    const known = [...mod.functions.keys()].join(", ") || "none";
    throw refuse(mod.source, undefined, "function", `No function '${fnName}' is declared in or imported into this module (its functions: ${known}).`, "");
  }
  const fn: SourceFn = { name: found.name, node: found.node, source: found.source };
  return withModuleValues({
    fn,
    resolve: resolver(project),
    kinds: kindsFromSignature(found.declaration, found.source),
    ...wrtIndices(wrt, fn, found.source, undefined, "Pass --wrt with parameter names or indices, e.g. --wrt w or --wrt 0,2."),
    mode,
    ...(jacobianMode && { jacobianMode }),
    moduleValue: moduleValues(project, mod.path, false),
  });
}
