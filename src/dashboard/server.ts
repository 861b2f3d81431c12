// `rlvr dashboard`: a local HTTP server (Node's http module) that serves the live page, uPlot
// from node_modules, the page state (charts of every run, recomputed when a run's files change)
// and the rollouts of one step. Binds to 127.0.0.1 only: the data stays on this machine.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderPage, uplotAssets } from './page.js';
import { readRollouts, runNames } from './run-data.js';
import { filesVersion, pageState } from './state.js';
import type { PageState } from './page.js';

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export interface DashboardOptions {
  /** TCP port; 0 picks a free one. Default 6006. */
  port?: number;
  title?: string;
}

export async function startDashboard(dirs: readonly string[], opts: DashboardOptions = {}): Promise<Dashboard> {
  const assets = uplotAssets();
  const names = runNames(dirs);
  let cached: PageState | null = null;
  const current = (): PageState => {
    const v = filesVersion(dirs);
    if (!cached || cached.version !== v) cached = pageState(dirs, opts.title);
    return cached;
  };
  const send = (res: http.ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      switch (url.pathname) {
        case '/':
          return send(res, 200, 'text/html; charset=utf-8', renderPage(current(), { live: true }));
        case '/uplot.js':
          return send(res, 200, 'text/javascript; charset=utf-8', assets.js);
        case '/uplot.css':
          return send(res, 200, 'text/css; charset=utf-8', assets.css);
        case '/api/state': {
          const s = current();
          if (url.searchParams.get('since') === s.version) {
            res.writeHead(304).end();
            return;
          }
          return send(res, 200, 'application/json', JSON.stringify(s));
        }
        case '/api/rollouts': {
          const i = names.indexOf(url.searchParams.get('run') ?? '');
          const step = Number(url.searchParams.get('step'));
          if (i < 0 || !Number.isInteger(step)) return send(res, 404, 'application/json', '[]');
          return send(res, 200, 'application/json', JSON.stringify(readRollouts(dirs[i]!, step)));
        }
        default:
          return send(res, 404, 'text/plain', 'not found');
      }
    } catch (e) {
      return send(res, 500, 'text/plain', (e as Error).message);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 6006, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
