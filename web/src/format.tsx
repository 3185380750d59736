// How things look: channel colours and icons, identifier icons, dates and durations.
import {
  CircleDot,
  CreditCard,
  Globe,
  Hash,
  Headset,
  IdCard,
  KeyRound,
  Mail,
  Mailbox,
  MapPin,
  MessageCircle,
  MessageSquareText,
  MessagesSquare,
  MonitorSmartphone,
  Phone,
  Share2,
  Smartphone,
  Store,
  type LucideIcon,
} from 'lucide-preact';
import type { Channel, IdentifierType } from './queries';

type Icon = LucideIcon;

export interface ChannelLook {
  label: string;
  color: string;
  Icon: Icon;
}

export const CHANNELS: Record<Channel, ChannelLook> = {
  WEB: { label: 'Web', color: '#2563eb', Icon: Globe },
  APP: { label: 'App', color: '#7c3aed', Icon: Smartphone },
  STORE: { label: 'Store', color: '#059669', Icon: Store },
  CALL_CENTER: { label: 'Call center', color: '#ea580c', Icon: Headset },
  EMAIL: { label: 'Email', color: '#0e7490', Icon: Mail },
  SMS: { label: 'SMS', color: '#0d9488', Icon: MessageSquareText },
  SOCIAL: { label: 'Social', color: '#db2777', Icon: Share2 },
  MESSENGER: { label: 'Messenger', color: '#c026d3', Icon: MessagesSquare },
  CHAT: { label: 'Chat', color: '#b45309', Icon: MessageCircle },
  PAYMENT: { label: 'Payment', color: '#dc2626', Icon: CreditCard },
  POST: { label: 'Post', color: '#92400e', Icon: Mailbox },
  OTHER: { label: 'Other', color: '#6b7280', Icon: CircleDot },
};

export function channelLook(channel: string): ChannelLook {
  return CHANNELS[channel as Channel] ?? CHANNELS.OTHER;
}

export const IDENTIFIER_ICONS: Record<IdentifierType, Icon> = {
  EMAIL: Mail,
  PHONE: Phone,
  LOYALTY_CARD: IdCard,
  DEVICE: MonitorSmartphone,
  ADDRESS: MapPin,
  CUSTOMER_ID: Hash,
  PAYMENT_TOKEN: KeyRound,
};

export const IDENTIFIER_COLORS: Record<IdentifierType, string> = {
  EMAIL: '#0e7490',
  PHONE: '#059669',
  LOYALTY_CARD: '#b45309',
  DEVICE: '#7c3aed',
  ADDRESS: '#6b7280',
  CUSTOMER_ID: '#2563eb',
  PAYMENT_TOKEN: '#dc2626',
};

/** The page speaks English; dates and numbers follow the browser's region (en-ES: 24 h
 * clock, day before month, euros as in Spain). */
function englishLocale(): string[] {
  const region = (navigator.language || '').split('-')[1];
  return region ? [`en-${region.toUpperCase()}`, 'en'] : ['en'];
}
const LOCALE = englishLocale();

const dateTime = new Intl.DateTimeFormat(LOCALE, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const dateOnly = new Intl.DateTimeFormat(LOCALE, { year: 'numeric', month: 'short', day: 'numeric' });
const relative = new Intl.RelativeTimeFormat(LOCALE, { numeric: 'auto' });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : dateTime.format(at);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : dateOnly.format(at);
}

/** "3 days ago", "in 2 hours", "yesterday". */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(seconds);
  const steps: [number, Intl.RelativeTimeFormatUnit][] = [
    [60, 'second'],
    [3600, 'minute'],
    [86400, 'hour'],
    [86400 * 30, 'day'],
    [86400 * 365, 'month'],
  ];
  let unit: Intl.RelativeTimeFormatUnit = 'year';
  let size = 86400 * 365;
  for (const [limit, name] of steps) {
    if (abs < limit) {
      unit = name;
      break;
    }
  }
  size = { second: 1, minute: 60, hour: 3600, day: 86400, month: 86400 * 30, year: 86400 * 365 }[
    unit as 'second' | 'minute' | 'hour' | 'day' | 'month' | 'year'
  ];
  return relative.format(Math.round(seconds / size), unit);
}

/** A duration in words: "6 min", "3 h", "6 days", "3 years". */
export function formatDuration(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400 * 2) return `${Math.round(s / 3600)} h`;
  if (s < 86400 * 60) return `${Math.round(s / 86400)} days`;
  if (s < 86400 * 365 * 2) return `${Math.round(s / (86400 * 30))} months`;
  return `${Math.round(s / (86400 * 365))} years`;
}

/** An event type as words: "card_payment" -> "Card payment". */
export function humanize(type: string): string {
  const words = type.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A short line about an event from its attributes (products, store, page, reason…). */
export function eventSummary(attributes: Record<string, unknown>): string {
  const parts: string[] = [];
  const products = attributes.products;
  if (Array.isArray(products) && products.length) parts.push(products.join(', '));
  for (const key of ['store', 'page', 'reason', 'campaign', 'merchant', 'note']) {
    const value = attributes[key];
    if (typeof value === 'string' && value) parts.push(value);
  }
  const total = attributes.total ?? attributes.amount;
  if (typeof total === 'number') {
    const currency = typeof attributes.currency === 'string' ? attributes.currency : '';
    parts.push(formatMoney(total, currency));
  }
  return parts.join(' · ');
}

export function formatMoney(amount: number, currency: string): string {
  if (currency) {
    try {
      return new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).format(amount);
    } catch {
      // an unknown currency code: plain number below
    }
  }
  return amount.toLocaleString(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** A display name from the records' attributes (the longest "name" seen), or null. */
export function personName(records: { attributes: Record<string, unknown> }[]): string | null {
  let best: string | null = null;
  for (const record of records) {
    const name = record.attributes?.name;
    if (typeof name === 'string' && name.trim() && (!best || name.trim().length > best.length)) {
      best = name.trim();
    }
  }
  return best;
}

export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}
