// Converts TypeScript syntax nodes into acorn-shaped ESTree nodes, with offsets into the
// original .ts text. Type-only syntax is dropped; syntax with no mapping becomes a node
// typed "TS<SyntaxKind>" so that lowering can refuse it by name.
import { ts } from "ts-morph";
import type * as ESTree from "acorn";
// Circular but safe: each module only calls the other's functions at run time.
import { convertExpression, convertStatements } from "./ts-estree-code.js";

type TsFunction = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction;
type EsFunction = ESTree.FunctionDeclaration | ESTree.FunctionExpression | ESTree.ArrowFunctionExpression;
type Span = { start: number; end: number };
/** Loose shape for building nodes; each builder below returns a real ESTree type. */
type Fields = { type: string } & Record<string, unknown>;

const KIND_NAMES = syntaxKindNames();

/**
 * What a module-level name stands for. The TypeScript front-end attaches it to every
 * identifier of an expression that is spelled like one; lowering looks the identifier up
 * in its own scopes first (a parameter or local of that name shadows it), and only then
 * reads this: a module-level `const` of a constant number is inlined, anything else is
 * refused saying why. `declared` is the offset of the declaration in the module's text.
 */
export type ModuleBinding =
  | { k: "variable"; name: string; kind: "const" | "let" | "var"; declared: number; file: string; init: () => ESTree.Expression | undefined }
  | { k: "import"; name: string; module: string; imported: string; declared: number }
  | { k: "other"; name: string; what: string; declared: number };

/** An identifier that may name a module-level binding (only the TypeScript front-end sets `module`). */
export interface ModuleIdentifier extends ESTree.Identifier {
  module?: ModuleBinding;
}

/** SyntaxKind -> name, preferring real names over the FirstX and LastX range markers. */
function syntaxKindNames(): Map<number, string> {
  const names = new Map<number, string>();
  for (const [name, value] of Object.entries(ts.SyntaxKind)) {
    if (typeof value !== "number" || /^(First|Last)/.test(name)) continue;
    if (!names.has(value)) names.set(value, name);
  }
  return names;
}

export class EstreeConverter {
  private bindings: Map<string, ModuleBinding> | undefined;

  constructor(private readonly sf: ts.SourceFile) {}

  // ---- helpers ----

  private span(n: ts.Node): Span {
    return { start: n.getStart(this.sf), end: n.end };
  }

  private make<T>(span: Span, fields: Fields): T {
    return Object.assign({ type: fields.type, start: span.start, end: span.end }, fields) as T;
  }

  private at<T>(n: ts.Node, fields: Fields): T {
    return this.make<T>(this.span(n), fields);
  }

  /** A node lowering does not know: typed by its TypeScript syntax kind. */
  opaque<T = ESTree.Node>(n: ts.Node): T {
    return this.at<T>(n, { type: `TS${KIND_NAMES.get(n.kind) ?? n.kind}` });
  }

  private text(span: Span): string {
    return this.sf.text.slice(span.start, span.end);
  }

