// Statements and expressions of the TypeScript -> ESTree conversion (see ts-estree.ts).
import { ts } from "ts-morph";
import type * as ESTree from "acorn";
import { declarationKind, hasModifier, unwrap, type EstreeConverter } from "./ts-estree.js";

type C = EstreeConverter;

const LOGICAL = new Set(["&&", "||", "??"]);
const ASSIGNMENT = new Set(["=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", ">>>=", "&=", "|=", "^=", "&&=", "||=", "??="]);

export function convertStatements(c: C, list: readonly ts.Statement[]): ESTree.Statement[] {
  const out: ESTree.Statement[] = [];
  for (const s of list) {
    if (!isTypeOnly(s)) out.push(statement(c, s));
  }
  return out;
}

/** Statements that vanish when types are stripped. */
function isTypeOnly(s: ts.Statement): boolean {
  if (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) return true;
  if (ts.isFunctionDeclaration(s) && !s.body) return true; // overload signature
  return hasModifier(s, ts.SyntaxKind.DeclareKeyword);
}

function statement(c: C, s: ts.Statement): ESTree.Statement {
  const expr = (e: ts.Expression) => convertExpression(c, e);
  const sub = (b: ts.Statement) => (isTypeOnly(b) ? c.opaque<ESTree.Statement>(b) : statement(c, b));
  const label = (l: ts.Identifier | undefined) => (l ? c.identifier(l) : null);

  if (ts.isBlock(s)) return c.node(s, { type: "BlockStatement", body: convertStatements(c, s.statements) });
  if (ts.isVariableStatement(s)) return variables(c, s.declarationList, s);
  if (ts.isExpressionStatement(s)) return c.node(s, { type: "ExpressionStatement", expression: expr(s.expression) });
  if (ts.isIfStatement(s)) {
    const alternate = s.elseStatement ? sub(s.elseStatement) : null;
    return c.node(s, { type: "IfStatement", test: expr(s.expression), consequent: sub(s.thenStatement), alternate });
  }
  if (ts.isForStatement(s)) {
    const init = !s.initializer ? null : ts.isVariableDeclarationList(s.initializer) ? variables(c, s.initializer, s.initializer) : expr(s.initializer);
    const test = s.condition ? expr(s.condition) : null;
    const update = s.incrementor ? expr(s.incrementor) : null;
    return c.node(s, { type: "ForStatement", init, test, update, body: sub(s.statement) });
  }
  if (ts.isForOfStatement(s) || ts.isForInStatement(s)) {
    const left = ts.isVariableDeclarationList(s.initializer) ? variables(c, s.initializer, s.initializer) : c.pattern(s.initializer);
    const extra = ts.isForOfStatement(s) ? { type: "ForOfStatement", await: s.awaitModifier !== undefined } : { type: "ForInStatement" };
    return c.node(s, { ...extra, left, right: expr(s.expression), body: sub(s.statement) });
  }
  if (ts.isWhileStatement(s)) return c.node(s, { type: "WhileStatement", test: expr(s.expression), body: sub(s.statement) });
  if (ts.isDoStatement(s)) return c.node(s, { type: "DoWhileStatement", body: sub(s.statement), test: expr(s.expression) });
  if (ts.isBreakStatement(s)) return c.node(s, { type: "BreakStatement", label: label(s.label) });
  if (ts.isContinueStatement(s)) return c.node(s, { type: "ContinueStatement", label: label(s.label) });
  if (ts.isReturnStatement(s)) return c.node(s, { type: "ReturnStatement", argument: s.expression ? expr(s.expression) : null });
  if (ts.isLabeledStatement(s)) return c.node(s, { type: "LabeledStatement", label: c.identifier(s.label), body: sub(s.statement) });
  if (ts.isEmptyStatement(s)) return c.node(s, { type: "EmptyStatement" });
  if (ts.isFunctionDeclaration(s)) return c.fn(s);
  if (ts.isThrowStatement(s)) return c.node(s, { type: "ThrowStatement", argument: expr(s.expression) });
  if (ts.isSwitchStatement(s)) return switchStatement(c, s);
  if (ts.isTryStatement(s)) return tryStatement(c, s);
  if (s.kind === ts.SyntaxKind.DebuggerStatement) return c.node(s, { type: "DebuggerStatement" });
  return c.opaque(s);
}

/** `let a = 1, b` as a VariableDeclaration spanning `spanNode` (the statement, or the list in a for head). */
function variables(c: C, list: ts.VariableDeclarationList, spanNode: ts.Node): ESTree.VariableDeclaration {
  const declarations = list.declarations.map((d) =>
    c.node(d, { type: "VariableDeclarator", id: c.binding(d.name), init: d.initializer ? convertExpression(c, d.initializer) : null }),
  );
  return c.node(spanNode, { type: "VariableDeclaration", kind: declarationKind(list.flags), declarations });
}

