// The Dockerfile read as data, for the tests that rebuild its image without a Docker engine: the
// stages' instructions, the runtime stage's settings, and docker/runtime-files.

import { readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = new URL("../..", import.meta.url).pathname;

/** The Dockerfile's instructions, comments and blank lines dropped: the global ARGs, then each stage. */
export function dockerfileStages(): string[][] {
  const lines = readFileSync(join(ROOT, "Dockerfile"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const stages: string[][] = [[]];
  for (const l of lines) {
    if (l.startsWith("FROM ")) stages.push([]);
    stages.at(-1)!.push(l);
  }
  return stages;
}

export interface Healthcheck {
  /** `--interval=30s` and friends, by name. */
  options: Record<string, string>;
  cmd: string[];
}

/** The runtime stage's settings, as `docker run` would apply them. */
export function runtimeStage() {
  const stage = dockerfileStages().at(-1)!;
  const arg = (name: string) => stage.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1));
  const env = Object.fromEntries(arg("ENV").map((v) => v.split("=", 2) as [string, string]));
  const hc = arg("HEALTHCHECK")[0];
  let healthcheck: Healthcheck | null = null;
  if (hc !== undefined) {
    const at = hc.indexOf("CMD ");
    const options = Object.fromEntries([...hc.slice(0, at).matchAll(/--([a-z-]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    healthcheck = { options, cmd: JSON.parse(hc.slice(at + 4)) as string[] };
  }
  return { stage, user: arg("USER")[0]!, entrypoint: JSON.parse(arg("ENTRYPOINT")[0]!) as string[], env, healthcheck };
}

/** docker/runtime-files' paths for one Docker arch. */
export function listedFiles(dockerArch: string): string[] {
  return readFileSync(join(ROOT, "docker/runtime-files"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => l.trim().split(/\s+/))
    .filter(([arch]) => arch === dockerArch)
    .map(([, path]) => path!);
}
