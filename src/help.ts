// --help with the flags in groups: citty renders one OPTIONS section, so each group is rendered by
// citty on its own and its OPTIONS heading renamed. The look (columns, colours) stays citty's.

import { renderUsage, type ArgsDef, type CommandDef } from "citty";

export interface FlagGroup {
  title: string;
  flags: readonly string[];
}

function pick(args: ArgsDef, keep: (name: string) => boolean): ArgsDef {
  return Object.fromEntries(Object.entries(args).filter(([name]) => keep(name)));
}

// citty colours its headings unless NO_COLOR, TERM=dumb or CI is set.
const ANSI = /\x1b\[[0-9;]*m/g;

/** The usage text from its OPTIONS heading on, with the heading renamed; "" if it has none. */
export function optionsSection(usage: string, title: string): string {
  const lines = usage.split("\n");
  const at = lines.findIndex((l) => l.replace(ANSI, "") === "OPTIONS");
  if (at === -1) return "";
  return [lines[at]!.replace("OPTIONS", title), ...lines.slice(at + 1)].join("\n");
}

/** citty's usage for `cmd` with the grouped flags taken out of OPTIONS into sections of their own. */
export async function renderGroupedUsage<T extends ArgsDef>(cmd: CommandDef<T>, groups: readonly FlagGroup[]): Promise<string> {
  const args: ArgsDef = await (typeof cmd.args === "function" ? cmd.args() : (cmd.args ?? {}));
  const grouped = new Set(groups.flatMap((g) => g.flags));
  const parts = [await renderUsage({ meta: cmd.meta, args: pick(args, (name) => !grouped.has(name)) })];
  for (const g of groups) {
    parts.push(optionsSection(await renderUsage({ meta: cmd.meta, args: pick(args, (name) => g.flags.includes(name)) }), g.title));
  }
  return parts.join("\n");
}