function switchStatement(c: C, s: ts.SwitchStatement): ESTree.SwitchStatement {
  const cases = s.caseBlock.clauses.map((cl) =>
    c.node(cl, {
      type: "SwitchCase",
      test: ts.isCaseClause(cl) ? convertExpression(c, cl.expression) : null,
      consequent: convertStatements(c, cl.statements),
    }),
  );
  return c.node(s, { type: "SwitchStatement", discriminant: convertExpression(c, s.expression), cases });
}

function tryStatement(c: C, s: ts.TryStatement): ESTree.TryStatement {
  const block = (b: ts.Block) => c.node(b, { type: "BlockStatement", body: convertStatements(c, b.statements) });
  const clause = s.catchClause;
  const handler = clause
    ? c.node(clause, { type: "CatchClause", param: clause.variableDeclaration ? c.binding(clause.variableDeclaration.name) : null, body: block(clause.block) })
    : null;
  return c.node(s, { type: "TryStatement", block: block(s.tryBlock), handler, finalizer: s.finallyBlock ? block(s.finallyBlock) : null });
}

// ---- expressions ----

export function convertExpression(c: C, e: ts.Expression): ESTree.Expression {
  const n = unwrap(e);
  if (ts.isOptionalChain(n) && isChainRoot(n)) return c.node(n, { type: "ChainExpression", expression: expression(c, n) });
  return expression(c, n);
}

/** The outermost link of `a?.b.c(...)`, where acorn puts its ChainExpression. */
function isChainRoot(n: ts.OptionalChain): boolean {
  const parent = n.parent;
  return !(ts.isOptionalChain(parent) && parent.expression === n);
}

function expression(c: C, n: ts.Expression): ESTree.Expression {
  const expr = (e: ts.Expression) => convertExpression(c, e);

  if (ts.isIdentifier(n)) return c.reference(n);
  if (ts.isPrivateIdentifier(n)) return c.identifier(n);
  if (isLiteral(n)) return c.literal(n);
  if (n.kind === ts.SyntaxKind.ThisKeyword) return c.node(n, { type: "ThisExpression" });
  if (n.kind === ts.SyntaxKind.SuperKeyword) return c.node(n, { type: "Super" });
  if (ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateExpression(n)) return template(c, n);
  if (ts.isTaggedTemplateExpression(n)) return c.node(n, { type: "TaggedTemplateExpression", tag: expr(n.tag), quasi: template(c, n.template) });
  if (ts.isArrayLiteralExpression(n)) {
    const elements = n.elements.map((el) => (ts.isOmittedExpression(el) ? null : argument(c, el)));
    return c.node(n, { type: "ArrayExpression", elements });
  }
  if (ts.isObjectLiteralExpression(n)) return c.node(n, { type: "ObjectExpression", properties: n.properties.map((p) => property(c, p)) });
  if (ts.isFunctionExpression(n)) return c.fn(n);
  if (ts.isArrowFunction(n)) return c.fn(n);
  if (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) return unary(c, n);
  if (ts.isTypeOfExpression(n) || ts.isVoidExpression(n) || ts.isDeleteExpression(n)) {
    const operator = ts.isTypeOfExpression(n) ? "typeof" : ts.isVoidExpression(n) ? "void" : "delete";
    return c.node(n, { type: "UnaryExpression", operator, prefix: true, argument: expr(n.expression) });
  }
  if (ts.isAwaitExpression(n)) return c.node(n, { type: "AwaitExpression", argument: expr(n.expression) });
  if (ts.isYieldExpression(n)) {
    return c.node(n, { type: "YieldExpression", argument: n.expression ? expr(n.expression) : null, delegate: n.asteriskToken !== undefined });
  }
  if (ts.isBinaryExpression(n)) return binary(c, n);
  if (ts.isConditionalExpression(n)) {
    return c.node(n, { type: "ConditionalExpression", test: expr(n.condition), consequent: expr(n.whenTrue), alternate: expr(n.whenFalse) });
  }
  if (ts.isCallExpression(n)) {
    const callee = n.expression.kind === ts.SyntaxKind.ImportKeyword ? c.opaque(n.expression) : expr(n.expression);
    return c.node(n, { type: "CallExpression", callee, arguments: n.arguments.map((a) => argument(c, a)), optional: n.questionDotToken !== undefined });
  }
  if (ts.isNewExpression(n)) {
    return c.node(n, { type: "NewExpression", callee: expr(n.expression), arguments: (n.arguments ?? []).map((a) => argument(c, a)) });
  }
  if (ts.isPropertyAccessExpression(n)) {
    const optional = n.questionDotToken !== undefined;
    return c.node(n, { type: "MemberExpression", object: expr(n.expression), property: c.identifier(n.name), computed: false, optional });
  }
  if (ts.isElementAccessExpression(n)) {
    const optional = n.questionDotToken !== undefined;
    return c.node(n, { type: "MemberExpression", object: expr(n.expression), property: expr(n.argumentExpression), computed: true, optional });
  }
  return c.opaque(n);
}

