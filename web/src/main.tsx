// Customer 360: the staff page. Sign in with an API key (kept for this browser tab's
// session only), find a customer by what they say at the counter, see them whole.
import './style.css';
import { LogOut, TriangleAlert, Users } from 'lucide-preact';
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Api, ApiError } from './api';
import { discoverExtras, type Extra } from './extras';
import { channelLook, formatRelative, personName } from './format';
import { TYPE_LABELS, detect, isNational, toInput } from './identify';
import { PersonView, type LiveListener } from './person-view';
import {
  CHECK_KEY,
  LIVE,
  PERSONS,
  personById,
  personByIdentifier,
  type Candidate,
  type IdentifierInput,
  type IdentifierType,
  type LiveEvent,
  type Person,
} from './queries';
import { SearchBar, type SearchQuery } from './search';

/** The only thing the page stores: the key, for this tab's session. */
const KEY_ITEM = 'omnid.apiKey';

type View =
  | { kind: 'welcome' }
  | { kind: 'loading'; label: string }
  | { kind: 'notFound'; label: string }
  | { kind: 'invalid'; message: string }
  | { kind: 'candidates'; label: string; list: Candidate[] }
  | { kind: 'person'; person: Person };

type LiveState = 'connecting' | 'live' | 'reconnecting';

