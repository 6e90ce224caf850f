import { describe, expect, it } from 'vitest';

import type { Battle } from '../../api/get-battles';
import { applyBattleEvent, bothAnswered } from '../battle-stream';

const battle: Battle = {
  id: 3,
  conversation_id: 7,
  content: 'Hi',
  vote: null,
  voted_at: null,
  sides: [
    { side: 'a', status: 'queued', content: '', error: '', model: null },
    { side: 'b', status: 'queued', content: '', error: '', model: null },
  ],
  created_at: '2026-01-02T10:00:00Z',
};

function only(battles: Battle[], index = 0): Battle {
  const found = battles[index];
  if (!found) throw new Error(`no battle at ${index}`);
  return found;
}

describe('applyBattleEvent', () => {
  it('adds a new battle first and appends each side its own text', () => {
    // given an older battle
    const older = { ...battle, id: 2 };
    // when
    let battles = applyBattleEvent([older], { type: 'battle', battle });
    battles = applyBattleEvent(battles, {
      type: 'battle_delta',
      battle_id: 3,
      side: 'b',
      text: 'He',
    });
    battles = applyBattleEvent(battles, {
      type: 'battle_delta',
      battle_id: 3,
      side: 'b',
      text: 'llo',
    });
    // then
    expect(battles.map((b) => b.id)).toEqual([3, 2]);
    expect(only(battles).sides.map((s) => s.content)).toEqual(['', 'Hello']);
    expect(bothAnswered(only(battles))).toBe(false);
  });

  it('replaces streamed text with the stored one and takes the reveal whole', () => {
    // given a battle whose A streamed text
    let battles = applyBattleEvent([battle], {
      type: 'battle_delta',
      battle_id: 3,
      side: 'a',
      text: 'Hel',
    });
    // when both sides end, then the vote reveals the models
    battles = applyBattleEvent(battles, {
      type: 'battle_done',
      battle_id: 3,
      side: 'a',
      status: 'done',
      content: 'Hello',
      error: '',
    });
    battles = applyBattleEvent(battles, {
      type: 'battle_done',
      battle_id: 3,
      side: 'b',
      status: 'failed',
      content: '',
      error: 'gone',
    });
    const answered = bothAnswered(only(battles));
    const revealed: Battle = {
      ...only(battles),
      vote: 'tie',
      sides: only(battles).sides.map((s) => ({ ...s, model: { id: 1, name: 'tiny 1.0.0' } })),
    };
    battles = applyBattleEvent(battles, { type: 'battle_reveal', battle: revealed });
    // then
    expect(answered).toBe(true);
    expect(battles).toHaveLength(1);
    expect(only(battles).sides.map((s) => s.content)).toEqual(['Hello', '']);
    expect(only(battles).sides.map((s) => s.error)).toEqual(['', 'gone']);
    expect(only(battles).vote).toBe('tie');
  });
});
