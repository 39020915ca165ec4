// Preloaded by bunfig.toml. End-to-end tests start real servers and processes: give a loaded CI
// machine room (30 s) without hiding a hang; tests that need longer say so themselves.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(30_000);
