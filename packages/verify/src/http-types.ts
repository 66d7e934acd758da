/**
 * The few members of a request, a response and `next` that requireOrgToken uses, declared here so that
 * the package needs neither Express nor its types: Express 5's own objects fit them structurally.
 */

/** What requireOrgToken reads from a request: the `Authorization` header (Node lower-cases header names). */
export interface RequestLike {
  readonly headers: { readonly authorization?: string | undefined };
}

/**
 * What requireOrgToken writes on a response: Express's chainable setters, `send` and `locals`.
 * `send`'s body and `locals` are `any` on purpose: Express infers a route's response-body and locals
 * types from its handlers, and anything narrower here would narrow the `res` of the handlers after it.
 */
export interface ResponseLike {
  status(code: number): this;
  set(headers: Record<string, string>): this;
  type(type: string): this;
  send(body?: any): unknown;
  locals: Record<string, any>;
}

/** Express's `next`: called with no argument to continue, with an error to fail the request. */
export type NextLike = (error?: unknown) => void;

/**
 * The middleware requireOrgToken returns. Accepted wherever Express 5 takes a `RequestHandler`
 * (`app.use`, `app.get`, a `Router`), with or without `@types/express` installed.
 */
export type OrgTokenMiddleware = (req: RequestLike, res: ResponseLike, next: NextLike) => Promise<void>;
