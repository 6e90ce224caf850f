/**
 * How the chat socket's arena events change the comparisons on screen. Pure functions, like
 * `chat-stream`: "battle" adds a comparison (models hidden), "battle_delta" appends a side's
 * text, "battle_done" replaces it with the stored text and status, and "battle_reveal" puts in
 * the vote and both models.
 */
import type { Battle } from '../api/get-battles';

type Side = 'a' | 'b';

export type BattleEvent =
  | { type: 'battle'; battle: Battle }
  | { type: 'battle_delta'; battle_id: number; side: Side; text: string }
  | {
      type: 'battle_done';
      battle_id: number;
      side: Side;
      status: Battle['sides'][number]['status'];
      content: string;
      error: string;
    }
  | { type: 'battle_reveal'; battle: Battle };

const TYPES = ['battle', 'battle_delta', 'battle_done', 'battle_reveal'];

export function isBattleEvent(value: { type: string }): value is BattleEvent {
  return TYPES.includes(value.type);
}

function put(battles: Battle[], battle: Battle): Battle[] {
  const known = battles.some((b) => b.id === battle.id);
  return known ? battles.map((b) => (b.id === battle.id ? battle : b)) : [battle, ...battles];
}

function changeSide(
  battles: Battle[],
  battleId: number,
  side: Side,
  change: (side: Battle['sides'][number]) => Battle['sides'][number],
): Battle[] {
  return battles.map((battle) =>
    battle.id !== battleId
      ? battle
      : { ...battle, sides: battle.sides.map((s) => (s.side === side ? change(s) : s)) },
  );
}

export function applyBattleEvent(battles: Battle[], event: BattleEvent): Battle[] {
  switch (event.type) {
    case 'battle':
    case 'battle_reveal':
      return put(battles, event.battle);
    case 'battle_delta':
      return changeSide(battles, event.battle_id, event.side, (s) => ({
        ...s,
        content: s.content + event.text,
      }));
    case 'battle_done':
      return changeSide(battles, event.battle_id, event.side, (s) => ({
        ...s,
        status: event.status,
        content: event.content,
        error: event.error,
      }));
  }
}

export function bothAnswered(battle: Battle): boolean {
  return battle.sides.every((side) => side.status !== 'queued');
}
