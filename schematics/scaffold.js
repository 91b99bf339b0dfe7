// @ts-check
/**
 * What the three Gatehouse schematics share: where the files go, the templates, and the edit of
 * the host module that registers the new class. Plain CommonJS with JSDoc types, so the Nest CLI
 * loads it from the installed package without a build step.
 */
const { strings, normalize, join, dirname, relative } = require('@angular-devkit/core');
const {
  SchematicsException,
  apply,
  chain,
  filter,
  mergeWith,
  move,
  noop,
  renameTemplateFiles,
  template,
  url,
} = require('@angular-devkit/schematics');

/**
 * @typedef {object} ScaffoldOptions
 * @property {string} name The element's name; `audit/office-hours` puts it in `audit/`.
 * @property {string} [path] Folder, relative to the workspace (default: `sourceRoot`).
 * @property {string} [sourceRoot] Passed by the Nest CLI (default `src`).
 * @property {string} [module] The module file that registers the class (default: the nearest
 *   `*.module.ts` above the new files, else `<sourceRoot>/app.module.ts`).
 * @property {boolean} [flat] `false` (as Nest's own schematics): the files go in a folder of
 *   their name.
 * @property {boolean} [spec] `false`: no spec file.
 * @property {boolean} [skipImport] `true`: do not touch any module.
 */

/**
 * @typedef {object} Kind
 * @property {(name: string) => string} fileName The class file's name without `.ts`.
 * @property {(name: string) => string} className
 * @property {'detectors' | 'auditSinks' | 'usersStore'} extra The option of
 *   `GatehouseModule.forRoot` / `forRootAsync` that registers this kind.
 * @property {boolean} providersFallback Whether a module without a GatehouseModule call gets
 *   the class in its `providers` instead (detectors are discovered in any module).
 */

/**
 * @param {ScaffoldOptions} options
 * @param {Kind} kind
 * @returns {import('@angular-devkit/schematics').Rule}
 */
function scaffold(options, kind) {
  if (!options.name || !options.name.trim()) throw new SchematicsException('A name is required.');
  const parts = options.name.split('/').filter(Boolean);
  const name = strings.dasherize(/** @type {string} */ (parts.pop()));
  const base = options.path ?? options.sourceRoot ?? 'src';
  // Tree paths are absolute from the workspace root.
  let folder = normalize(join(normalize(`/${base}`), ...parts));
  if (options.flat === false) folder = join(folder, name);
  const className = kind.className(name);
  const classFile = join(folder, `${kind.fileName(name)}.ts`);

  return chain([
    mergeWith(
      apply(url('./files'), [
        options.spec === false ? filter((path) => !path.endsWith('.spec.ts.template')) : noop(),
        template({ ...strings, name, className }),
        renameTemplateFiles(),
        move(folder),
      ]),
    ),
    options.skipImport
      ? noop()
      : (tree) => {
          const modulePath = options.module
            ? normalize(`/${options.module}`)
            : findModule(tree, folder, options.sourceRoot ?? 'src');
          const source = tree.readText(modulePath);
          const edited = registerInModule(source, {
            className,
            importPath: importPathFrom(modulePath, classFile),
            kind,
            modulePath,
          });
          tree.overwrite(modulePath, edited);
          return tree;
        },
  ]);
}

/**
 * The nearest `*.module.ts` in the folder or above it (as `nest g service` finds its module);
 * `nest g` has no `--module` flag, so its path argument is how a user picks the module.
 * @param {import('@angular-devkit/schematics').Tree} tree
 * @param {string} folder
 * @param {string} sourceRoot
 * @returns {import('@angular-devkit/core').Path}
 */