function isLiteral(n: ts.Node): boolean {
  switch (n.kind) {
    case ts.SyntaxKind.NumericLiteral:
    case ts.SyntaxKind.BigIntLiteral:
    case ts.SyntaxKind.StringLiteral:
    case ts.SyntaxKind.RegularExpressionLiteral:
    case ts.SyntaxKind.TrueKeyword:
    case ts.SyntaxKind.FalseKeyword:
    case ts.SyntaxKind.NullKeyword:
      return true;
    default:
      return false;
  }
}

function argument(c: C, a: ts.Expression): ESTree.Expression | ESTree.SpreadElement {
  if (ts.isSpreadElement(a)) return c.node(a, { type: "SpreadElement", argument: convertExpression(c, a.expression) });
  return convertExpression(c, a);
}

function unary(c: C, n: ts.PrefixUnaryExpression | ts.PostfixUnaryExpression): ESTree.Expression {
  const operator = ts.tokenToString(n.operator);
  const argument = convertExpression(c, n.operand);
  const prefix = ts.isPrefixUnaryExpression(n);
  const update = n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken;
  return c.node(n, { type: update ? "UpdateExpression" : "UnaryExpression", operator, prefix, argument });
}

function binary(c: C, n: ts.BinaryExpression): ESTree.Expression {
  const operator = ts.tokenToString(n.operatorToken.kind) ?? "";
  if (operator === ",") return c.node(n, { type: "SequenceExpression", expressions: sequence(c, n) });
  const right = convertExpression(c, n.right);
  if (ASSIGNMENT.has(operator)) {
    const left = operator === "=" ? c.pattern(n.left) : convertExpression(c, n.left);
    return c.node(n, { type: "AssignmentExpression", operator, left, right });
  }
  const type = LOGICAL.has(operator) ? "LogicalExpression" : "BinaryExpression";
  return c.node(n, { type, operator, left: convertExpression(c, n.left), right });
}

/** `a, b, c` is nested in TypeScript and flat in ESTree. */
function sequence(c: C, n: ts.Expression): ESTree.Expression[] {
  const inner = unwrap(n) === n ? n : undefined;
  if (inner && ts.isBinaryExpression(inner) && inner.operatorToken.kind === ts.SyntaxKind.CommaToken) {
    return [...sequence(c, inner.left), convertExpression(c, inner.right)];
  }
  return [convertExpression(c, n)];
}

function property(c: C, p: ts.ObjectLiteralElementLike): ESTree.Property | ESTree.SpreadElement {
  const base = { type: "Property", kind: "init", method: false, shorthand: false, computed: false };
  if (ts.isSpreadAssignment(p)) return c.node(p, { type: "SpreadElement", argument: convertExpression(c, p.expression) });
  if (ts.isShorthandPropertyAssignment(p)) return c.node(p, { ...base, shorthand: true, key: c.identifier(p.name), value: c.identifier(p.name) });
  const computed = ts.isComputedPropertyName(p.name);
  const key = c.propertyKey(p.name);
  if (ts.isPropertyAssignment(p)) return c.node(p, { ...base, computed, key, value: convertExpression(c, p.initializer) });
  if (ts.isMethodDeclaration(p)) return c.node(p, { ...base, method: true, computed, key, value: c.method(p) });
  if (ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p)) {
    return c.node(p, { ...base, kind: ts.isGetAccessorDeclaration(p) ? "get" : "set", computed, key, value: c.method(p) });
  }
  return c.opaque(p);
}

function template(c: C, n: ts.TemplateLiteral): ESTree.TemplateLiteral {
  if (ts.isNoSubstitutionTemplateLiteral(n)) {
    return c.node(n, { type: "TemplateLiteral", quasis: [templateElement(c, n, 1, true)], expressions: [] });
  }
  const quasis = [templateElement(c, n.head, 2, false)];
  const expressions: ESTree.Expression[] = [];
  for (const span of n.templateSpans) {
    const tail = ts.isTemplateTail(span.literal);
    expressions.push(convertExpression(c, span.expression));
    quasis.push(templateElement(c, span.literal, tail ? 1 : 2, tail));
  }
  return c.node(n, { type: "TemplateLiteral", quasis, expressions });
}

/** The text between a template's delimiters (`` ` `` or `}` before, `${` or `` ` `` after). */
function templateElement(c: C, lit: ts.TemplateLiteralLikeNode, closeWidth: number, tail: boolean): ESTree.TemplateElement {
  const start = lit.getStart(c.sourceFile) + 1;
  const end = lit.end - closeWidth;
  const raw = c.sourceFile.text.slice(start, end);
  return c.nodeAt({ start, end }, { type: "TemplateElement", tail, value: { raw, cooked: lit.text } });
}