function SignIn({ message, onSignedIn }: { message: string | null; onSignedIn: (api: Api) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(message);
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin">
      <form
        class="signin-card"
        aria-labelledby="signin-title"
        onSubmit={async (event) => {
          event.preventDefault();
          const api = new Api(key.trim());
          setBusy(true);
          setError(null);
          try {
            await api.request(CHECK_KEY);
            sessionStorage.setItem(KEY_ITEM, api.key);
            onSignedIn(api);
          } catch (e) {
            setError(e instanceof ApiError ? e.message.replace(/ Retrying.*$/, '') : String(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        <div class="brand big">
          <span class="logo" aria-hidden>
            o
          </span>
          <span>
            omnid <strong>Customer 360</strong>
          </span>
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p class="muted">
          Enter your omnid API key. It is kept for this browser tab only and forgotten when you close it.
        </p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          required
          autoFocus
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
        />
        {error && (
          <p class="error" role="alert" data-testid="signin-error">
            <TriangleAlert size={16} aria-hidden /> {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !key.trim()}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function Candidates({ label, list, onOpen }: { label: string; list: Candidate[]; onOpen: (id: string) => void }) {
  return (
    <section class="candidates" data-testid="candidates" aria-labelledby="candidates-title">
      <h2 id="candidates-title">
        <Users size={20} aria-hidden /> {list.length} customers share this {label}
      </h2>
      <p class="muted">
        It is not one person's (a store's own phone, a household address…), so omnid does not guess. Ask for another detail,
        or pick the customer below.
      </p>
      <ul>
        {list.map((c) => {
          const shown = c.identifiers.filter((i) => !i.shared).slice(0, 4);
          return (
            <li key={c.id}>
              <button type="button" class="candidate" onClick={() => onOpen(c.id)} data-testid="candidate">
                <span class="candidate-name">{personName(c.records) ?? 'Unnamed customer'}</span>
                <span class="candidate-ids">
                  {shown.map((i) => (
                    <span key={`${i.type}${i.value}`} class="tag">
                      {TYPE_LABELS[i.type]}: {i.display[0] ?? i.value}
                    </span>
                  ))}
                </span>
                <span class="candidate-channels">
                  {c.channels.map((ch) => {
                    const look = channelLook(ch.channel);
                    return (
                      <span key={ch.channel} class="mini-chip" style={{ color: look.color }} title={`${look.label}: ${ch.events} events`}>
                        <look.Icon size={12} aria-hidden /> {ch.events}
                      </span>
                    );
                  })}
                </span>
                <span class="muted small">last seen {formatRelative(c.lastSeen)}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Welcome() {
  return (
    <section class="welcome">
      <h2>Find a customer</h2>
      <p>Ask what the customer can tell you at the counter or on the phone:</p>
      <ul>
        <li>a phone number, in any spelling (600 12 34 56, +34 600 123 456, 0034600123456);</li>
        <li>an email address;</li>
        <li>the loyalty card number, typed or scanned.</li>
      </ul>
      <p class="muted">
        A name is not enough: many customers share one. Press <kbd>/</kbd> to jump to the search box.
      </p>
    </section>
  );
}

function Workspace({ api, onSignOut }: { api: Api; onSignOut: (message?: string) => void }) {
  const [view, setView] = useState<View>({ kind: 'welcome' });
  const [seq, setSeq] = useState(0); // one more per answered search (benchmarks wait on it)
  const [problem, setProblem] = useState<string | null>(null);
  const [live, setLive] = useState<LiveState>('connecting');
  const [notice, setNotice] = useState<string | null>(null);
  const [extras, setExtras] = useState<Extra[]>([]);
  const extraSelection = extras.map((e) => e.selection).join(' ');
  const listener = useRef<LiveListener | null>(null);
  const lastAction = useRef<(() => Promise<void>) | null>(null);
  const recovering = useRef(false);
  const search = useRef(0);

  const fail = useCallback(
    (error: unknown, retry?: () => Promise<void>) => {
      if (error instanceof ApiError && (error.kind === 'auth' || error.kind === 'forbidden')) {
        onSignOut(error.message);
        return;
      }
      if (retry) lastAction.current = retry;
      setProblem(error instanceof ApiError ? error.message : `Unexpected error: ${String(error)}`);
    },
    [onSignOut],
  );

  useEffect(() => {
    void discoverExtras(api).then(setExtras);
  }, [api]);

  const showPerson = useCallback(
    async (id: string, quiet = false) => {
      const mine = ++search.current;
      if (!quiet) setView({ kind: 'loading', label: 'Loading the customer…' });
      lastAction.current = () => showPerson(id, true);
      try {
        const result = await api.request<{ person: Person | null }>(personById(extraSelection), { id });
        if (mine !== search.current) return;
        const person = result.data?.person;
        if (person) setView({ kind: 'person', person });
        else setView({ kind: 'notFound', label: 'customer' });
        setProblem(null);
        setSeq((n) => n + 1);
      } catch (error) {
        if (mine === search.current) fail(error, () => showPerson(id, true));
      }
    },
    [api, extraSelection, fail],
  );

  const runSearch = useCallback(
    async (query: SearchQuery) => {
      const mine = ++search.current;
      const found = query.type === 'AUTO' ? detect(query.value) : ({ ok: true, type: query.type } as const);
      if (!found.ok) {
        setView({ kind: 'invalid', message: found.reason });
        setSeq((n) => n + 1);
        return;
      }
      const types: IdentifierType[] = [found.type];
      if (query.type === 'AUTO' && 'alternative' in found && found.alternative) types.push(found.alternative);
      const label = types.map((t) => TYPE_LABELS[t].toLowerCase()).join(' or ');
      setView({ kind: 'loading', label: `Looking up this ${label}…` });
      lastAction.current = () => runSearch(query);
      try {
        let invalid: string | null = null;
        for (const type of types) {
          const identifier: IdentifierInput = toInput(type, query.value, query.country);
          const result = await api.request<{ person: Person | null }>(personByIdentifier(extraSelection), { identifier });
          if (mine !== search.current) return;
          const error = result.errors[0];
          const code = error?.extensions?.code;
          if (code === 'AMBIGUOUS_IDENTIFIER') {
            const many = await api.data<{ persons: Candidate[] }>(PERSONS, { identifier });
            if (mine !== search.current) return;
            setView({ kind: 'candidates', label: TYPE_LABELS[type].toLowerCase(), list: many.persons });
            setSeq((n) => n + 1);
            setProblem(null);
            return;
          }
          if (code === 'INVALID_IDENTIFIER' || code === 'INVALID_INPUT') {
            invalid ??=
              isNational(type, query.value) && !query.country
                ? 'This phone number is written without its country code: choose the country next to the search box, or type it with + (e.g. +34 600 12 34 56).'
                : error.message;
            continue;
          }
          if (error) throw new ApiError('graphql', error.message, code);
          const person = result.data?.person;
          if (person) {
            lastAction.current = () => showPerson(person.id, true);
            setView({ kind: 'person', person });
            setSeq((n) => n + 1);
            setProblem(null);
            return;
          }
        }
        setView(invalid && types.length === 1 ? { kind: 'invalid', message: invalid } : { kind: 'notFound', label });
        setSeq((n) => n + 1);
        setProblem(null);
      } catch (error) {
        if (mine !== search.current) return;
        if (error instanceof ApiError && error.kind === 'graphql') {
          setView({ kind: 'invalid', message: error.message });
          setSeq((n) => n + 1);
        } else {
          fail(error, () => runSearch(query));
        }
      }
    },
    [api, extraSelection, fail, showPerson],
  );

  // Recovery: while there is a problem, check every second whether omnid answers again,
  // then redo what failed (or refresh what is shown).
  useEffect(() => {
    if (!problem) return;
    const timer = setInterval(async () => {
      if (recovering.current) return;
      recovering.current = true;
      try {
        if (await Api.alive()) {
          const action = lastAction.current;
          if (action) await action();
          else setProblem(null);
        }
      } finally {
        recovering.current = false;
      }
    }, 1000);
    return () => clearInterval(timer);
  }, [problem]);

  // Live events for whoever is on screen, over one websocket for the page's life.
  useEffect(() => {
    let disposed = false;
    let lost: ReturnType<typeof setTimeout> | null = null;
    let dropped = false;
    const client = api.socket({
      connected: () => {
        if (lost) clearTimeout(lost);
        lost = null;
        setLive('live');
        if (dropped) {
          dropped = false;
          // back after a drop: catch up with what happened meanwhile
          const action = lastAction.current;
          if (action) void action();
          else setProblem(null);
        }
      },
      closed: () => {
        if (disposed) return;
        dropped = true;
        setLive('reconnecting');
        if (!lost) {
          lost = setTimeout(() => {
            lost = null;
            setProblem((current) => current ?? 'Lost the connection to omnid: it is not answering. Reconnecting…');
          }, 800);
        }
      },
      refused: () => onSignOut('This API key was refused for live updates. Sign in again with a valid key.'),
    });
    const stop = client.subscribe<{ journeyEvents: LiveEvent }>(
      { query: LIVE },
      {
        next: (result) => {
          if (result.data) listener.current?.(result.data.journeyEvents);
        },
        error: () => {
          if (!disposed) setLive('reconnecting');
        },
        complete: () => undefined,
      },
    );
    return () => {
      disposed = true;
      if (lost) clearTimeout(lost);
      stop();
      api.dispose();
    };
  }, [api, onSignOut]);

  const listen = useCallback((l: LiveListener | null) => {
    listener.current = l;
  }, []);

  const moved = useCallback(
    (id: string) => {
      setNotice('This customer was just merged with another profile: showing the merged customer.');
      void showPerson(id, true);
    },
    [showPerson],
  );

  const liveText = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' }[live];

  return (
    <div class="app">
      <header class="topbar">
        <div class="brand">
          <span class="logo" aria-hidden>
            o
          </span>
          <span>
            omnid <strong>Customer 360</strong>
          </span>
        </div>
        <span class={`live ${live}`} data-testid="live" data-state={live} title="New events appear as they happen">
          <span class="dot" aria-hidden /> {liveText}
        </span>
        <button type="button" class="ghost" onClick={() => onSignOut()}>
          <LogOut size={16} aria-hidden /> Sign out
        </button>
      </header>
      {problem && (
        <div class="banner" role="alert" data-testid="problem">
          <TriangleAlert size={18} aria-hidden />
          <span>{problem}</span>
        </div>
      )}
      {notice && (
        <div class="banner info" role="status">
          <span>{notice}</span>
          <button type="button" class="ghost" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      <SearchBar onSearch={(q) => void runSearch(q)} />
      <main id="results" data-testid="results" data-view={view.kind} data-seq={seq} aria-busy={view.kind === 'loading'}>
        {view.kind === 'welcome' && <Welcome />}
        {view.kind === 'loading' && (
          <p class="status" role="status">
            <span class="spinner" aria-hidden /> {problem ? 'Waiting for omnid to answer…' : view.label}
          </p>
        )}
        {view.kind === 'notFound' && (
          <section class="message" role="status" data-testid="not-found">
            <h2>Nothing found</h2>
            <p>
              No customer is known by this {view.label}. Check the spelling, or ask for another identifier: an email, a phone
              number, the loyalty card.
            </p>
          </section>
        )}
        {view.kind === 'invalid' && (
          <section class="message warn" role="status" data-testid="invalid">
            <p>{view.message}</p>
          </section>
        )}
        {view.kind === 'candidates' && <Candidates label={view.label} list={view.list} onOpen={(id) => void showPerson(id)} />}
        {view.kind === 'person' && (
          <PersonView
            key={view.person.id}
            api={api}
            person={view.person}
            extras={extras}
            listen={listen}
            onMoved={moved}
            onError={fail}
          />
        )}
      </main>
    </div>
  );
}

function App() {
  const [api, setApi] = useState<Api | null>(() => {
    const key = sessionStorage.getItem(KEY_ITEM);
    return key ? new Api(key) : null;
  });
  const [message, setMessage] = useState<string | null>(null);
  const signOut = useCallback((why?: string) => {
    sessionStorage.removeItem(KEY_ITEM);
    setMessage(why ?? null);
    setApi(null);
  }, []);
  if (!api) {
    return (
      <SignIn
        message={message}
        onSignedIn={(next) => {
          setMessage(null);
          setApi(next);
        }}
      />
    );
  }
  return <Workspace key={api.key} api={api} onSignOut={signOut} />;
}

render(<App />, document.getElementById('root')!);
