// Logging: one line per message on stderr, with a level from --log-level / CMUX_LOG_LEVEL, or JSON
// lines for machines. Hot paths check `log.level` before building a debug message.
//
// Written with console.error, not a logging library and not process.stderr: Bun's console writes
// natively, while consola (and process.stderr, which it uses) loads Node's stream machinery,
// about 9 MiB of the idle proxy's RSS (bench/base-rss.ts).

export const LOG_LEVEL_NAMES = ["silent", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

/** consola's numbers, kept so levels compare as before (debug is 4). */
const LEVELS: Record<LogLevelName, number> = { silent: Number.NEGATIVE_INFINITY, error: 0, warn: 1, info: 3, debug: 4, trace: 5 };

/** The debug level: a hot path checks `log.level >= DEBUG` before building a message. */
export const DEBUG = LEVELS.debug;

type Type = "error" | "warn" | "info" | "success" | "debug" | "trace";
const ICON: Record<Type, string> = { error: "✖", warn: "⚠", info: "ℹ", success: "✔", debug: "⚙", trace: "→" };

let json = false;

function emit(type: Type, args: unknown[]): void {
  const msg = args.map((a) => (typeof a === "string" ? a : a instanceof Error ? (a.stack ?? a.message) : String(a))).join(" ");
  console.error(json ? JSON.stringify({ time: new Date().toISOString(), level: type, msg }) : `${ICON[type]} ${msg}`);
}

export const log = {
  level: LEVELS.info,
  error: (...args: unknown[]) => void (log.level >= 0 && emit("error", args)),
  warn: (...args: unknown[]) => void (log.level >= 1 && emit("warn", args)),
  info: (...args: unknown[]) => void (log.level >= 3 && emit("info", args)),
  success: (...args: unknown[]) => void (log.level >= 3 && emit("success", args)),
  debug: (...args: unknown[]) => void (log.level >= 4 && emit("debug", args)),
  trace: (...args: unknown[]) => void (log.level >= 5 && emit("trace", args)),
};

export function configureLog(level: LogLevelName, asJson: boolean): void {
  log.level = LEVELS[level];
  json = asJson;
}
