/** Entry point: mounts the app. */
import { render } from 'preact';
import { Root } from './app.js';
import './styles.css';

render(<Root />, document.getElementById('app') as HTMLElement);