function findModule(tree, folder, sourceRoot) {
  let dir = normalize(folder);
  for (;;) {
    const modules = tree.getDir(dir).subfiles.filter((file) => file.endsWith('.module.ts'));
    if (modules.length === 1) return join(dir, modules[0]);
    // The root module, when it shares its folder with others (src/app.module.ts, src/cli.module.ts).
    if (modules.includes('app.module.ts')) return join(dir, 'app.module.ts');
    if (modules.length > 1) {
      throw new SchematicsException(
        `Several modules in ${dir} (${modules.join(', ')}): name one with --module.`,
      );
    }
    if (dir === normalize('/')) break;
    dir = dirname(dir);
  }
  const fallback = normalize(`/${sourceRoot}/app.module.ts`);
  if (tree.exists(fallback)) return fallback;
  throw new SchematicsException(
    `No module found from ${folder} up: name one with --module, or pass --skip-import.`,
  );
}

/**
 * @param {string} modulePath
 * @param {string} classFile
 */
function importPathFrom(modulePath, classFile) {
  const rel = relative(dirname(normalize(modulePath)), normalize(classFile)).replace(/\.ts$/, '');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** @returns {typeof import('typescript')} */
function loadTypeScript() {
  try {
    return require('typescript');
  } catch {
    throw new SchematicsException(
      'The Gatehouse schematics edit modules with the TypeScript compiler: install typescript.',
    );
  }
}

/**
 * Registers `className` in the module source: in the options of its
 * `GatehouseModule.forRoot(...)` / `forRootAsync(...)` call (so the server, the nightly job
 * and the CLI all see it), else (detectors only) in the `@Module` providers. Adds the import.
 * Each edit is a text insertion at a position the AST gives, so the rest of the file keeps its
 * formatting.
 * @param {string} source
 * @param {{ className: string, importPath: string, kind: Kind, modulePath: string }} what
 * @returns {string}
 */
function registerInModule(source, { className, importPath, kind, modulePath }) {
  const ts = loadTypeScript();
  const file = ts.createSourceFile(modulePath, source, ts.ScriptTarget.Latest, true);
  /** @type {{ at: number, text: string }[]} */
  const edits = [];

  const call = findGatehouseCall(ts, file);
  if (call) {
    const extra = call.properties.find(
      (property) =>
        (ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)) &&
        property.name.getText(file) === kind.extra,
    );
    if (kind.extra === 'usersStore') {
      if (extra) {
        throw new SchematicsException(
          `${modulePath} already sets usersStore (${extra.getText(file)}); Gatehouse takes one user store: replace it by hand.`,
        );
      }
      edits.push(addProperty(file, call, `usersStore: ${className}`));
    } else if (extra) {
      if (!ts.isPropertyAssignment(extra) || !ts.isArrayLiteralExpression(extra.initializer)) {
        throw new SchematicsException(
          `${modulePath}: ${kind.extra} is not an array literal; add ${className} to it by hand.`,
        );
      }
      edits.push(addElement(file, extra.initializer, className));
    } else {
      edits.push(addProperty(file, call, `${kind.extra}: [${className}]`));
    }
  } else if (kind.providersFallback) {
    const metadata = findModuleMetadata(ts, file);
    if (!metadata) {
      throw new SchematicsException(`${modulePath} has no @Module({ ... }) to register in.`);
    }
    const providers = metadata.properties.find(
      (property) =>
        ts.isPropertyAssignment(property) && property.name.getText(file) === 'providers',
    );
    if (providers && ts.isPropertyAssignment(providers)) {
      if (!ts.isArrayLiteralExpression(providers.initializer)) {
        throw new SchematicsException(
          `${modulePath}: providers is not an array literal; add ${className} to it by hand.`,
        );
      }
      edits.push(addElement(file, providers.initializer, className));
    } else {
      edits.push(addProperty(file, metadata, `providers: [${className}]`));
    }
  } else {
    throw new SchematicsException(
      `${modulePath} does not call GatehouseModule.forRoot/forRootAsync with an object literal: ` +
        `register ${className} as \`${kind.extra}\` of that call by hand (docs/extending.md).`,
    );
  }

  const imports = file.statements.filter(ts.isImportDeclaration);
  const importAt = imports.length ? imports[imports.length - 1].getEnd() : 0;
  edits.push({
    at: importAt,
    text: `${importAt ? '\n' : ''}import { ${className} } from '${importPath}';${importAt ? '' : '\n'}`,
  });

  return edits
    .sort((a, b) => b.at - a.at)
    .reduce((text, edit) => text.slice(0, edit.at) + edit.text + text.slice(edit.at), source);
}

