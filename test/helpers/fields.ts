// Header fields as the head parser hands them on, built from name/value pairs: the input of the
// framing, rewriting and routing tables, which take a parsed head rather than bytes.

import type { Fields } from "../../src/http/head-parser";

export function fields(pairs: [string, string][]): Fields {
  return {
    names: pairs.map(([n]) => n),
    lower: pairs.map(([n]) => n.toLowerCase()),
    values: pairs.map(([, v]) => v),
  };
}
