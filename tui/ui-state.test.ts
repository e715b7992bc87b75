import test from 'ava';
import { initialUiState, reduceKey, type KeyContext, type KeyPress, type UiState } from './ui-state.js';

const ctx: KeyContext = {
  agentIds: ['a-1', 'b-2', 'c-3'],
  capabilityProviderIds: ['b-2', '', 'c-3'],
  wiringLines: 10,
  eventLines: 30,
  visibleLines: 5,
};

/** Feeds keys one after another, as the screen would. */
function press(ui: UiState, ...keys: KeyPress[]): { ui: UiState; quit: boolean } {
  let result = { ui, quit: false };
  for (const key of keys) result = reduceKey(result.ui, key, ctx);
  return result;
}
const ch = (c: string): KeyPress => ({ ch: c, name: c.toLowerCase() });
const key = (name: string, extra: Partial<KeyPress> = {}): KeyPress => ({ name, ...extra });

test('arrows and j/k move the agent selection within the rows shown', (t) => {
  const start = initialUiState();
  t.is(press(start, key('down')).ui.selectedAgentId, 'b-2');
  t.is(press(start, ch('j'), ch('j'), ch('j'), ch('j')).ui.selectedAgentId, 'c-3');
  t.is(press(start, ch('j'), ch('k'), ch('k')).ui.selectedAgentId, 'a-1');
  t.is(press(start, ch('G')).ui.selectedAgentId, 'c-3');
  t.is(press(start, ch('G'), key('home')).ui.selectedAgentId, 'a-1');
});

test('tab cycles the focus; arrows then act on the focused pane', (t) => {
  const caps = press(initialUiState(), key('tab'));
  t.is(caps.ui.focus, 'capabilities');
  t.is(press(caps.ui, key('down'), key('down'), key('down')).ui.selectedCapability, 2);
  t.is(press(caps.ui, key('tab', { shift: true })).ui.focus, 'agents');
  const events = press(initialUiState(), key('tab'), key('tab'), key('tab'));
  t.is(events.ui.focus, 'events');
  t.is(press(events.ui, key('up'), key('up')).ui.eventsScrollBack, 2);
  t.is(press(events.ui, ch('g')).ui.eventsScrollBack, 25);
  t.is(press(events.ui, ch('g'), ch('G')).ui.eventsScrollBack, 0);
  t.is(press(initialUiState(), key('tab'), key('tab'), key('pagedown'), key('pagedown')).ui.wiringScroll, 5);
});

test('enter opens the details of the selected agent, or of the selected provider; esc closes', (t) => {
  const details = press(initialUiState(), key('down'), key('enter'));
  t.deepEqual(details.ui.overlay, { kind: 'details', agentId: 'b-2', scroll: 0 });
  t.is(press(details.ui, key('down')).ui.overlay?.scroll, 1);
  t.is(press(details.ui, key('escape')).ui.overlay, null);
  t.like(press(initialUiState(), key('tab'), key('down'), key('down'), key('enter')).ui.overlay, { agentId: 'c-3' });
  t.is(press(initialUiState(), key('tab'), key('down'), key('enter')).ui.overlay, null); // unprovided row
});

test('/ edits the filter: typing (q included) goes into it, enter keeps it, esc clears it', (t) => {
  const typed = press(initialUiState(), ch('/'), ch('g'), ch('q'), ch('x'), key('backspace'));
  t.true(typed.ui.filterEditing);
  t.is(typed.ui.filter, 'gq');
  t.false(typed.quit);
  const kept = press(typed.ui, key('enter'));
  t.false(kept.ui.filterEditing);
  t.is(kept.ui.filter, 'gq');
  t.is(press(kept.ui, key('escape')).ui.filter, '');
  t.is(press(typed.ui, key('escape')).ui.filter, '');
});

test('? shows help; q and C-c quit from anywhere, C-c even while typing a filter', (t) => {
  t.deepEqual(press(initialUiState(), ch('?')).ui.overlay, { kind: 'help', scroll: 0 });
  t.is(press(initialUiState(), ch('?'), ch('?')).ui.overlay, null);
  t.true(press(initialUiState(), ch('q')).quit);
  t.true(press(initialUiState(), ch('?'), ch('q')).quit);
  t.true(press(initialUiState(), ch('/'), key('c', { ctrl: true })).quit);
});