  identifier(n: ts.Identifier | ts.PrivateIdentifier): ESTree.Identifier {
    const type = ts.isPrivateIdentifier(n) ? "PrivateIdentifier" : "Identifier";
    return this.at(n, { type, name: n.text.replace(/^#/, "") });
  }

  /** An identifier read in an expression, with the module-level binding it may name. */
  reference(n: ts.Identifier): ESTree.Identifier {
    const id: ModuleIdentifier = this.identifier(n);
    const binding = this.moduleBindings().get(n.text);
    if (binding) id.module = binding;
    return id;
  }

  /** The module's top-level variables and imports, by name (initializers converted when first asked for). */
  private moduleBindings(): Map<string, ModuleBinding> {
    if (this.bindings) return this.bindings;
    const map = (this.bindings = new Map());
    const add = (b: ModuleBinding) => { if (!map.has(b.name)) map.set(b.name, b); };
    for (const s of this.sf.statements) {
      const declared = s.getStart(this.sf);
      if (ts.isVariableStatement(s)) {
        const kind = declarationKind(s.declarationList.flags);
        const ambient = hasModifier(s, ts.SyntaxKind.DeclareKeyword);
        for (const d of s.declarationList.declarations) {
          if (!ts.isIdentifier(d.name)) {
            for (const name of bindingNames(d.name)) add({ k: "other", name, what: "a module-level variable declared by destructuring", declared });
            continue;
          }
          const initializer = ambient ? undefined : d.initializer;
          let converted: ESTree.Expression | undefined;
          const init = () => (converted ??= initializer && this.expression(initializer));
          add({ k: "variable", name: d.name.text, kind: kind === "let" || kind === "var" ? kind : "const", declared, file: this.sf.fileName, init });
        }
      } else if (ts.isImportDeclaration(s) && s.importClause && !s.importClause.isTypeOnly && ts.isStringLiteral(s.moduleSpecifier)) {
        const module = s.moduleSpecifier.text;
        const clause = s.importClause;
        if (clause.name) add({ k: "import", name: clause.name.text, module, imported: "default", declared });
        const named = clause.namedBindings;
        if (named && ts.isNamespaceImport(named)) add({ k: "import", name: named.name.text, module, imported: "*", declared });
        if (named && ts.isNamedImports(named)) {
          for (const e of named.elements) {
            if (!e.isTypeOnly) add({ k: "import", name: e.name.text, module, imported: (e.propertyName ?? e.name).text, declared });
          }
        }
      } else if (ts.isEnumDeclaration(s) && !hasModifier(s, ts.SyntaxKind.DeclareKeyword)) {
        add({ k: "other", name: s.name.text, what: "an enum", declared });
      } else if (ts.isClassDeclaration(s) && s.name) {
        add({ k: "other", name: s.name.text, what: "a class", declared });
      }
    }
    return map;
  }

  // ---- functions ----

  fn(n: ts.FunctionDeclaration): ESTree.FunctionDeclaration;
  fn(n: ts.FunctionExpression): ESTree.FunctionExpression;
  fn(n: ts.ArrowFunction): ESTree.ArrowFunctionExpression;
  fn(n: TsFunction): EsFunction;
  fn(n: TsFunction): EsFunction {
    const type = ts.isFunctionDeclaration(n) ? "FunctionDeclaration" : ts.isFunctionExpression(n) ? "FunctionExpression" : "ArrowFunctionExpression";
    const body = n.body === undefined ? null : ts.isBlock(n.body) ? this.functionBody(n.body) : this.expression(n.body);
    return this.make(this.functionSpan(n), {
      type,
      id: n.name ? this.identifier(n.name) : null,
      expression: body !== null && body.type !== "BlockStatement",
      generator: !ts.isArrowFunction(n) && n.asteriskToken !== undefined,
      async: hasModifier(n, ts.SyntaxKind.AsyncKeyword),
      params: this.params(n.parameters),
      body,
    });
  }

  /** Value of an object-literal method or accessor: acorn starts it at the parameter list. */
  method(n: ts.MethodDeclaration | ts.AccessorDeclaration): ESTree.FunctionExpression {
    const open = n.getChildren(this.sf).find((c) => c.kind === ts.SyntaxKind.OpenParenToken);
    return this.make({ start: open ? open.getStart(this.sf) : n.getStart(this.sf), end: n.end }, {
      type: "FunctionExpression",
      id: null,
      expression: false,
      generator: ts.isMethodDeclaration(n) && n.asteriskToken !== undefined,
      async: hasModifier(n, ts.SyntaxKind.AsyncKeyword),
      params: this.params(n.parameters),
      body: n.body ? this.functionBody(n.body) : null,
    });
  }

  /** Like acorn, a declaration starts after `export`/`default` (but at `async`). */
  private functionSpan(n: TsFunction): Span {
    const first = n.getChildren(this.sf).find((c) => !isExportModifiers(c));
    return { start: first ? first.getStart(this.sf) : n.getStart(this.sf), end: n.end };
  }

  private functionBody(block: ts.Block): ESTree.BlockStatement {
    const body = this.statements(block.statements);
    for (const stmt of body) {
      if (stmt.type !== "ExpressionStatement" || stmt.expression.type !== "Literal" || typeof stmt.expression.value !== "string") break;
      stmt.directive = this.text(stmt.expression).slice(1, -1);
    }
    return this.at(block, { type: "BlockStatement", body });
  }

  /** Params without TypeScript's `this` parameter. */
  private params(list: ts.NodeArray<ts.ParameterDeclaration>): ESTree.Pattern[] {
    return list.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === "this")).map((p) => this.param(p));
  }

  private param(p: ts.ParameterDeclaration): ESTree.Pattern {
    const target = this.binding(p.name);
    if (p.dotDotDotToken) return this.make({ start: p.getStart(this.sf), end: p.name.end }, { type: "RestElement", argument: target });
    return this.withDefault(target, p.initializer);
  }

  private withDefault(target: ESTree.Pattern, init: ts.Expression | undefined): ESTree.Pattern {
    if (!init) return target;
    return this.make({ start: target.start, end: init.end }, { type: "AssignmentPattern", left: target, right: this.expression(init) });
  }

  // ---- binding patterns (declarations and parameters) ----

  binding(n: ts.BindingName): ESTree.Pattern {
    if (ts.isIdentifier(n)) return this.identifier(n);
    if (ts.isObjectBindingPattern(n)) {
      return this.at(n, { type: "ObjectPattern", properties: n.elements.map((e) => this.bindingProperty(e)) });
    }
    const elements = n.elements.map((e) => (ts.isOmittedExpression(e) ? null : this.bindingElement(e)));
    return this.at(n, { type: "ArrayPattern", elements });
  }

  private bindingElement(e: ts.BindingElement): ESTree.Pattern {
    if (e.dotDotDotToken) return this.at(e, { type: "RestElement", argument: this.binding(e.name) });
    return this.withDefault(this.binding(e.name), e.initializer);
  }

  private bindingProperty(e: ts.BindingElement): ESTree.AssignmentProperty | ESTree.RestElement {
    if (e.dotDotDotToken) return this.at(e, { type: "RestElement", argument: this.binding(e.name) });
    const keyNode = e.propertyName ?? (e.name as ts.Identifier);
    return this.at(e, {
      type: "Property",
      kind: "init",
      method: false,
      shorthand: e.propertyName === undefined,
      computed: ts.isComputedPropertyName(keyNode),
      key: this.propertyKey(keyNode),
      value: this.withDefault(this.binding(e.name), e.initializer),
    });
  }

  // ---- assignment targets written as expressions: `[a, b] = ...`, `for (x of xs)` ----

  pattern(e: ts.Expression): ESTree.Pattern {
    const inner = unwrap(e);
    if (ts.isObjectLiteralExpression(inner)) {
      return this.at(inner, { type: "ObjectPattern", properties: inner.properties.map((p) => this.patternProperty(p)) });
    }
    if (ts.isArrayLiteralExpression(inner)) {
      const elements = inner.elements.map((el) => (ts.isOmittedExpression(el) ? null : this.patternElement(el)));
      return this.at(inner, { type: "ArrayPattern", elements });
    }
    return this.expression(inner) as ESTree.Pattern;
  }

  private patternElement(e: ts.Expression): ESTree.Pattern {
    if (ts.isSpreadElement(e)) return this.at(e, { type: "RestElement", argument: this.pattern(e.expression) });
    const inner = unwrap(e);
    if (ts.isBinaryExpression(inner) && inner.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      return this.at(inner, { type: "AssignmentPattern", left: this.pattern(inner.left), right: this.expression(inner.right) });
    }
    return this.pattern(inner);
  }

  private patternProperty(p: ts.ObjectLiteralElementLike): ESTree.AssignmentProperty | ESTree.RestElement {
    if (ts.isSpreadAssignment(p)) return this.at(p, { type: "RestElement", argument: this.pattern(p.expression) });
    if (ts.isShorthandPropertyAssignment(p)) {
      const value = this.withDefault(this.identifier(p.name), p.objectAssignmentInitializer);
      return this.at(p, { type: "Property", kind: "init", method: false, shorthand: true, computed: false, key: this.identifier(p.name), value });
    }
    if (ts.isPropertyAssignment(p)) {
      const value = this.patternElement(p.initializer);
      return this.at(p, { type: "Property", kind: "init", method: false, shorthand: false, computed: ts.isComputedPropertyName(p.name), key: this.propertyKey(p.name), value });
    }
    return this.opaque(p);
  }

  propertyKey(n: ts.PropertyName): ESTree.Expression {
    if (ts.isComputedPropertyName(n)) return this.expression(n.expression);
    if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) return this.identifier(n);
    if (ts.isStringLiteral(n) || ts.isNumericLiteral(n) || ts.isBigIntLiteral(n)) return this.literal(n);
    return this.opaque(n);
  }

