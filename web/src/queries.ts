// Every GraphQL operation the page sends, and the shapes it reads back
// (graphql/schema.graphql is the reference).

export type IdentifierType =
  | 'EMAIL'
  | 'PHONE'
  | 'LOYALTY_CARD'
  | 'DEVICE'
  | 'ADDRESS'
  | 'CUSTOMER_ID'
  | 'PAYMENT_TOKEN';

export type Channel =
  | 'WEB'
  | 'APP'
  | 'STORE'
  | 'CALL_CENTER'
  | 'EMAIL'
  | 'SMS'
  | 'SOCIAL'
  | 'MESSENGER'
  | 'CHAT'
  | 'PAYMENT'
  | 'POST'
  | 'OTHER';

export interface IdentifierInput {
  type: IdentifierType;
  value: string;
  country?: string | null;
}

export interface PersonIdentifier {
  type: IdentifierType;
  value: string;
  display: string[];
  linking: boolean;
  shared: boolean;
  sharedReason: string | null;
  blocked: boolean;
  blockedReason: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  sources: string[];
}

export interface PersonRecord {
  source: string;
  id: string;
  attributes: Record<string, unknown>;
  firstSeen: string | null;
  updatedAt: string | null;
}

export interface ChannelSummary {
  channel: Channel;
  events: number;
  first: string;
  last: string;
}

export interface Transition {
  from: Channel;
  to: Channel;
  leftAt: string;
  arrivedAt: string;
  seconds: number;
}

export interface JourneyEvent {
  source: string;
  id: string;
  channel: Channel;
  type: string;
  at: string;
  attributes: Record<string, unknown>;
  seenWith: { type: IdentifierType; value: string }[];
}

export interface EventPage {
  edges: { cursor: string; node: JourneyEvent }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface Person {
  id: string;
  mergedFrom: string[];
  splitFrom: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  identifiers: PersonIdentifier[];
  records: PersonRecord[];
  channels: ChannelSummary[];
  transitions: Transition[];
  journey: EventPage;
  /** Optional fields the schema may offer (consents, segments), read generically. */
  [extra: string]: unknown;
}

export interface Candidate {
  id: string;
  firstSeen: string | null;
  lastSeen: string | null;
  identifiers: Pick<PersonIdentifier, 'type' | 'value' | 'display' | 'shared'>[];
  records: Pick<PersonRecord, 'source' | 'attributes'>[];
  channels: Pick<ChannelSummary, 'channel' | 'events'>[];
}

export const PAGE_SIZE = 25;

const EVENT = 'source id channel type at attributes seenWith { type value }';
const PAGE = `edges { cursor node { ${EVENT} } } pageInfo { hasNextPage endCursor }`;

/** The person's fields; `extra` adds selections for optional schema fields. */
function personFields(extra: string): string {
  return `id mergedFrom splitFrom firstSeen lastSeen
    identifiers { type value display linking shared sharedReason blocked blockedReason firstSeen lastSeen sources }
    records { source id attributes firstSeen updatedAt }
    channels { channel events first last }
    transitions { from to leftAt arrivedAt seconds }
    journey(first: ${PAGE_SIZE}) { ${PAGE} }
    ${extra}`;
}

export const personByIdentifier = (extra = ''): string => `
  query StaffPersonByIdentifier($identifier: IdentifierInput!) {
    person(identifier: $identifier) { ${personFields(extra)} }
  }`;

export const personById = (extra = ''): string => `
  query StaffPersonById($id: ID!) {
    person(id: $id) { ${personFields(extra)} }
  }`;

export const PERSONS = `
  query StaffCandidates($identifier: IdentifierInput!) {
    persons(identifier: $identifier) {
      id firstSeen lastSeen
      identifiers(types: [EMAIL, PHONE, LOYALTY_CARD]) { type value display shared }
      records { source attributes }
      channels { channel events }
    }
  }`;

export const JOURNEY = `
  query StaffJourney($id: ID!, $first: Int!, $after: String, $channels: [Channel!], $types: [String!]) {
    person(id: $id) {
      id
      journey(first: $first, after: $after, channels: $channels, types: $types) { ${PAGE} }
    }
  }`;

export const SUMMARY = `
  query StaffSummary($id: ID!) {
    person(id: $id) {
      id lastSeen
      channels { channel events first last }
      transitions { from to leftAt arrivedAt seconds }
    }
  }`;

export const EXPLAIN = `
  query StaffExplain($a: IdentifierInput!, $b: IdentifierInput!) {
    explain(a: $a, b: $b) {
      person { id }
      steps { identifier { type value } itemKind source sourceId channel at }
    }
  }`;

export interface ExplanationStep {
  identifier: { type: IdentifierType; value: string } | null;
  itemKind: string | null;
  source: string | null;
  sourceId: string | null;
  channel: Channel | null;
  at: string | null;
}

/** Checks the key: any read answers null for an id nobody has, or UNAUTHENTICATED. */
export const CHECK_KEY = `query StaffCheckKey { person(id: "staff-page-key-check") { id } }`;

export const LIVE = `
  subscription StaffLive {
    journeyEvents {
      event { ${EVENT} }
      person { id mergedFrom }
    }
  }`;

export interface LiveEvent {
  event: JourneyEvent;
  person: { id: string; mergedFrom: string[] };
}

/** What the schema says about a type's fields (introspection may be off: then nothing). */
export const PERSON_FIELDS = `
  query StaffSchema {
    __type(name: "Person") {
      fields {
        name
        type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
      }
    }
  }`;

export const TYPE_FIELDS = `
  query StaffTypeFields($name: String!) {
    __type(name: $name) {
      fields { name args { name } type { kind name ofType { kind name ofType { kind name } } } }
    }
  }`;

export interface TypeRef {
  kind: string;
  name: string | null;
  ofType?: TypeRef | null;
}

export interface FieldInfo {
  name: string;
  type: TypeRef;
}
