/**
 * Redis topologies for the fleet tests, started from Debian's binaries on free loopback ports, each
 * node in a temporary directory that is deleted afterwards: a three-master Cluster, and one master
 * with two replicas under three sentinels.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';
import { sleep, until } from './wait.js';

/** The programs a topology needs and the Debian package of each; the first one missing, or undefined. */
export function missingRedisProgram(programs: ReadonlyArray<'redis-server' | 'redis-sentinel' | 'redis-cli'>): string | undefined {
  const packages = { 'redis-server': 'redis-server', 'redis-sentinel': 'redis-sentinel', 'redis-cli': 'redis-tools' } as const;
  for (const program of programs) {
    try {
      execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    } catch {
      return `${program} is not installed (Debian package ${packages[program]})`;
    }
  }
  return undefined;
}

interface Node {
  readonly port: number;
  readonly child: ChildProcess;
}

async function startNode(program: 'redis-server' | 'redis-sentinel', dir: string, port: number, config: string): Promise<Node> {
  const file = join(dir, `${port}.conf`);
  writeFileSync(file, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsave ""\nappendonly no\n${config}`);
  const child = spawn(program, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${program} on ${port} did not start: ${out}`)), 10_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (/Ready to accept connections|Sentinel ID is/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${program} exited with ${String(code)}: ${out}`));
    });
  });
  child.stdout?.resume();
  return { port, child };
}

async function stopNodes(nodes: readonly Node[]): Promise<void> {
  await Promise.all(
    nodes.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

/** Runs redis-cli against a node and returns its output. */
export function redisCli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
}

export interface RedisClusterTopology {
  readonly ports: readonly number[];
  /** REDIS_CLUSTER_NODES for tokenvend. */
  readonly nodes: string;
  stop(): Promise<void>;
}

/** Three masters, no replicas, all 16384 slots assigned; resolves once every node says cluster_state:ok. */
export async function startRedisCluster(): Promise<RedisClusterTopology> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenvend-cluster-'));
  const nodes: Node[] = [];
  try {
    for (let index = 0; index < 3; index += 1) {
      const port = await freePort();
      const own = join(dir, String(port));
      execFileSync('mkdir', ['-p', own]);
      // The cluster bus listens on port + 10000 (free ports are picked high, so it rarely collides).
      nodes.push(await startNode('redis-server', own, port, `cluster-enabled yes\ncluster-config-file nodes.conf\ncluster-node-timeout 2000\n`));
    }
    const ports = nodes.map((node) => node.port);
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore', timeout: 30_000 });
    await until(() => ports.every((port) => redisCli(port, 'CLUSTER', 'INFO').includes('cluster_state:ok')), 20_000, 'cluster_state:ok on every node');
    return {
      ports,
      nodes: ports.map((port) => `127.0.0.1:${port}`).join(','),
      async stop() {
        await stopNodes(nodes);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopNodes(nodes);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface SentinelTopology {
  readonly masterName: string;
  /** REDIS_SENTINELS for tokenvend. */
  readonly sentinels: string;
  readonly sentinelPorts: readonly number[];
  /** The master's port as the sentinels see it now. */
  masterPort(): number;
  stop(): Promise<void>;
}

/**
 * One master and two replicas under three sentinels (quorum 2). Resolves once every sentinel
 * knows both replicas and the other two sentinels, so that a failover can be asked for at once.
 */
export async function startSentinelTopology(masterName = 'tokenvend'): Promise<SentinelTopology> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenvend-sentinel-'));
  const nodes: Node[] = [];
  try {
    const master = await startNode('redis-server', dir, await freePort(), '');
    nodes.push(master);
    for (let index = 0; index < 2; index += 1) {
      nodes.push(await startNode('redis-server', dir, await freePort(), `replicaof 127.0.0.1 ${master.port}\n`));
    }
    const sentinelPorts: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const port = await freePort();
      const config = [
        `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 5000`,
        `sentinel parallel-syncs ${masterName} 2`,
        '',
      ].join('\n');
      nodes.push(await startNode('redis-sentinel', dir, port, config));
      sentinelPorts.push(port);
    }
    const knows = (port: number) => {
      // redis-cli prints each field of each entry on a line of its own: count the entries by their "name".
      const replicas = redisCli(port, 'SENTINEL', 'REPLICAS', masterName).match(/^name$/gm)?.length ?? 0;
      const peers = redisCli(port, 'SENTINEL', 'SENTINELS', masterName).match(/^name$/gm)?.length ?? 0;
      return replicas === 2 && peers === 2;
    };
    await until(() => sentinelPorts.every(knows), 30_000, 'sentinels know both replicas and each other');
    const masterPort = () => Number(redisCli(sentinelPorts[0] as number, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName).trim().split('\n')[1]);
    return {
      masterName,
      sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
      sentinelPorts,
      masterPort,
      async stop() {
        await stopNodes(nodes);
        await sleep(10);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopNodes(nodes);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
