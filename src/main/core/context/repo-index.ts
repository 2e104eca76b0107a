import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from '../executor/git';
import { listTree, readBlobs, type TreeEntry } from './git-blobs';
import { buildRepoFiles, resolveImport } from './resolve';
import { countTokens } from './tokens';
import { languageOf, parseImportsLoaded, warmParsers, type ImportRef } from './tree-sitter';

/** Files larger than this are counted by size (bytes / 4) and not parsed: generated code, data, bundles. */
const MAX_PARSED_BYTES = 512 * 1024;
/** Indexes of whole trees kept in memory (a session's stories mostly share one or two trees). */
const TREES_KEPT = 8;

export interface IndexedFile {
  path: string;
  tokens: number;
  /** Repository files this file imports (resolved). */
  imports: string[];
  binary: boolean;
}

export interface RepoIndex {
  /** The git tree the index describes. */
  tree: string;
  files: Map<string, IndexedFile>;
  /** path → the files that import it. */
  importers: Map<string, Set<string>>;
  /** Tokens of every text file of the tree: what an agent reading everything would pay for. */
  totalTokens: number;
}

interface BlobFacts {
  tokens: number;
  refs: ImportRef[];
  binary: boolean;
  /** A go.mod's module path. */
  goModule?: string;
}

const isGoMod = (file: string) => path.posix.basename(file) === 'go.mod';

/**
 * Parse results depend on the language as well as the content (the same bytes in a .py and a
 * .ts file), and a go.mod is read for its module line.
 */
function blobKey(e: TreeEntry): string {
  return `${e.blob}:${isGoMod(e.path) ? 'go.mod' : (languageOf(e.path) ?? '')}`;
}

/** Git's id of a blob with these bytes (SHA-1 object format). */
function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** Worktree files read at once when a tree's blobs are looked for on disk. */
const READS_AT_ONCE = 32;

function looksBinary(buf: Buffer): boolean {
  return buf.subarray(0, 8000).includes(0);
}

/**
 * Indexes a repository's tree for context packs: every file's tokens and resolved imports.
 * Cached by git tree hash (the same tree is never indexed twice) and, below that, by blob
 * hash (a new commit re-reads and re-parses only the files it changed). What is indexed is
 * a commit's tree: an agent starts from a commit, and uncommitted changes are its own work.
 */
export class ContextIndexer {
  private readonly trees = new Map<string, RepoIndex>();
  private readonly blobs = new Map<string, BlobFacts>();
  /** Commit id → its tree: a commit never changes, so a pack for a known commit starts no git at all. */
  private readonly commitTrees = new Map<string, string>();

  /** The tree of `rev` in `repo` (a worktree's HEAD by default; a full commit id is resolved once). */
  async treeOf(repo: string, rev = 'HEAD'): Promise<string> {
    const commit = /^[0-9a-f]{40}$/.test(rev) ? rev : null;
    const known = commit ? this.commitTrees.get(commit) : undefined;
    if (known) return known;
    const tree = (await runGit(repo, ['rev-parse', `${rev}^{tree}`])).stdout.trim();
    if (commit) {
      this.commitTrees.set(commit, tree);
      if (this.commitTrees.size > 1000) this.commitTrees.delete(this.commitTrees.keys().next().value!);
    }
    return tree;
  }

  cached(tree: string): RepoIndex | null {
    return this.trees.get(tree) ?? null;
  }

