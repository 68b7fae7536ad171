import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { sameReport, shownReport, SIZE_STEP } from '../rtc/shown';

test('a report is sorted and its sizes rounded, so equal views give equal reports', () => {
  const a = shownReport([
    { participant: 'p2', source: 'camera', width: 95.6, height: 73 },
    { participant: 'p1', source: 'screen_share', width: 160, height: 90 },
    { participant: 'p1', source: 'camera', width: 96, height: 72 }
  ]);
  assert.deepEqual(
    a.map(t => [t.participant, t.source, t.width, t.height]),
    [
      ['p1', 'camera', 96, 80],
      ['p1', 'screen_share', 160, 96],
      ['p2', 'camera', 96, 80]
    ]
  );
  const b = shownReport([
    { participant: 'p1', source: 'camera', width: 97, height: 73 },
    { participant: 'p1', source: 'screen_share', width: 161, height: 89 },
    { participant: 'p2', source: 'camera', width: 96, height: 72 }
  ]);
  assert.ok(sameReport(a, b));
});

test('a change of tiles or of size by a step is news; nothing sent yet is always news', () => {
  const one = shownReport([{ participant: 'p1', source: 'camera', width: 96, height: 72 }]);
  assert.ok(!sameReport(null, one));
  assert.ok(!sameReport(one, shownReport([])));
  const bigger = shownReport([{ participant: 'p1', source: 'camera', width: 96 + SIZE_STEP, height: 72 }]);
  assert.ok(!sameReport(one, bigger));
});
