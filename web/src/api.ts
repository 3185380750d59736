// The page's only way to omnid: GraphQL over HTTP at /graphql, and subscriptions over
// graphql-transport-ws at the same path (graphql-ws). The API key is sent as a bearer
// token (HTTP) and in the connection_init payload (websocket), never in a URL.
import { createClient, type Client } from 'graphql-ws';

export type ErrorKind =
  | 'network' // omnid does not answer (down, restarting, no network)
  | 'auth' // the key was refused
  | 'forbidden' // the key lacks the read scope
  | 'unavailable' // omnid answers but its database does not
  | 'server' // an unexpected answer (5xx, not JSON)
  | 'graphql'; // an error omnid reports for this request (code in `code`)

/** An error worth showing to the user: `message` is already readable. */
export class ApiError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string };
}

export interface Result<T> {
  data: T | null;
  errors: GraphQLErrorBody[];
}

const ENDPOINT = '/graphql';
const TIMEOUT_MS = 15_000;

/** Errors that concern the whole page rather than one field: thrown, not returned. */
function pageError(errors: GraphQLErrorBody[]): ApiError | null {
  for (const error of errors) {
    const code = error.extensions?.code;
    if (code === 'UNAUTHENTICATED') {
      return new ApiError('auth', 'This API key was refused. Sign in again with a valid key.', code);
    }
    if (code === 'FORBIDDEN') {
      return new ApiError('forbidden', 'This API key may not read customers (it lacks the read scope).', code);
    }
    if (code === 'GRAPH_UNAVAILABLE') {
      return new ApiError('unavailable', 'omnid answers, but its database (Neo4j) does not. Retrying…', code);
    }
  }
  return null;
}

export class Api {
  private ws: Client | null = null;

  constructor(readonly key: string) {}

  /** Runs one operation. Throws ApiError for page-wide trouble (network, key, database);
   * returns field errors (not found, ambiguous, invalid) with the data. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<Result<T>> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(ENDPOINT, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          Authorization: `Bearer ${this.key}`,
        },
        body: JSON.stringify({ query, variables }),
        signal: abort.signal,
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('network', 'omnid is not answering. Retrying until it is back…');
    } finally {
      clearTimeout(timer);
    }
    let body: { data?: T | null; errors?: GraphQLErrorBody[] };
    try {
      body = await response.json();
    } catch {
      throw new ApiError(
        response.status >= 500 ? 'network' : 'server',
        `omnid answered ${response.status} ${response.statusText || ''}`.trim() + '. Retrying…',
      );
    }
    const errors = body.errors ?? [];
    const fatal = pageError(errors);
    if (fatal) throw fatal;
    if (!response.ok && body.data == null) {
      throw new ApiError('server', errors[0]?.message ?? `omnid answered ${response.status}`);
    }
    return { data: body.data ?? null, errors };
  }

  /** The same as `request`, but any error (a field's too) is thrown. */
  async data<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const result = await this.request<T>(query, variables);
    const first = result.errors[0];
    if (first || result.data === null) {
      throw new ApiError('graphql', first?.message ?? 'omnid returned no data', first?.extensions?.code);
    }
    return result.data;
  }

  /** Whether omnid's process answers at all (no key needed). */
  static async alive(): Promise<boolean> {
    try {
      const response = await fetch('/healthz', { cache: 'no-store' });
      return response.ok;
    } catch {
      return false;
    }
  }

  /** The websocket client, opened on first use, retrying for as long as the page is
   * open (the service may restart); a refused key (4403) is final. */
  socket(on: { connected?: () => void; closed?: (code: number) => void; refused?: () => void }): Client {
    if (this.ws) return this.ws;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${ENDPOINT}`;
    this.ws = createClient({
      url,
      connectionParams: { apiKey: this.key },
      lazy: true,
      keepAlive: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      // Quick first retries (a restart takes a second or two), then every 3 s at most.
      retryWait: (retries) =>
        new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** retries, 3_000))),
      shouldRetry: (event) => {
        const code = (event as { code?: number }).code;
        if (code === 4403 || code === 4401) {
          on.refused?.();
          return false;
        }
        return true;
      },
      on: {
        connected: () => on.connected?.(),
        closed: (event) => on.closed?.((event as { code?: number }).code ?? 0),
      },
    });
    return this.ws;
  }

  dispose(): void {
    void this.ws?.dispose();
    this.ws = null;
  }
}
