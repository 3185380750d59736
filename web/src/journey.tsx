// The journey: every event across channels, newest first, with the hand-offs between
// channels, filters, pages as you scroll, and an event's details on click.
import { ArrowRight, X } from 'lucide-preact';
import { useEffect, useRef } from 'preact/hooks';
import { channelLook, eventSummary, formatDateTime, formatDuration, formatRelative, humanize } from './format';
import { Attributes } from './person';
import { TYPE_LABELS } from './identify';
import type { Channel, ChannelSummary, JourneyEvent, Transition } from './queries';

export interface Filters {
  channels: Channel[];
  types: string[];
}

export const eventKey = (event: JourneyEvent): string => `${event.source}/${event.id}`;

function ChannelIcon({ channel, size = 16 }: { channel: string; size?: number }) {
  const look = channelLook(channel);
  return (
    <span class="channel-icon" style={{ background: look.color }} title={look.label}>
      <look.Icon size={size} aria-hidden />
    </span>
  );
}

function HandOff({ transition }: { transition: Transition }) {
  const from = channelLook(transition.from);
  const to = channelLook(transition.to);
  return (
    <li class="handoff" data-testid="handoff" aria-label={`Hand-off from ${from.label} to ${to.label}`}>
      <span class="handoff-line" aria-hidden />
      <span class="handoff-label">
        <span style={{ color: from.color }}>{from.label}</span>
        <ArrowRight size={13} aria-hidden />
        <span style={{ color: to.color }}>{to.label}</span>
        <span class="muted">after {formatDuration(transition.seconds)}</span>
      </span>
    </li>
  );
}

function EventRow({ event, fresh, onOpen }: { event: JourneyEvent; fresh: boolean; onOpen: () => void }) {
  const look = channelLook(event.channel);
  const summary = eventSummary(event.attributes);
  return (
    <li class={`event${fresh ? ' fresh' : ''}`} style={{ '--channel': look.color }} data-channel={event.channel} data-type={event.type} data-event-id={event.id}>
      <button type="button" class="event-button" onClick={onOpen} aria-haspopup="dialog">
        <ChannelIcon channel={event.channel} />
        <span class="event-main">
          <span class="event-title">
            {humanize(event.type)}
            <span class="event-channel" style={{ color: look.color }}>
              {look.label}
            </span>
            {fresh && <span class="new-badge">new</span>}
          </span>
          {summary && <span class="event-summary">{summary}</span>}
          <span class="event-meta">
            {event.source} · {event.id}
          </span>
        </span>
        <time class="event-time" dateTime={event.at} title={formatDateTime(event.at)}>
          <span>{formatDateTime(event.at)}</span>
          <span class="muted small">{formatRelative(event.at)}</span>
        </time>
      </button>
    </li>
  );
}

export interface JourneyProps {
  events: JourneyEvent[];
  channels: ChannelSummary[];
  transitions: Transition[];
  knownTypes: string[];
  filters: Filters;
  hasMore: boolean;
  loading: boolean;
  error: string | null;
  fresh: Set<string>;
  onFilters: (filters: Filters) => void;
  onMore: () => void;
  onOpen: (event: JourneyEvent) => void;
}

