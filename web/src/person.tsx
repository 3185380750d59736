// The person: who they are to each system, and by which identifiers.
import { Ban, Link2Off, Users } from 'lucide-preact';
import type { Extra } from './extras';
import { IDENTIFIER_COLORS, IDENTIFIER_ICONS, channelLook, formatDate, formatDateTime, formatRelative, personName } from './format';
import { TYPE_LABELS } from './identify';
import type { ChannelSummary, IdentifierType, Person, PersonIdentifier, PersonRecord } from './queries';

const TYPE_ORDER: IdentifierType[] = ['PHONE', 'EMAIL', 'LOYALTY_CARD', 'ADDRESS', 'CUSTOMER_ID', 'DEVICE', 'PAYMENT_TOKEN'];

function byType(identifiers: PersonIdentifier[]): [IdentifierType, PersonIdentifier[]][] {
  const groups = new Map<IdentifierType, PersonIdentifier[]>();
  for (const identifier of identifiers) {
    const list = groups.get(identifier.type) ?? [];
    list.push(identifier);
    groups.set(identifier.type, list);
  }
  const rank = (t: IdentifierType) => {
    const i = TYPE_ORDER.indexOf(t);
    return i < 0 ? TYPE_ORDER.length : i;
  };
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]));
}

function Flags({ identifier }: { identifier: PersonIdentifier }) {
  return (
    <>
      {identifier.shared && (
        <span class="flag shared" title={`Shared: ${identifier.sharedReason ?? 'seen with several customers'}. It does not merge customers.`}>
          <Users size={12} aria-hidden /> shared
        </span>
      )}
      {identifier.blocked && (
        <span class="flag blocked" title={`Blocked: ${identifier.blockedReason ?? 'a placeholder value'}. It never merges customers.`}>
          <Ban size={12} aria-hidden /> blocked
        </span>
      )}
      {!identifier.linking && !identifier.shared && !identifier.blocked && (
        <span class="flag nonlinking" title="Does not link on its own: several customers may share it (e.g. a household address).">
          <Link2Off size={12} aria-hidden /> non-linking
        </span>
      )}
    </>
  );
}

function IdentifierRow({ identifier }: { identifier: PersonIdentifier }) {
  const shown = identifier.display[0] ?? identifier.value;
  const spellings = identifier.display.length > 1 ? `Also seen as: ${identifier.display.slice(1).join(', ')}. ` : '';
  const title =
    `${TYPE_LABELS[identifier.type]} ${identifier.value}. ${spellings}` +
    `Sources: ${identifier.sources.join(', ') || '—'}. Last seen ${formatDateTime(identifier.lastSeen)}.`;
  return (
    <li class="identifier" data-type={identifier.type} title={title}>
      <span class="value">{shown}</span>
      <Flags identifier={identifier} />
      <span class="sources">{identifier.sources.join(' · ')}</span>
    </li>
  );
}

export function Identifiers({ identifiers }: { identifiers: PersonIdentifier[] }) {
  return (
    <section class="card" aria-labelledby="identifiers-title">
      <h3 id="identifiers-title">Identifiers</h3>
      {byType(identifiers).map(([type, list]) => {
        const Icon = IDENTIFIER_ICONS[type];
        return (
          <div class="identifier-group" key={type} data-type={type}>
            <h4 style={{ color: IDENTIFIER_COLORS[type] }}>
              <Icon size={15} aria-hidden /> {TYPE_LABELS[type]} <span class="count">{list.length}</span>
            </h4>
            <ul>
              {list.map((identifier) => (
                <IdentifierRow key={identifier.value} identifier={identifier} />
              ))}
            </ul>
          </div>
        );
      })}
    </section>
  );
}

function attributeText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) return value.join(', ');
  return JSON.stringify(value);
}

export function Attributes({ attributes }: { attributes: Record<string, unknown> }) {
  const entries = Object.entries(attributes ?? {});
  if (!entries.length) return <p class="muted">No attributes.</p>;
  return (
    <dl class="attributes">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{attributeText(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Records({ records }: { records: PersonRecord[] }) {
  const sorted = [...records].sort((a, b) => a.source.localeCompare(b.source) || a.id.localeCompare(b.id));
  return (
    <section class="card" aria-labelledby="records-title">
      <h3 id="records-title">
        Records <span class="count">{records.length}</span>
      </h3>
      {sorted.length === 0 && <p class="muted">No source system holds a record: only events.</p>}
      <ul class="records">
        {sorted.map((record) => (
          <li key={`${record.source}/${record.id}`} class="record">
            <div class="record-head">
              <span class="source">{record.source}</span>
              <span class="record-id">{record.id}</span>
              <span class="muted small" title={`First seen ${formatDateTime(record.firstSeen)}`}>
                updated {formatDate(record.updatedAt)}
              </span>
            </div>
            <Attributes attributes={record.attributes} />
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Channels({ channels }: { channels: ChannelSummary[] }) {
  if (!channels.length) return null;
  const sorted = [...channels].sort((a, b) => b.last.localeCompare(a.last));
  return (
    <section class="card" aria-labelledby="channels-title">
      <h3 id="channels-title">Channels</h3>
      <ul class="channel-summary">
        {sorted.map((c) => {
          const look = channelLook(c.channel);
          return (
            <li key={c.channel} title={`First ${formatDateTime(c.first)}, last ${formatDateTime(c.last)}`}>
              <span class="chip-icon" style={{ background: look.color }}>
                <look.Icon size={13} aria-hidden />
              </span>
              <span>{look.label}</span>
              <span class="count">{c.events}</span>
              <span class="muted small">{formatRelative(c.last)}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** Consents and segments: shown only when omnid's schema has them (see extras.ts). */
export function ExtrasPlace({ person, extras }: { person: Person; extras: Extra[] }) {
  const present = extras.filter((extra) => person[extra.name] !== undefined);
  if (!present.length) return null;
  return (
    <section class="card" aria-labelledby="extras-title" data-testid="consents-segments">
      <h3 id="extras-title">Consents and segments</h3>
      {present.map((extra) => {
        const value = person[extra.name];
        const rows = Array.isArray(value) ? value : [value];
        return (
          <div key={extra.name} class="extra">
            <h4>{extra.name}</h4>
            {rows.length === 0 && <p class="muted">None.</p>}
            {rows.map((row, i) =>
              row !== null && typeof row === 'object' ? (
                <Attributes key={i} attributes={row as Record<string, unknown>} />
              ) : (
                <p key={i}>{attributeText(row)}</p>
              ),
            )}
          </div>
        );
      })}
    </section>
  );
}

export function PersonHeader({ person }: { person: Person }) {
  const name = personName(person.records);
  return (
    <header class="person-header">
      <div>
        <h2 data-testid="person-name">{name ?? 'Unnamed customer'}</h2>
        <p class="muted small">
          Person <code title={person.id}>{person.id}</code>
          {person.mergedFrom.length > 0 && ` · merged from ${person.mergedFrom.length} earlier profile${person.mergedFrom.length > 1 ? 's' : ''}`}
          {person.splitFrom && ' · split from another profile'}
        </p>
      </div>
      <dl class="seen">
        <div>
          <dt>First seen</dt>
          <dd data-testid="first-seen">{formatDate(person.firstSeen)}</dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd data-testid="last-seen" title={formatDateTime(person.lastSeen)}>
            {formatRelative(person.lastSeen)}
          </dd>
        </div>
      </dl>
    </header>
  );
}
