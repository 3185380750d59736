// The search bar: what the customer says at the counter, typed or scanned.
import { Search } from 'lucide-preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { COUNTRIES, SEARCH_TYPES, TYPE_LABELS, defaultCountry, detect } from './identify';
import type { IdentifierType } from './queries';

export type TypeChoice = 'AUTO' | IdentifierType;

export interface SearchQuery {
  type: TypeChoice;
  value: string;
  country: string;
}

export function SearchBar({ onSearch }: { onSearch: (query: SearchQuery) => void }) {
  const [type, setType] = useState<TypeChoice>('AUTO');
  const [value, setValue] = useState('');
  const [country, setCountry] = useState(defaultCountry);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
    // "/" focuses the search from anywhere (but not while typing in a field)
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      const typing = target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName);
      if (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        input.current?.focus();
        input.current?.select();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const detected = type === 'AUTO' && value.trim() ? detect(value) : null;
  const effective: IdentifierType | null =
    type === 'AUTO' ? (detected && detected.ok ? detected.type : null) : type;
  const showCountry = effective === 'PHONE' || effective === 'ADDRESS';

  let hint: string;
  if (detected && !detected.ok) hint = detected.reason;
  else if (detected && detected.ok)
    hint =
      `Searching as ${TYPE_LABELS[detected.type].toLowerCase()}` +
      (detected.alternative ? `, then as ${TYPE_LABELS[detected.alternative].toLowerCase()} if nothing is found.` : '.');
  else hint = 'Phone in any spelling, email, or loyalty card (typed or scanned). A name is not enough.';

  return (
    <form
      class="search"
      role="search"
      aria-label="Find a customer"
      onSubmit={(event) => {
        event.preventDefault();
        onSearch({ type, value, country });
      }}
    >
      <label class="visually-hidden" for="search-type">
        Identifier type
      </label>
      <select
        id="search-type"
        name="type"
        value={type}
        onChange={(event) => setType((event.target as HTMLSelectElement).value as TypeChoice)}
      >
        <option value="AUTO">Detect type</option>
        {SEARCH_TYPES.map((t) => (
          <option key={t} value={t}>
            {TYPE_LABELS[t]}
          </option>
        ))}
      </select>
      <label class="visually-hidden" for="search-value">
        Phone, email or loyalty card
      </label>
      <input
        id="search-value"
        ref={input}
        name="value"
        type="search"
        inputMode="text"
        autocomplete="off"
        autocapitalize="off"
        spellcheck={false}
        placeholder="Phone, email or loyalty card…"
        value={value}
        aria-describedby="search-hint"
        onInput={(event) => setValue((event.target as HTMLInputElement).value)}
      />
      {showCountry && (
        <>
          <label class="visually-hidden" for="search-country">
            Country of national numbers
          </label>
          <select
            id="search-country"
            name="country"
            title="Country used to read a phone number written without +"
            value={country}
            onChange={(event) => setCountry((event.target as HTMLSelectElement).value)}
          >
            <option value="">Country…</option>
            {COUNTRIES.map(([code, label, name]) => (
              <option key={code} value={code} title={name}>
                {label}
              </option>
            ))}
          </select>
        </>
      )}
      <button type="submit" class="primary" disabled={!value.trim()}>
        <Search size={18} aria-hidden />
        <span>Search</span>
      </button>
      <p id="search-hint" class={`hint${detected && !detected.ok ? ' warn' : ''}`}>
        {hint}
      </p>
    </form>
  );
}