/**
 * The object literal passed to the first `GatehouseModule.forRoot(...)` or `.forRootAsync(...)`.
 * @param {typeof import('typescript')} ts
 * @param {import('typescript').SourceFile} file
 * @returns {import('typescript').ObjectLiteralExpression | undefined}
 */
function findGatehouseCall(ts, file) {
  /** @type {import('typescript').ObjectLiteralExpression | undefined} */
  let found;
  /** @param {import('typescript').Node} node */
  const visit = (node) => {
    if (found) return;
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.expression.getText(file) === 'GatehouseModule' &&
      ['forRoot', 'forRootAsync'].includes(node.expression.name.text) &&
      node.arguments.length > 0 &&
      ts.isObjectLiteralExpression(node.arguments[0])
    ) {
      found = node.arguments[0];
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/**
 * The object literal of the first `@Module({ ... })` decorator.
 * @param {typeof import('typescript')} ts
 * @param {import('typescript').SourceFile} file
 * @returns {import('typescript').ObjectLiteralExpression | undefined}
 */
function findModuleMetadata(ts, file) {
  for (const statement of file.statements) {
    if (!ts.isClassDeclaration(statement)) continue;
    for (const decorator of ts.getDecorators(statement) ?? []) {
      const expression = decorator.expression;
      if (
        ts.isCallExpression(expression) &&
        expression.expression.getText(file) === 'Module' &&
        expression.arguments.length > 0 &&
        ts.isObjectLiteralExpression(expression.arguments[0])
      ) {
        return expression.arguments[0];
      }
    }
  }
  return undefined;
}

/**
 * The indentation of the line `position` is on.
 * @param {import('typescript').SourceFile} file
 * @param {number} position
 */
function indentAt(file, position) {
  const { line } = file.getLineAndCharacterOfPosition(position);
  const lineStart = file.getPositionOfLineAndCharacter(line, 0);
  return /^[ \t]*/.exec(file.text.slice(lineStart))?.[0] ?? '';
}

/**
 * A property at the end of an object literal, in its layout (one line or one per line).
 * @param {import('typescript').SourceFile} file
 * @param {import('typescript').ObjectLiteralExpression} object
 * @param {string} property
 */
function addProperty(file, object, property) {
  const properties = object.properties;
  if (properties.length === 0) {
    return { at: object.getStart(file) + 1, text: ` ${property} ` };
  }
  const last = properties[properties.length - 1];
  const multiline = file.text.slice(object.getStart(file), object.getEnd()).includes('\n');
  if (!multiline) return { at: last.getEnd(), text: `, ${property}` };
  const indent = indentAt(file, last.getStart(file));
  // After the trailing comma when there is one, so the file keeps it (prettier's trailingComma).
  if (properties.hasTrailingComma) {
    const comma = file.text.indexOf(',', last.getEnd());
    return { at: comma + 1, text: `\n${indent}${property},` };
  }
  return { at: last.getEnd(), text: `,\n${indent}${property}` };
}

/**
 * An element at the end of an array literal, in its layout.
 * @param {import('typescript').SourceFile} file
 * @param {import('typescript').ArrayLiteralExpression} array
 * @param {string} element
 */
function addElement(file, array, element) {
  const elements = array.elements;
  if (elements.length === 0) return { at: array.getStart(file) + 1, text: element };
  const last = elements[elements.length - 1];
  const multiline = file.text.slice(array.getStart(file), array.getEnd()).includes('\n');
  if (!multiline) return { at: last.getEnd(), text: `, ${element}` };
  const indent = indentAt(file, last.getStart(file));
  if (elements.hasTrailingComma) {
    const comma = file.text.indexOf(',', last.getEnd());
    return { at: comma + 1, text: `\n${indent}${element},` };
  }
  return { at: last.getEnd(), text: `,\n${indent}${element}` };
}

module.exports = { scaffold, registerInModule };
