// The dev host's `backendSrv`: what `getBackendSrv()` returns in Grafana, reproduced for the calls
// plugins make, following grafana/grafana `public/app/core/services/backend_srv.ts` (`fetch`,
// `parseRequestOptions`, `handleStreamError`, `processRequestError`) and
// `public/app/core/utils/fetch.ts` (`parseInitFromOptions`, `parseResponseBody`):
// * local URLs get `X-Grafana-Org-Id` from the signed-in user and lose a leading `/` (so they resolve
//   against `<base href>`, Grafana's sub-path);
// * a 401 on the first attempt of a local call by a signed-in user rotates the session when its
//   `grafana_session_expiry` cookie says it expired (`POST /api/user/auth-tokens/rotate`, one rotation
//   shared by the calls refused while it is in flight, `rotateToken`), else pings
//   (`GET /api/login/ping`), then retries the call once; a 401 from that logs the user out;
// * the body is parsed by `responseType` (default: JSON when the answer says so, else text); an
//   error's text body becomes `{message, error, response}`;
// * unsubscribing aborts the request.
// Test tooling, not product.
import { Observable } from 'rxjs';
import type { BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';

export interface User {
  orgId: number;
  isSignedIn: boolean;
}

const isLocalUrl = (url: string) => !/^https?:\/\//.test(url);

/** `parseRequestOptions`: org header and leading-slash handling for local URLs. */
function parseRequestOptions(options: BackendSrvRequest, user: User): BackendSrvRequest {
  const out: BackendSrvRequest = { ...options, retry: options.retry ?? 0, headers: { ...(options.headers ?? {}) } };
  if (isLocalUrl(out.url)) {
    if (user.orgId) out.headers!['X-Grafana-Org-Id'] = user.orgId;
    if (out.url.startsWith('/')) out.url = out.url.substring(1);
  }
  return out;
}

/** `parseInitFromOptions`: headers, body and credentials as Grafana's fetch utilities build them. */
function parseInit(options: BackendSrvRequest, signal: AbortSignal): RequestInit {
  const headers = new Headers({ Accept: 'application/json, text/plain, */*' });
  for (const [k, v] of Object.entries(options.headers ?? {})) headers.set(k, String(v));
  if (options.method && options.method !== 'GET' && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  const json = (headers.get('Content-Type') ?? '').includes('application/json');
  let body: BodyInit | undefined;
  if (!options.data || typeof options.data === 'string') body = options.data;
  else body = json ? JSON.stringify(options.data) : new URLSearchParams(options.data);
  const credentials = options.credentials ?? (options.withCredentials ? 'include' : 'same-origin');
  return { method: options.method, headers, body, credentials, signal };
}

function urlOf(options: BackendSrvRequest): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(options.params ?? {})) if (v !== undefined && v !== null) params.append(k, String(v));
  const q = params.toString();
  return q ? `${options.url}${options.url.includes('?') ? '&' : '?'}${q}` : options.url;
}

/** `parseResponseBody`. */
async function parseBody(response: Response, responseType: BackendSrvRequest['responseType']): Promise<unknown> {
  const type = responseType ?? ((response.headers.get('Content-Type') ?? '').includes('application/json') ? 'json' : undefined);
  switch (type) {
    case 'text':
      return response.text();
    case 'json': {
      const text = await response.text();
      return text ? JSON.parse(text) : undefined;
    }
    case 'arraybuffer':
      return response.arrayBuffer();
    case 'blob':
      return response.blob();
    default: {
      const text = await response.text();
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    }
  }
}

/** `processRequestError`: `data` always an object with a message. */
function processError(e: FetchError): FetchError {
  e.data = e.data ?? { message: 'Unexpected error' };
  if (typeof e.data === 'string') e.data = { message: e.data, error: e.statusText, response: e.data };
  if (e.data && !e.data.message && typeof e.data.error === 'string') e.data.message = e.data.error;
  return e;
}

/** Seconds since the epoch at which the session expires, from Grafana's cookie (0 when absent). */
function sessionExpiry(): number {
  const m = document.cookie.match(/(?:^|;\s*)grafana_session_expiry=(\d+)/);
  return m ? Number(m[1]) : 0;
}

export class DevBackendSrv {
  constructor(private user: User, private logout: () => void = () => {}) {}

  fetch<T>(request: BackendSrvRequest): Observable<FetchResponse<T>> {
    return new Observable<FetchResponse<T>>((observer) => {
      const controller = new AbortController();
      const options = parseRequestOptions(request, this.user);
      this.attempt<T>(options, controller.signal, true).then(
        (r) => {
          observer.next(r);
          observer.complete();
        },
        (e) => observer.error(e),
      );
      return () => controller.abort();
    });
  }

  /** One call; on a first-attempt 401, rotate or ping as `handleStreamError` does, then try again. */
  private async attempt<T>(options: BackendSrvRequest, signal: AbortSignal, first: boolean): Promise<FetchResponse<T>> {
    const response = await fetch(urlOf(options), parseInit(options, signal));
    const data = (await parseBody(response, options.responseType)) as T;
    const answer = {
      status: response.status, statusText: response.statusText, ok: response.ok, data, headers: response.headers,
      url: response.url, type: response.type, redirected: response.redirected, config: options,
    } as FetchResponse<T>;
    if (response.ok) return answer;
    const error = { status: response.status, statusText: response.statusText, data, config: options } as FetchError;
    if (error.status === 401 && isLocalUrl(options.url) && first && options.retry === 0 && this.user.isSignedIn) {
      const expired = sessionExpiry() * 1000 < Date.now();
      const check = expired ? this.rotateToken() : this.call('api/login/ping', 'GET');
      const status = await check;
      if (status === 401) {
        this.logout();
        throw processError(error);
      }
      return this.attempt<T>(options, signal, false);
    }
    throw processError(error);
  }

  /** The rotation in flight, which every call refused meanwhile waits on, as `rotateToken` shares it. */
  private rotation: Promise<number> | null = null;

  private rotateToken(): Promise<number> {
    this.rotation ??= this.call('api/user/auth-tokens/rotate', 'POST').finally(() => {
      this.rotation = null;
    });
    return this.rotation;
  }

  private async call(url: string, method: string): Promise<number> {
    const r = await fetch(url, parseInit(parseRequestOptions({ url, method, retry: 1 }, this.user), new AbortController().signal));
    return r.status;
  }

  async request<T>(options: BackendSrvRequest): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.fetch<T>(options).subscribe({ next: (r) => resolve(r.data), error: reject });
    });
  }

  get<T>(url: string, params?: Record<string, unknown>): Promise<T> {
    return this.request<T>({ url, method: 'GET', params });
  }

  post<T>(url: string, data?: unknown): Promise<T> {
    return this.request<T>({ url, method: 'POST', data });
  }
}
