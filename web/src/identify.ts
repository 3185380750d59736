// What the customer says at the counter, read as an identifier. omnid normalizes the value
// itself (any phone spelling, email case, card spaces); the page only guesses the type
// when the user leaves it on "Detect", and says what it guessed.
import type { IdentifierInput, IdentifierType } from './queries';

export const TYPE_LABELS: Record<IdentifierType, string> = {
  EMAIL: 'Email',
  PHONE: 'Phone',
  LOYALTY_CARD: 'Loyalty card',
  DEVICE: 'Device',
  ADDRESS: 'Address',
  CUSTOMER_ID: 'Customer id',
  PAYMENT_TOKEN: 'Payment token',
};

export const SEARCH_TYPES: IdentifierType[] = [
  'PHONE',
  'EMAIL',
  'LOYALTY_CARD',
  'ADDRESS',
  'CUSTOMER_ID',
  'DEVICE',
  'PAYMENT_TOKEN',
];

export type Detected =
  | { ok: true; type: IdentifierType; alternative?: IdentifierType }
  | { ok: false; reason: string };

const DIGITS = /^[\d\s().\-/]+$/;

/**
 * The identifier type a typed or scanned value most likely is:
 *
 *     ana.silva@example.com   -> EMAIL
 *     +34 600 12 34 56        -> PHONE        (a leading + or 00)
 *     600 12 34 56            -> PHONE        (up to 11 digits), else LOYALTY_CARD
 *     7001 0042 1337          -> LOYALTY_CARD (12 digits or more), else PHONE
 *     eshop:C1000417          -> CUSTOMER_ID
 *     Calle Mayor 5, Madrid   -> ADDRESS      (letters and a number)
 *     Ana Silva               -> not enough: a name identifies nobody
 */
export function detect(raw: string): Detected {
  const value = raw.trim();
  if (!value) return { ok: false, reason: 'Type a phone, an email or a loyalty card number.' };
  if (value.includes('@')) return { ok: true, type: 'EMAIL' };
  if (/^tok_/i.test(value)) return { ok: true, type: 'PAYMENT_TOKEN' };
  if (/^GA\d\.\d\./i.test(value) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    return { ok: true, type: 'DEVICE' };
  }
  if (/^[a-z][\w-]*:\S+$/i.test(value)) return { ok: true, type: 'CUSTOMER_ID' };
  if (value.startsWith('+') && DIGITS.test(value.slice(1))) return { ok: true, type: 'PHONE' };
  if (DIGITS.test(value)) {
    const digits = value.replace(/\D/g, '').length;
    if (value.replace(/\D/g, '').startsWith('00') && digits > 10) return { ok: true, type: 'PHONE' };
    if (digits >= 12) return { ok: true, type: 'LOYALTY_CARD', alternative: 'PHONE' };
    return { ok: true, type: 'PHONE', alternative: 'LOYALTY_CARD' };
  }
  if (/\d/.test(value) && /\p{L}{2,}/u.test(value)) return { ok: true, type: 'ADDRESS' };
  return {
    ok: false,
    reason:
      'A name is not enough to find a customer: many people share one. Ask for a phone number, an email or the loyalty card.',
  };
}

/** True for a phone written nationally (no + or 00): it needs a country to be read. */
export function isNational(type: IdentifierType, value: string): boolean {
  if (type !== 'PHONE') return false;
  const v = value.trim();
  return !v.startsWith('+') && !v.replace(/\D/g, '').startsWith('00');
}

export function toInput(type: IdentifierType, value: string, country: string): IdentifierInput {
  const input: IdentifierInput = { type, value: value.trim() };
  if (country && (type === 'PHONE' || type === 'ADDRESS')) input.country = country;
  return input;
}

/** Code, short label, name. */
export const COUNTRIES: [string, string, string][] = [
  ['ES', 'ES +34', 'Spain'],
  ['FR', 'FR +33', 'France'],
  ['DE', 'DE +49', 'Germany'],
  ['GB', 'GB +44', 'United Kingdom'],
  ['US', 'US +1', 'United States'],
  ['IT', 'IT +39', 'Italy'],
  ['PT', 'PT +351', 'Portugal'],
  ['NL', 'NL +31', 'Netherlands'],
  ['BE', 'BE +32', 'Belgium'],
];

/** The country national phone numbers are read in by default: the browser's region
 * (es-ES -> ES), when it is one of the list. Nothing is stored. */
export function defaultCountry(): string {
  for (const tag of navigator.languages ?? [navigator.language]) {
    const region = tag.split('-')[1]?.toUpperCase();
    if (region && COUNTRIES.some(([code]) => code === region)) return region;
  }
  return '';
}
