/**
 * What the builder needs from the layers below it in DESIGN.md's order (snapshot/ and
 * container/ sit below image/, so image/ may not import them): structural interfaces that
 * OverlaySnapshotter and Runtime satisfy as they are. The caller injects both.
 */
import type { Spec } from '../../spec/types.js';

/** One mount as data (snapshot/types.ts Mount). */
export interface BuildMount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

/** The subset of snapshot/types.ts Snapshotter the builder uses. */
export interface BuildSnapshotter {
  prepare(key: string, parent?: string, opts?: { labels?: Record<string, string> }): Promise<BuildMount[]>;
  commit(name: string, key: string, opts?: { labels?: Record<string, string> }): Promise<void>;
  remove(key: string): Promise<void>;
  stat(key: string): Promise<{ kind: string }>;
}

/** The subset of container/ Runtime the builder uses: a foreground run to exit. */
export interface BuildRunner {
  run(opts: {
    id: string;
    bundle: string;
    spec: Spec;
    detach?: boolean;
    stdio?: 'inherit' | { stdout: string; stderr: string };
  }): Promise<{ exitCode: number; signal?: number; oomKilled?: boolean } | undefined>;
}
