// Which body the proxy's own error gets for this request: the HTML page, with the request forms that
// would reach a server, for a browser (src/http/error-page.ts); the plain line for everyone else.

import { PAGE_STATUSES, prefersHtml, urlForms } from "../http/error-page";
import type { HtmlChoice } from "../http/errors";
import { fieldValues, trimOws, type RequestHead } from "../http/head-parser";
import { originForm } from "../http/target-form";
import { DEFAULT_HOST_SUFFIXES, requestedWorkspace } from "../route";

/**
 * The page's forms when `head` (the request being answered, if one was read) prefers HTML and the
 * status has a page; null for the plain line. `port` is the target's, when the request named one.
 */
export function htmlChoice(head: RequestHead | null, status: number, port: number | null, suffixes: readonly string[] = DEFAULT_HOST_SUFFIXES): HtmlChoice | null {
  if (head === null || !PAGE_STATUSES.has(status) || !prefersHtml(fieldValues(head, "accept"))) return null;
  const hostAt = head.lower.indexOf("host");
  const authority = hostAt === -1 ? "" : trimOws(head.values[hostAt]!);
  // A 508's target is the proxy itself: suggesting it again would loop.
  const shown = status === 508 ? null : port;
  return {
    tries: urlForms({ authority, path: originForm(head.target), suffix: suffixes[0] ?? "localhost", port: shown, workspace: requestedWorkspace(head, suffixes) }),
  };
}