export function Journey(props: JourneyProps) {
  const { events, channels, transitions, filters, hasMore, loading } = props;
  const sentinel = useRef<HTMLDivElement>(null);
  const more = useRef(props.onMore);
  more.current = props.onMore;

  useEffect(() => {
    const node = sentinel.current;
    if (!node || !hasMore) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) more.current();
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [hasMore, events.length]);

  // A hand-off is drawn under the event it arrived at (the journey reads newest first).
  const arrivals = new Map<string, Transition>();
  for (const t of transitions) arrivals.set(`${t.to}@${new Date(t.arrivedAt).getTime()}`, t);
  const total = channels.reduce((n, c) => n + c.events, 0);

  const toggleChannel = (channel: Channel) => {
    const on = filters.channels.includes(channel);
    props.onFilters({ ...filters, channels: on ? filters.channels.filter((c) => c !== channel) : [...filters.channels, channel] });
  };

  return (
    <section class="journey" aria-labelledby="journey-title">
      <div class="journey-head">
        <h3 id="journey-title">
          Journey <span class="count">{total} events</span>
        </h3>
        <div class="filters" role="group" aria-label="Filter the journey">
          <button type="button" class="chip" aria-pressed={filters.channels.length === 0} onClick={() => props.onFilters({ ...filters, channels: [] })}>
            All channels
          </button>
          {channels.map((c) => {
            const look = channelLook(c.channel);
            const on = filters.channels.includes(c.channel);
            return (
              <button
                type="button"
                key={c.channel}
                class="chip"
                aria-pressed={on}
                style={{ '--channel': look.color }}
                onClick={() => toggleChannel(c.channel)}
                data-filter-channel={c.channel}
              >
                <look.Icon size={13} aria-hidden /> {look.label} <span class="count">{c.events}</span>
              </button>
            );
          })}
          <label class="visually-hidden" for="type-filter">
            Event type
          </label>
          <select
            id="type-filter"
            value={filters.types[0] ?? ''}
            onChange={(e) => {
              const value = (e.target as HTMLSelectElement).value;
              props.onFilters({ ...filters, types: value ? [value] : [] });
            }}
          >
            <option value="">All types</option>
            {props.knownTypes.map((t) => (
              <option key={t} value={t}>
                {humanize(t)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {props.error && (
        <p class="inline-error" role="alert">
          {props.error}
        </p>
      )}
      {events.length === 0 && !loading && !props.error && (
        <p class="empty">{filters.channels.length || filters.types.length ? 'No event matches these filters.' : 'No event yet.'}</p>
      )}
      <ol class="timeline" data-testid="timeline" aria-live="polite" aria-relevant="additions">
        {events.map((event) => {
          const handoff = arrivals.get(`${event.channel}@${new Date(event.at).getTime()}`);
          if (handoff) arrivals.delete(`${event.channel}@${new Date(event.at).getTime()}`);
          return [
            <EventRow key={eventKey(event)} event={event} fresh={props.fresh.has(eventKey(event))} onOpen={() => props.onOpen(event)} />,
            handoff ? <HandOff key={`h-${eventKey(event)}`} transition={handoff} /> : null,
          ];
        })}
      </ol>
      <div ref={sentinel} class="sentinel" />
      {hasMore && (
        <button type="button" class="more" onClick={props.onMore} disabled={loading}>
          {loading ? 'Loading…' : 'Load older events'}
        </button>
      )}
      {!hasMore && events.length > 0 && <p class="muted small end">Start of the journey.</p>}
      {loading && !hasMore && <p class="muted small">Loading…</p>}
    </section>
  );
}

export function EventDetails({ event, onClose }: { event: JourneyEvent | null; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const node = dialog.current;
    if (!node) return;
    if (event && !node.open) node.showModal();
    if (!event && node.open) node.close();
  }, [event]);
  const look = event ? channelLook(event.channel) : null;
  return (
    <dialog
      ref={dialog}
      class="details"
      aria-labelledby="details-title"
      onClose={onClose}
      onClick={(e) => {
        if (e.target === dialog.current) onClose(); // a click on the backdrop
      }}
    >
      {event && look && (
        <div class="details-body">
          <header>
            <ChannelIcon channel={event.channel} size={18} />
            <div>
              <h3 id="details-title">{humanize(event.type)}</h3>
              <p class="muted small">
                {look.label} · {formatDateTime(event.at)} ({formatRelative(event.at)})
              </p>
            </div>
            <button type="button" class="icon-button" onClick={onClose} aria-label="Close">
              <X size={18} aria-hidden />
            </button>
          </header>
          <dl class="attributes">
            <div>
              <dt>source</dt>
              <dd>{event.source}</dd>
            </div>
            <div>
              <dt>id</dt>
              <dd>{event.id}</dd>
            </div>
            <div>
              <dt>type</dt>
              <dd>{event.type}</dd>
            </div>
            <div>
              <dt>when</dt>
              <dd>{event.at}</dd>
            </div>
          </dl>
          <h4>Attributes</h4>
          <Attributes attributes={event.attributes} />
          <h4>Seen with</h4>
          <ul class="seen-with">
            {event.seenWith.map((s) => (
              <li key={`${s.type}:${s.value}`}>
                <span class="muted">{TYPE_LABELS[s.type] ?? s.type}</span> {s.value}
              </li>
            ))}
            {event.seenWith.length === 0 && <li class="muted">No identifier.</li>}
          </ul>
        </div>
      )}
    </dialog>
  );
}