  async index(repo: string, rev = 'HEAD'): Promise<RepoIndex> {
    const tree = await this.treeOf(repo, rev);
    const hit = this.trees.get(tree);
    if (hit) return hit;
    const entries = await listTree(repo, tree);
    await this.learnBlobs(repo, entries, rev === 'HEAD');

    const goMods: Array<{ module: string; dir: string }> = [];
    for (const e of entries) {
      const module = isGoMod(e.path) ? this.blobs.get(blobKey(e))?.goModule : undefined;
      if (module) goMods.push({ module, dir: path.posix.dirname(e.path) === '.' ? '' : path.posix.dirname(e.path) });
    }
    const repoFiles = buildRepoFiles(
      entries.map((e) => e.path),
      goMods,
    );
    const files = new Map<string, IndexedFile>();
    const importers = new Map<string, Set<string>>();
    let totalTokens = 0;
    for (const e of entries) {
      const facts = this.blobs.get(blobKey(e))!;
      const lang = languageOf(e.path);
      const imports = new Set<string>();
      if (lang)
        for (const ref of facts.refs)
          for (const target of resolveImport(e.path, lang, ref, repoFiles)) if (target !== e.path) imports.add(target);
      files.set(e.path, { path: e.path, tokens: facts.tokens, imports: [...imports], binary: facts.binary });
      if (!facts.binary) totalTokens += facts.tokens;
      for (const target of imports) {
        const set = importers.get(target);
        if (set) set.add(e.path);
        else importers.set(target, new Set([e.path]));
      }
    }
    const index: RepoIndex = { tree, files, importers, totalTokens };
    this.trees.set(tree, index);
    if (this.trees.size > TREES_KEPT) this.trees.delete(this.trees.keys().next().value!);
    return index;
  }

  /**
   * Reads, tokenizes and parses the blobs not seen before. For a worktree's HEAD, a blob is
   * first looked for in the worktree: a file whose bytes hash to the blob's id is that blob
   * (an edited or filtered file does not, and is read from git), which spares starting
   * `git cat-file` when the worktree is clean.
   */
  private async learnBlobs(repo: string, entries: TreeEntry[], fromWorktree: boolean): Promise<void> {
    const unseen = new Map<string, TreeEntry>();
    for (const e of entries) if (!this.blobs.has(blobKey(e))) unseen.set(blobKey(e), e);
    const small = [...unseen.values()].filter((e) => e.size <= MAX_PARSED_BYTES);
    for (const e of unseen.values())
      if (e.size > MAX_PARSED_BYTES)
        this.blobs.set(blobKey(e), { tokens: Math.ceil(e.size / 4), refs: [], binary: false });
    // The same blob may sit at several paths (and languages): each is learnt as it streams in.
    const wanted = new Map<string, TreeEntry[]>();
    for (const e of small) wanted.set(e.blob, [...(wanted.get(e.blob) ?? []), e]);
    await warmParsers();
    const learn = (sha: string, buf: Buffer) => {
      for (const e of wanted.get(sha) ?? []) this.blobs.set(blobKey(e), this.facts(e, buf));
    };
    let fromGit = [...wanted.keys()];
    if (fromWorktree) {
      fromGit = [];
      const shas = [...wanted.keys()];
      for (let i = 0; i < shas.length; i += READS_AT_ONCE) {
        const batch = shas.slice(i, i + READS_AT_ONCE);
        const read = await Promise.all(
          batch.map((sha) => readFile(path.join(repo, wanted.get(sha)![0]!.path)).catch(() => null)),
        );
        batch.forEach((sha, k) => {
          const buf = read[k];
          if (buf && gitBlobId(buf) === sha) learn(sha, buf);
          else fromGit.push(sha);
        });
      }
    }
    await readBlobs(repo, fromGit, learn);
    // A blob git reported missing is an empty file to the index.
    for (const e of small)
      if (!this.blobs.has(blobKey(e))) this.blobs.set(blobKey(e), { tokens: 0, refs: [], binary: false });
  }

  private facts(e: TreeEntry, buf: Buffer): BlobFacts {
    if (looksBinary(buf)) return { tokens: 0, refs: [], binary: true };
    const text = buf.toString('utf8');
    const facts: BlobFacts = { tokens: countTokens(text), refs: parseImportsLoaded(e.path, text), binary: false };
    if (isGoMod(e.path)) facts.goModule = /^module\s+(\S+)/m.exec(text)?.[1];
    return facts;
  }
}
