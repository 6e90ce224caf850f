/** Entry point: mounts the app into the page Django serves. */
import './app/styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './app/app';

const root = document.getElementById('root');
if (root === null) throw new Error('The page has no #root element to mount the app into.');

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
