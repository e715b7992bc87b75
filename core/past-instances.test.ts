import test from 'ava';
import { currentAgents } from './past-instances.js';

test('an unhealthy agent is hidden when another agent of its name is up; shown when it is the only one', (t) => {
  const agents = [
    { id: 'planner-1', name: 'planner', status: 'unhealthy' },
    { id: 'planner-2', name: 'planner', status: 'unhealthy' },
    { id: 'planner-3', name: 'planner', status: 'healthy' },
    { id: 'weather-1', name: 'weather', status: 'unhealthy' },
    { id: 'time-1', name: 'time', status: 'unknown' },
    { id: 'time-0', name: 'time', status: 'unhealthy' },
  ];
  const { shown, hidden } = currentAgents(agents);
  t.deepEqual(
    shown.map((a) => a.id),
    ['planner-3', 'weather-1', 'time-1'],
  );
  t.is(hidden, 3);
  t.deepEqual(currentAgents([]), { shown: [], hidden: 0 });
});
