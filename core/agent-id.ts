// What an agent id may be. Apart from the wire schemas so that an agent checks its own id without building them
// (and loading zod) at start.
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
