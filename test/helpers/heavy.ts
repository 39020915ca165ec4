// Long or resource-hungry tests run only with CMUX_HEAVY=1 (CI sets it; see .ci/run). The
// descriptors they need are checked up front by requireFdLimit in fd-limit.ts.

export const HEAVY = process.env.CMUX_HEAVY === "1";
