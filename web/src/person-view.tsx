// One person on screen: the card, the journey (filters, pages, live events) and the
// explanation. Live events arrive from the workspace's subscription through `live`.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api } from './api';
import { Explain } from './explain';
import type { Extra } from './extras';
import { EventDetails, Journey, eventKey, type Filters } from './journey';
import { Channels, ExtrasPlace, Identifiers, PersonHeader, Records } from './person';
import {
  JOURNEY,
  PAGE_SIZE,
  SUMMARY,
  type ChannelSummary,
  type EventPage,
  type JourneyEvent,
  type LiveEvent,
  type Person,
  type Transition,
} from './queries';

export type LiveListener = (live: LiveEvent) => void;

const time = (iso: string): number => new Date(iso).getTime();

const NO_FILTERS: Filters = { channels: [], types: [] };

function passes(event: JourneyEvent, filters: Filters): boolean {
  return (
    (!filters.channels.length || filters.channels.includes(event.channel)) &&
    (!filters.types.length || filters.types.includes(event.type))
  );
}

export interface PersonViewProps {
  api: Api;
  person: Person;
  extras: Extra[];
  /** Registers the listener for live events (one at a time). */
  listen: (listener: LiveListener | null) => void;
  /** The person was merged into another one: show that one instead. */
  onMoved: (id: string) => void;
  /** Page-wide errors (network, key) go up. */
  onError: (error: unknown, retry?: () => Promise<void>) => void;
}

export function PersonView({ api, person, extras, listen, onMoved, onError }: PersonViewProps) {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [events, setEvents] = useState<JourneyEvent[]>(() => person.journey.edges.map((e) => e.node));
  const [cursor, setCursor] = useState<string | null>(person.journey.pageInfo.endCursor);
  const [hasMore, setHasMore] = useState(person.journey.pageInfo.hasNextPage);
  const [loading, setLoading] = useState(false);
  const [journeyError, setJourneyError] = useState<string | null>(null);
  const [summary, setSummary] = useState<{ channels: ChannelSummary[]; transitions: Transition[]; lastSeen: string | null }>({
    channels: person.channels,
    transitions: person.transitions,
    lastSeen: person.lastSeen,
  });
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [knownTypes, setKnownTypes] = useState<string[]>([]);
  const [selected, setSelected] = useState<JourneyEvent | null>(null);
  const request = useRef(0); // the latest journey request; older answers are dropped
  const state = useRef({ filters, hasMore, events });
  state.current = { filters, hasMore, events };

  const remember = (list: JourneyEvent[]) =>
    setKnownTypes((known) => {
      const all = new Set(known);
      for (const event of list) all.add(event.type);
      return all.size === known.length ? known : [...all].sort();
    });

  const loadPage = useCallback(
    async (nextFilters: Filters, after: string | null) => {
      const seq = ++request.current;
      setLoading(true);
      setJourneyError(null);
      try {
        const data = await api.data<{ person: { journey: EventPage } | null }>(JOURNEY, {
          id: person.id,
          first: PAGE_SIZE,
          after,
          channels: nextFilters.channels.length ? nextFilters.channels : null,
          types: nextFilters.types.length ? nextFilters.types : null,
        });
        if (seq !== request.current) return;
        const page = data.person?.journey;
        if (!page) throw new ApiError('graphql', 'This customer is no longer known (erased or split). Search again.');
        const nodes = page.edges.map((e) => e.node);
        remember(nodes);
        setEvents((current) => {
          if (!after) return nodes;
          const seen = new Set(current.map(eventKey));
          return [...current, ...nodes.filter((n) => !seen.has(eventKey(n)))];
        });
        setCursor(page.pageInfo.endCursor);
        setHasMore(page.pageInfo.hasNextPage);
      } catch (error) {
        if (seq !== request.current) return;
        if (error instanceof ApiError && error.kind === 'graphql') setJourneyError(error.message);
        else onError(error, () => loadPage(nextFilters, after));
      } finally {
        if (seq === request.current) setLoading(false);
      }
    },
    [api, person.id, onError],
  );

  // A new answer for this person (a refresh after reconnecting): the first page again.
  useEffect(() => {
    setSummary({ channels: person.channels, transitions: person.transitions, lastSeen: person.lastSeen });
    const nodes = person.journey.edges.map((e) => e.node);
    remember(nodes);
    const current = state.current.filters;
    if (!current.channels.length && !current.types.length) {
      request.current++;
      setEvents(nodes);
      setCursor(person.journey.pageInfo.endCursor);
      setHasMore(person.journey.pageInfo.hasNextPage);
      setLoading(false);
    } else {
      void loadPage(current, null);
    }
  }, [person]);

  const refreshSummary = useCallback(async () => {
    try {
      const data = await api.data<{ person: { channels: ChannelSummary[]; transitions: Transition[]; lastSeen: string | null } | null }>(
        SUMMARY,
        { id: person.id },
      );
      if (data.person) setSummary(data.person);
    } catch {
      // the next live event or refresh brings it
    }
  }, [api, person.id]);

  useEffect(() => {
    listen((live) => {
      const mine = live.person.id === person.id || live.person.mergedFrom.includes(person.id);
      if (!mine) return;
      if (live.person.id !== person.id) {
        onMoved(live.person.id);
        return;
      }
      const event = live.event;
      const key = eventKey(event);
      remember([event]);
      const { filters: f, hasMore: more, events: list } = state.current;
      if (passes(event, f) && !list.some((e) => eventKey(e) === key)) {
        const oldest = list[list.length - 1];
        // A late event older than the loaded pages comes with its page; else it goes in its place.
        if (!more || !oldest || time(event.at) >= time(oldest.at)) {
          setEvents((current) => {
            if (current.some((e) => eventKey(e) === key)) return current;
            const next = [...current, event];
            next.sort((x, y) => time(y.at) - time(x.at));
            return next;
          });
          setFresh((current) => new Set(current).add(key));
          setTimeout(() => setFresh((current) => {
            const next = new Set(current);
            next.delete(key);
            return next;
          }), 8000);
        }
      }
      setSummary((s) => ({ ...s, lastSeen: !s.lastSeen || time(event.at) > time(s.lastSeen) ? event.at : s.lastSeen }));
      void refreshSummary();
    });
    return () => listen(null);
  }, [person.id, listen, onMoved, refreshSummary]);

  const changeFilters = (next: Filters) => {
    setFilters(next);
    void loadPage(next, null);
  };
  const more = () => {
    if (!loading && hasMore) void loadPage(filters, cursor);
  };

  return (
    <div class="person" data-testid="person" data-person-id={person.id}>
      <aside class="side">
        <PersonHeader person={{ ...person, lastSeen: summary.lastSeen }} />
        <Identifiers identifiers={person.identifiers} />
        <Records records={person.records} />
        <ExtrasPlace person={person} extras={extras} />
        <Channels channels={summary.channels} />
        <Explain key={person.id} api={api} identifiers={person.identifiers} onError={onError} />
      </aside>
      <Journey
        events={events}
        channels={summary.channels}
        transitions={summary.transitions}
        knownTypes={knownTypes}
        filters={filters}
        hasMore={hasMore}
        loading={loading}
        error={journeyError}
        fresh={fresh}
        onFilters={changeFilters}
        onMore={more}
        onOpen={setSelected}
      />
      <EventDetails event={selected} onClose={() => setSelected(null)} />
    </div>
  );
}
