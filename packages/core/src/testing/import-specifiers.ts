/** A module a source file refers to: `specifier` null for `import(expr)` / `require(expr)` with no literal. */
export interface ImportReference {
  specifier: string | null;
  /** 1-based line of the `import`, `export … from` or `require`. */
  line: number;
  /** `import type … from` / `export type … from`: erased at compile time, no code is loaded. */
  typeOnly: boolean;
}

interface Token {
  kind: 'name' | 'string' | 'template' | 'number' | 'punct';
  value: string;
  line: number;
}

/** Keywords after which `/` starts a regular expression, not a division. */
const REGEX_AFTER = new Set(
  'return typeof case do else in of new delete void throw instanceof yield await'.split(' '),
);

/**
 * Every module a JavaScript or TypeScript source refers to: static imports and re-exports (type-only ones
 * too), side-effect imports, `import('…')` (also in type positions) and `require('…')`. A small tokenizer
 * skips comments, strings, template literals and regular expressions, so text that only looks like an
 * import is not reported. `import(expr)` and `require(expr)` without a literal are reported with a null
 * specifier: what they load cannot be checked.
 */
export function importReferences(source: string): ImportReference[] {
  const tokens = tokenize(source);
  const found: ImportReference[] = [];
  const literal = (t: Token | undefined) =>
    t && (t.kind === 'string' || (t.kind === 'template' && !t.value.includes('${'))) ? t.value : null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'name' || tokens[i - 1]?.value === '.') continue;
    const next = tokens[i + 1];
    if ((t.value === 'from' || t.value === 'import') && next?.kind === 'string') {
      found.push({
        specifier: next.value,
        line: t.line,
        typeOnly: t.value === 'from' && typeOnly(tokens, i),
      });
    } else if ((t.value === 'import' || t.value === 'require') && next?.value === '(') {
      const arg = literal(tokens[i + 2]);
      const closed = tokens[i + 3]?.value === ')' || tokens[i + 3]?.value === ',';
      found.push({ specifier: arg !== null && closed ? arg : null, line: t.line, typeOnly: false });
    }
  }
  return found;
}

/** Whether the `import`/`export` clause ending with the `from` at `at` is `import type …`/`export type …`. */
function typeOnly(tokens: Token[], at: number): boolean {
  for (let j = at - 1; j >= 0; j--) {
    const t = tokens[j]!;
    if (t.value === ';') return false;
    if (t.kind === 'name' && (t.value === 'import' || t.value === 'export') && tokens[j - 1]?.value !== '.') {
      // `import type from './x'` and `import type, { a } from` import a default export named `type`
      const after = tokens[j + 2]?.value;
      return tokens[j + 1]?.value === 'type' && after !== 'from' && after !== ',';
    }
  }
  return false;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  /** Open `${` of template literals: the `{` depth inside each. */
  const templates: number[] = [];
  let line = 1;
  let i = 0;
  const push = (kind: Token['kind'], value: string, at: number) => tokens.push({ kind, value, line: at });
  const readTemplate = () => {
    // from just after a '`' or a '}' closing a substitution, to the closing '`' or the next '${'
    const start = line;
    let value = '';
    while (i < source.length && source[i] !== '`') {
      if (source[i] === '\\') value += source[i++];
      else if (source[i] === '$' && source[i + 1] === '{') {
        templates.push(0);
        i += 2;
        push('template', `${value}\${`, start);
        return;
      }
      if (source[i] === '\n') line++;
      value += source[i++];
    }
    i++;
    push('template', value, start);
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      line += source.slice(i, stop).split('\n').length - 1;
      i = stop;
    } else if (c === "'" || c === '"') {
      let value = '';
      i++;
      while (i < source.length && source[i] !== c && source[i] !== '\n') {
        if (source[i] === '\\') i++;
        value += source[i++];
      }
      i++;
      push('string', value, line);
    } else if (c === '`') {
      i++;
      readTemplate();
    } else if (c === '}' && templates.length > 0 && templates[templates.length - 1] === 0) {
      templates.pop();
      i++;
      readTemplate();
    } else if (c === '/' && startsRegex(tokens[tokens.length - 1])) {
      let inClass = false;
      i++;
      while (i < source.length && source[i] !== '\n' && (inClass || source[i] !== '/')) {
        if (source[i] === '\\') i++;
        else if (source[i] === '[') inClass = true;
        else if (source[i] === ']') inClass = false;
        i++;
      }
      i++;
      while (/[a-z]/i.test(source[i] ?? '')) i++;
      push('punct', '/regex/', line);
    } else if (/[A-Za-z_$]/.test(c)) {
      const start = i;
      while (/[\w$]/.test(source[i] ?? '')) i++;
      push('name', source.slice(start, i), line);
    } else if (/\d/.test(c)) {
      const start = i;
      while (/[\w.]/.test(source[i] ?? '')) i++;
      push('number', source.slice(start, i), line);
    } else {
      if (templates.length > 0 && c === '{') templates[templates.length - 1]!++;
      if (templates.length > 0 && c === '}') templates[templates.length - 1]!--;
      push('punct', c, line);
      i++;
    }
  }
  return tokens;
}

/** Whether a `/` after this token starts a regular expression (else it divides). */
function startsRegex(previous: Token | undefined): boolean {
  if (!previous) return true;
  if (previous.kind === 'name') return REGEX_AFTER.has(previous.value);
  if (previous.kind === 'punct') return ![')', ']', '}', '/regex/'].includes(previous.value);
  return false;
}
