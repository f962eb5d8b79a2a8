import type { Request, RequestHandler, Router } from "express";

/**
 * `router` behind a test of the request path: the router is entered only when the path could match one of
 * its routes, and every other request goes on at once. Express enters a router mounted without a path for
 * every request, and a router with no route for it hands the request on through setImmediate; with the
 * health, OpenAPI, metrics and AS4 routers mounted ahead of the /messages routers, each poll took four such
 * turns of the event loop.
 *
 * The test is each route's literal beginning (its path up to the first parameter or wildcard), compared on the
 * raw path and case-insensitively, as express matches routes, so it never keeps out a request one of the routes
 * would take. A router holding anything but routes with string paths (middleware, a mounted router, a RegExp
 * path) is entered for every request, as before.
 */
export function enteredOnlyForItsPaths(router: Router): RequestHandler {
  const prefixes = routePrefixes(router);
  if (prefixes === undefined) return router;
  return (req: Request, res, next) => {
    const path = req.path.toLowerCase();
    for (const prefix of prefixes) if (path.startsWith(prefix)) return router(req, res, next);
    next();
  };
}

/** The lower-cased literal beginning of each of the router's routes, or undefined when it holds anything else. */
export function routePrefixes(router: Router): string[] | undefined {
  const prefixes: string[] = [];
  for (const layer of router.stack) {
    const path: unknown = layer.route?.path;
    if (typeof path !== "string") return undefined;
    const special = path.search(/[:*{}()[\]?+!\\]/);
    prefixes.push((special === -1 ? path : path.slice(0, special)).toLowerCase());
  }
  return [...new Set(prefixes)];
}

/**
 * Whether `path` is `prefix` or lies under it, as express matches a middleware mounted at `prefix`
 * (case-insensitively, on whole path segments), without mounting it there: a mounted middleware has
 * req.url cut before it runs and restored after, and the path parsed again each time.
 */
export function pathIsUnder(path: string, prefix: string): boolean {
  if (path.length < prefix.length) return false;
  const c = path.charCodeAt(prefix.length);
  return (Number.isNaN(c) || c === 0x2f) && path.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase();
}
