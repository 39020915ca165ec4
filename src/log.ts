// Logging: consola with a level from --log-level / CMUX_LOG_LEVEL and optional JSON lines for
// machines. Hot paths check `log.level` before building a debug message.

import { createConsola, LogLevels, type ConsolaInstance, type LogType } from "consola";

export const LOG_LEVEL_NAMES = ["silent", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

export let log: ConsolaInstance = createConsola({ level: LogLevels.info });

const jsonReporter = {
  log(obj: { date: Date; type: string; args: unknown[] }) {
    const msg = obj.args.map((a) => (typeof a === "string" ? a : String(a))).join(" ");
    process.stderr.write(JSON.stringify({ time: obj.date.toISOString(), level: obj.type, msg }) + "\n");
  },
};

export function configureLog(level: LogLevelName, json: boolean): void {
  log = createConsola({
    level: LogLevels[level as LogType],
    ...(json ? { reporters: [jsonReporter] } : {}),
    formatOptions: { date: true, colors: process.stderr.isTTY === true },
  });
}
