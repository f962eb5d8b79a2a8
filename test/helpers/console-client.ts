/**
 * A browser's part in the console, over real HTTP: a cookie jar, forms posted as application/x-www-form-urlencoded,
 * redirects not followed (the tests look at them), and the CSRF token read back from the page as a browser has it.
 */

export interface ConsoleAnswer {
  status: number;
  location: string | null;
  setCookies: string[];
  headers: Headers;
  text: string;
}

export class ConsoleClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  async request(method: "GET" | "POST", path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<ConsoleAnswer> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      redirect: "manual",
      headers: {
        ...(this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") } : {}),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        ...headers,
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const [pair = ""] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (/max-age=0/i.test(c) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, location: res.headers.get("location"), setCookies, headers: res.headers, text: await res.text() };
  }

  get(path: string): Promise<ConsoleAnswer> {
    return this.request("GET", path);
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<ConsoleAnswer> {
    return this.request("POST", path, form, headers);
  }

  /**
   * Logs in at the OIDC provider the console sends us to, as a browser does: follows the console's redirect,
   * posts the provider's login form, and brings the provider's redirect back to the console; returns the
   * console's answer to that callback.
   */
  async loginWithOidc(user: string, password: string): Promise<ConsoleAnswer> {
    const start = await this.get("/console/oidc/login");
    if (start.status !== 303 || !start.location) throw new Error(`the console did not send us to the provider: ${start.status}`);
    const form = await (await fetch(start.location)).text();
    const request = /name="request" value="([^"]+)"/.exec(form)?.[1];
    if (!request) throw new Error("no login form at the provider");
    const posted = await fetch(new URL("/authorize", start.location), {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ request, username: user, password, action: "login" }).toString(),
    });
    const back = posted.headers.get("location");
    if (posted.status !== 303 || !back) throw new Error(`the provider did not send us back: ${posted.status}`);
    const callback = new URL(back);
    if (callback.origin !== this.base) throw new Error(`the provider sent us to ${callback.origin}`);
    return this.get(callback.pathname + callback.search);
  }

  /** Opens the login page and logs in; returns the answer to the login POST. */
  async login(user: string, password: string): Promise<ConsoleAnswer> {
    const page = await this.get("/console/login");
    return this.post("/console/login", { csrf: csrfOf(page.text), user, password });
  }
}

/** The CSRF token of the first form on the page. */
export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error("no CSRF token on the page");
  return m[1]!;
}
