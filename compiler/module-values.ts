// Module-level arrays and objects on the build path (`const W0 = new Float64Array([…])`,
// `const cfg = { lr: 0.1, w: [1, 2, 3] }` read by the loss): data, as opts.closure's
// arrays are on the run-time path. Their kinds come from their types; the generated
// module imports each (so it reads the very binding, and sees later writes into it), its
// entry checks the kind on every call and passes it to the core functions after the
// arguments. Which ones a request reads, lowering finds (ModuleValueNeeded).
import { Node, ts, type Project, type VariableDeclaration } from "ts-morph";
import { refuse } from "./errors.js";
import { describeKind } from "./kinds.js";
import { lowerFunction } from "./lower/index.js";
import { ModuleValueNeeded } from "./lower/constants.js";
import { lineOf } from "./parse/lines.js";
import { kindOfType } from "./parse/ts-kinds.js";
import { displayPath, exportNameOf, parseTsModule } from "./parse/typescript.js";
import type { GradRequest, ModuleValue, ModuleValueFn } from "./request.js";

const HINT = "Give it a type gradc can read (Float64Array, Float32Array, number[], an object of those, a tuple such as [Float64Array, Float64Array]), or pass it as an argument.";

/**
 * The moduleValue callback of requests made in the module `siteFile`. With `exportsAdded`
 * (the plugin), that module's own values need not be exported: the plugin exports them.
 */
export function moduleValues(project: Project, siteFile: string, exportsAdded: boolean): ModuleValueFn {
  return (binding, use, source) => {
    const mod = parseTsModule(project, binding.file);
    const decl = mod.sourceFile.getVariableDeclaration(binding.name);
    if (!decl) return undefined;
    const type = decl.getType();
    if (type.isNumber() || type.isNumberLiteral() || type.isBoolean() || type.isBooleanLiteral() || type.isString() || type.isStringLiteral() || type.getCallSignatures().length > 0) return undefined;
    const { name } = binding;
    const elsewhere = binding.file === siteFile ? "" : ` of ${displayPath(binding.file)}`;
    const what = `'${name}' (line ${lineOf(mod.source.text, binding.declared)}${elsewhere})`;
    const kind = kindOfType(type, decl);
    if (typeof kind === "string") {
      throw refuse(source, use, "module-level value", `${what} is a module-level ${binding.kind} whose kind gradc cannot know when it compiles: ${kind}.`, HINT);
    }
    if (kind.k === "num" || kind.k === "bool") return undefined;
    const write = binding.kind === "const" ? undefined : assignmentOf(decl);
    if (write) {
      throw refuse(source, use, `reassigned module-level ${binding.kind}`,
        `${what} is a module-level ${binding.kind} that is assigned again at line ${write.getStartLineNumber()} (${write.getParentOrThrow().getText().split("\n")[0]}): derivative code reads ${describeKind(kind)} of one kind, compiled for the value it is declared with.`,
        `Declare it with const and change its elements instead (the derivative reads them on every call), or pass it as an argument.`);
    }
    const exported = exportNameOf(mod, name);
    if (exported === undefined && !(exportsAdded && binding.file === siteFile)) {
      throw refuse(source, use, "module-level value",
        `${what} is a module-level ${describeKind(kind).replace(/^an? /, "")}: the generated module reads it on every call, and can import it only if its module exports it.`,
        `Export it (export const ${name} = …), or pass it as an argument.`);
    }
    return { name, file: binding.file, declared: binding.declared, ...(exported !== undefined && { exported }), kind };
  };
}

/** The first place in its module that assigns the variable of `decl` again (`W = …`, `W++`, `[W] = …`). */
function assignmentOf(decl: VariableDeclaration): Node | undefined {
  const symbol = decl.getSymbol();
  const isTarget = (ts as unknown as { isAssignmentTarget(n: ts.Node): boolean }).isAssignmentTarget;
  return decl.getSourceFile().getDescendants().find((n) =>
    Node.isIdentifier(n) && n.getText() === decl.getName() && n !== decl.getNameNode() && isTarget(n.compilerNode) && n.getSymbol() === symbol);
}

/**
 * `req` with the module values it reads passed as data: lowered until lowering meets no
 * module value it does not pass (each found one is added, in the order met).
 */
export function withModuleValues(req: GradRequest): GradRequest {
  for (;;) {
    try {
      lowerFunction(req.fn, req.kinds, req.resolve, req.closure, req.moduleValue);
      return req;
    } catch (e) {
      if (!(e instanceof ModuleValueNeeded)) throw e;
      req = passing(req, e.value);
    }
  }
}

function passing(req: GradRequest, value: ModuleValue): GradRequest {
  const closure = req.closure ?? { constants: {}, data: [] };
  return {
    ...req,
    kinds: [...req.kinds, value.kind],
    closure: { ...closure, data: [...closure.data, value.name], modules: { ...closure.modules, [value.name]: value } },
  };
}
