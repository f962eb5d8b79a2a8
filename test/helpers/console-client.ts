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
