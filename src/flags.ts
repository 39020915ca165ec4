// The command line's flags read the way citty reads them, without loading citty and node:util at
// start-up (together about 4 MiB of the idle proxy's RSS, bench/base-rss.ts); --help still renders
// with citty (src/help.ts), loaded only then. test/flags.test.ts holds this to citty's own parseArgs.
//
// citty's rules, for string and boolean flags named in lowercase kebab-case: `--name value` and
// `--name=value` (a string flag takes the next argument whatever it looks like), the last one wins;
// a bare boolean is true, `--name=false` false; `--no-name` anywhere before `--` is false and is
// never taken as a value (while `--` itself can be); a string flag with no value is ""; the camelCase spelling (`--logJson`)
// works too, the kebab-case one winning when both are given; unknown flags, short flags and
// positionals are ignored; `--` ends the flags.

export interface FlagDef {
  type: "string" | "boolean";
  default?: string | boolean;
}

export type FlagValues = Record<string, string | boolean | undefined>;

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** What the flags in `defs` were given by `raw` (the arguments after the program name). */
export function parseFlags(raw: readonly string[], defs: Readonly<Record<string, FlagDef>>): FlagValues {
  const kind = new Map<string, FlagDef["type"]>();
  /** Each name with a second spelling, to that spelling (both ways). */
  const partner = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) {
    kind.set(name, def.type);
    const c = camel(name);
    if (c === name) continue;
    kind.set(c, def.type);
    partner.set(name, c).set(c, name);
  }

  // `--no-*` is taken out first, so it can never be the value of the flag before it.
  const args: string[] = [];
  const negated: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i]!;
    if (a === "--") {
      args.push(...raw.slice(i));
      break;
    }
    if (a.startsWith("--no-")) negated.push(a.slice(5));
    else args.push(a);
  }

  const given = new Map<string, string | boolean>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") break;
    if (a.length <= 2 || !a.startsWith("--")) continue;
    const eq = a.indexOf("=", 3);
    const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    let value: string | boolean = true;
    if (eq !== -1) value = a.slice(eq + 1);
    else if (kind.get(name) === "string" && i + 1 < args.length) value = args[++i]!;
    const type = kind.get(name);
    if (type === "boolean" && typeof value === "string") value = value !== "false";
    else if (type === "string" && typeof value === "boolean") value = "";
    given.set(name, value);
  }
  for (const name of negated) {
    given.set(name, false);
    const p = partner.get(name);
    if (p !== undefined) given.set(p, false);
  }

  const out: FlagValues = {};
  for (const [name, def] of Object.entries(defs)) {
    const own = given.get(name) ?? def.default;
    const c = partner.get(name);
    const other = c === undefined ? undefined : given.get(c);
    // The kebab spelling wins, unless it is only the default and the camelCase one was given.
    out[name] = own === undefined || (own === def.default && other !== undefined) ? (other ?? own) : own;
  }
  return out;
}
