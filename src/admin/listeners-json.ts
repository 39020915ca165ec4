// GET /api/listeners: the listing as JSON (schema in the README, "The admin page").

import type { Listing } from "./listing";
import type { AdminResponse } from "./response";

export function listenersJson(listing: Listing): AdminResponse {
  return { status: 200, headers: [["Content-Type", "application/json; charset=utf-8"]], body: JSON.stringify(listing, null, 2) + "\n" };
}
