// Flood limits: a cap on the agents the registry holds and on how fast one source may add new ones (a token
// bucket per source address). Only new agent ids count: an agent re-registering costs no memory and is never
// slowed. Beyond either limit a POST gets 429 with Retry-After, so a runaway script cannot exhaust the memory.
import { HttpError } from './body.js';

export interface RegistrationLimitOptions {
  /** Agents held at most (healthy and unhealthy until purged); 0 = no cap. */
  maxAgents: number;
  /** New agents one source address may register per minute (also the burst); 0 = no limit. */
  registrationsPerMinute: number;
}

/** Sources tracked at once; beyond it the idlest buckets (full again anyway) are dropped. */
const MAX_SOURCES = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class RegistrationLimits {
  refusedForCapacity = 0;
  refusedForRate = 0;
  private readonly buckets = new Map<string, Bucket>();

  constructor(readonly options: RegistrationLimitOptions) {}

  /** Throws a 429 unless `source` may add one more agent to the `held` ones. */
  admitNew(source: string, held: number, now = Date.now()): void {
    const { maxAgents, registrationsPerMinute: perMinute } = this.options;
    if (maxAgents > 0 && held >= maxAgents) {
      this.refusedForCapacity++;
      throw tooMany(`registry holds ${held} agents, its limit (max agents ${maxAgents}); unhealthy ones are purged after the retention time`, 60);
    }
    if (perMinute <= 0) return;
    const bucket = this.bucketOf(source, now);
    bucket.tokens = Math.min(perMinute, bucket.tokens + ((now - bucket.at) / 60_000) * perMinute);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.refusedForRate++;
      const wait = Math.ceil(((1 - bucket.tokens) / perMinute) * 60);
      throw tooMany(`too many new agents from ${source}: the limit is ${perMinute} per minute (registration rate); retry in ${wait} s`, wait);
    }
    bucket.tokens -= 1;
  }

  private bucketOf(source: string, now: number): Bucket {
    let bucket = this.buckets.get(source);
    if (!bucket) {
      if (this.buckets.size >= MAX_SOURCES) this.dropFullBuckets(now);
      bucket = { tokens: this.options.registrationsPerMinute, at: now };
      this.buckets.set(source, bucket);
    }
    return bucket;
  }

  /** A bucket idle for a minute is full again: forgetting it changes nothing. If none is, the oldest go. */
  private dropFullBuckets(now: number): void {
    for (const [source, bucket] of this.buckets) if (now - bucket.at >= 60_000) this.buckets.delete(source);
    if (this.buckets.size >= MAX_SOURCES) {
      let excess = this.buckets.size - MAX_SOURCES / 2;
      for (const source of this.buckets.keys()) {
        if (excess-- <= 0) break;
        this.buckets.delete(source);
      }
    }
  }
}

function tooMany(message: string, retryAfterS: number): HttpError {
  return Object.assign(new HttpError(429, message), { headers: { 'Retry-After': String(Math.max(1, retryAfterS)) } });
}
