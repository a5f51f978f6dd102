import { request } from 'node:http';

/** GETs a JSON document from a nats-server monitoring endpoint (`/healthz`, `/jsz`, `/varz`). */
export function getMonitorJson<T>(host: string, port: number, path: string, timeout = 2000): Promise<{ status: number; body: T }> {
  return new Promise((resolveJson, reject) => {
    const req = request({ host, port, path, timeout }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolveJson({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch (err) {
          reject(new Error(`nats-server monitoring ${path} answered non-JSON: ${text.slice(0, 200)}`, { cause: err }));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`nats-server monitoring ${path} timed out after ${timeout} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface JszDocument {
  server_id: string;
  config?: { store_dir?: string; domain?: string };
  meta_cluster?: { name?: string; leader?: string; cluster_size?: number; replicas?: { name: string; current: boolean; offline?: boolean }[] };
}
