// Made-up weather for the example providers: deterministic per city and hour, no network needed.

const CONDITIONS = ['sunny', 'cloudy', 'rain', 'snow', 'windy'] as const;
export type Conditions = (typeof CONDITIONS)[number];

function seed(text: string): number {
  let h = 2166136261;
  for (const ch of text.toLowerCase()) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** `precise`: one decimal and a humidity figure; otherwise a rounded guess. */
export function forecast(city: string, at: string, precise: boolean) {
  const s = seed(city + at.slice(0, 13));
  const conditions = CONDITIONS[s % CONDITIONS.length]!;
  const base = conditions === 'snow' ? -3 : conditions === 'sunny' ? 24 : 12;
  const temperature = base + ((s >>> 8) % 100) / 10;
  return {
    city,
    conditions,
    temperature_c: precise ? Math.round(temperature * 10) / 10 : Math.round(temperature),
    ...(precise ? { humidity_pct: 30 + ((s >>> 16) % 60) } : {}),
  };
}
