/**
 * The run's log lines as they arrive. It follows new lines while the reader is at the bottom
 * and stays put once they scroll up to read, like a terminal.
 */
import { useLayoutEffect, useRef } from 'react';

import stack from '../../../components/stack.module.css';
import styles from './experiments.module.css';

// Within this many pixels of the end counts as "at the bottom".
const STICK_THRESHOLD_PX = 24;

export function LogPanel({ lines }: { lines: readonly string[] }) {
  const panel = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  useLayoutEffect(() => {
    const element = panel.current;
    if (element && stick.current) element.scrollTop = element.scrollHeight;
  }, [lines]);

  return (
    <section className={stack.stack} aria-labelledby="log-title">
      <h2 id="log-title" className={styles.sectionTitle}>
        Log
      </h2>
      <pre
        ref={panel}
        className={styles.log}
        data-testid="run-log"
        tabIndex={0}
        aria-live="off"
        onScroll={(event) => {
          const element = event.currentTarget;
          stick.current =
            element.scrollHeight - element.scrollTop - element.clientHeight < STICK_THRESHOLD_PX;
        }}
      >
        {lines.length === 0 ? 'Log lines appear here while the run trains.' : lines.join('\n')}
      </pre>
    </section>
  );
}