  // ---- statements and expressions: see ts-estree-code.ts ----

  statements(list: readonly ts.Statement[]): ESTree.Statement[] {
    return convertStatements(this, list);
  }

  expression(e: ts.Expression): ESTree.Expression {
    return convertExpression(this, e);
  }

  literal(n: ts.LiteralLikeNode | ts.Node): ESTree.Literal {
    const span = this.span(n);
    const raw = this.text(span);
    const value = literalValue(n, raw);
    const extra = ts.isBigIntLiteral(n) ? { bigint: raw.slice(0, -1).replace(/_/g, "") } : ts.isRegularExpressionLiteral(n) ? { regex: regexParts(raw) } : {};
    return this.make(span, { type: "Literal", value, raw, ...extra });
  }

  /** Builds a node from a TypeScript node's span (for the statement/expression converters). */
  node<T>(n: ts.Node, fields: Fields): T {
    return this.at<T>(n, fields);
  }

  nodeAt<T>(span: Span, fields: Fields): T {
    return this.make<T>(span, fields);
  }

  get sourceFile(): ts.SourceFile {
    return this.sf;
  }
}

/** Removes parentheses and TypeScript-only wrappers (`as`, `<T>`, `!`, `satisfies`, instantiation). */
export function unwrap(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isTypeAssertionExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e) || ts.isExpressionWithTypeArguments(e)) {
      e = e.expression;
    } else {
      return e;
    }
  }
}

