/**
 * uPlot needs a canvas, which jsdom lacks; a test that only checks a chart's header
 * (title and latest values) swaps it for this: `vi.mock('uplot', () => import('.../uplot-stub'))`.
 */
export default class {
  width = 400;
  height = 220;
  select = { width: 0 };
  setData() {}
  setSize() {}
  destroy() {}
}
