import { describe, expect, it } from 'vitest';

import { nextSort, orderByParam, sortFromParam, sortToParam } from '../run-sort';

describe('run sorting', () => {
  it('cycles a column through ascending, descending and the default order', () => {
    // when
    const first = nextSort(null, 'metrics', 'val_loss');
    const second = nextSort(first, 'metrics', 'val_loss');
    const third = nextSort(second, 'metrics', 'val_loss');

    // then
    expect(first).toEqual({ kind: 'metrics', key: 'val_loss', direction: 'asc' });
    expect(second).toEqual({ kind: 'metrics', key: 'val_loss', direction: 'desc' });
    expect(third).toBeNull();
  });

  it('starts ascending again when another column is clicked', () => {
    // when
    const sort = nextSort({ kind: 'metrics', key: 'loss', direction: 'desc' }, 'params', 'seed');

    // then
    expect(sort).toEqual({ kind: 'params', key: 'seed', direction: 'asc' });
  });

  it('writes order_by in the query language, quoting keys that hold dots', () => {
    expect(orderByParam({ kind: 'metrics', key: 'val_loss', direction: 'asc' })).toBe(
      'metrics.val_loss asc',
    );
    expect(orderByParam({ kind: 'params', key: 'optim.lr', direction: 'desc' })).toBe(
      'params.`optim.lr` desc',
    );
    expect(orderByParam({ kind: 'attribute', key: 'created_at', direction: 'desc' })).toBe(
      'created_at desc',
    );
    expect(orderByParam(null)).toBe('');
  });

  it('survives a round trip through the URL, colons in keys included', () => {
    // given
    const sort = { kind: 'params', key: 'a:b.c', direction: 'desc' } as const;

    // when
    const restored = sortFromParam(sortToParam(sort));

    // then
    expect(restored).toEqual(sort);
    expect(sortFromParam('nonsense')).toBeNull();
  });
});