export function hasModifier(n: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === kind);
}

/** The names a destructuring pattern declares. */
function bindingNames(n: ts.BindingName): string[] {
  if (ts.isIdentifier(n)) return [n.text];
  return n.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(e.name)));
}

/** `const`, `let` or `var` (and the `using` forms) of a declaration list. */
export function declarationKind(flags: ts.NodeFlags): ESTree.VariableDeclaration["kind"] {
  const { AwaitUsing, Using, Const, Let } = ts.NodeFlags;
  if ((flags & AwaitUsing) === AwaitUsing) return "await using";
  if (flags & Using) return "using";
  if (flags & Const) return "const";
  return flags & Let ? "let" : "var";
}

function isExportModifiers(c: ts.Node): boolean {
  if (c.kind !== ts.SyntaxKind.SyntaxList) return c.kind === ts.SyntaxKind.ExportKeyword || c.kind === ts.SyntaxKind.DefaultKeyword;
  const kids = c.getChildren();
  return kids.length > 0 && kids.every((k) => k.kind === ts.SyntaxKind.ExportKeyword || k.kind === ts.SyntaxKind.DefaultKeyword || k.kind === ts.SyntaxKind.DeclareKeyword);
}

function literalValue(n: ts.Node, raw: string): ESTree.Literal["value"] {
  switch (n.kind) {
    case ts.SyntaxKind.NumericLiteral:
      return Number(raw.replace(/_/g, ""));
    case ts.SyntaxKind.BigIntLiteral:
      return BigInt(raw.slice(0, -1).replace(/_/g, ""));
    case ts.SyntaxKind.StringLiteral:
      return (n as ts.StringLiteral).text;
    case ts.SyntaxKind.TrueKeyword:
      return true;
    case ts.SyntaxKind.FalseKeyword:
      return false;
    case ts.SyntaxKind.RegularExpressionLiteral: {
      const { pattern, flags } = regexParts(raw);
      try {
        return new RegExp(pattern, flags);
      } catch {
        return null;
      }
    }
    default:
      return null;
  }
}

function regexParts(raw: string): { pattern: string; flags: string } {
  const slash = raw.lastIndexOf("/");
  return { pattern: raw.slice(1, slash), flags: raw.slice(slash + 1) };
}
