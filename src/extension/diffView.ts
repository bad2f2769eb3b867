/**
 * "Open Diff for Current Review": `vscode.diff` between the file before and after the change, served
 * read-only by a content provider on the `secreview-diff` scheme (the URI query carries the review
 * and side). With a GitHub session the full files are fetched at the pull request's base and the
 * review's commit and cached in the workspace; offline or signed out, both sides are rebuilt from
 * the review's diff hunk and clearly marked partial. The commented line is revealed and highlighted.
 */
import * as vscode from 'vscode';
import { commentedLineIndexes, parseDiffHunk, reconstructSides } from '../core/diffHunk';
import type { Review } from '../core/review';
import { SIGN_IN, type FileAtCommitFetcher } from './github';
import type { Log } from './log';

export const DIFF_SCHEME = 'secreview-diff';

interface DiffQuery { reviewId: string; side: 'before' | 'after'; mode: 'full' | 'partial'; ref?: string }

/** What the provider needs from the open workspace. */
export interface ReviewSource { review(reviewId: string): Review | undefined }

const PARTIAL_HEADER = 'partial, reconstructed from the review\'s diff hunk: lines the hunk does not show are blank';

export class DiffContentProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  constructor(private readonly source: () => ReviewSource | undefined, private readonly fetcher: FileAtCommitFetcher | undefined, private readonly log: Log) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const q = JSON.parse(uri.query) as DiffQuery;
    const review = this.source()?.review(q.reviewId);
    if (!review) return `Review ${q.reviewId} is not in the open workspace's pool.`;
    if (q.mode === 'full' && this.fetcher && q.ref) {
      try {
        const text = await this.fetcher.fileAt(review.repo, q.ref, review.path, token);
        if (text !== undefined) return text;
        return `(${review.path} does not exist at ${q.ref})\n`;
      } catch (e) {
        this.log.warn(`fetching ${review.repo}:${review.path}@${q.ref} failed (${(e as Error).message}); showing the partial view`);
      }
    }
    const sides = reconstructSides(parseDiffHunk(review.diffHunk ?? ''));
    const text = (q.side === 'before' ? sides.before : sides.after).text;
    // Lines keep their real numbers, so the marker goes on line 1 when the hunk leaves it blank
    // (almost always) and at the end otherwise.
    const lines = text.split('\n');
    const marker = `${commentPrefix(review.path)}${PARTIAL_HEADER}`;
    if (!lines[0]) lines[0] = marker; else lines.push(marker);
    return lines.join('\n');
  }
}

function commentPrefix(path: string): string {
  if (/\.(py|rb|sh|bash|yml|yaml|toml|pl|r)$/i.test(path) || /(^|\/)(Dockerfile|Makefile)$/.test(path)) return '# ';
  if (/\.(html?|xml|svg|md|vue)$/i.test(path)) return '<!-- ';
  if (/\.(sql|lua|hs)$/i.test(path)) return '-- ';
  return '// ';
}

const commentedDecoration = vscode.window.createTextEditorDecorationType({
  isWholeLine: true,
  backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
  border: '1px solid', borderColor: new vscode.ThemeColor('editorWarning.foreground'),
  overviewRulerColor: new vscode.ThemeColor('editorWarning.foreground'), overviewRulerLane: vscode.OverviewRulerLane.Full,
});

function uriFor(review: Review, side: 'before' | 'after', mode: 'full' | 'partial', ref?: string): vscode.Uri {
  const q: DiffQuery = { reviewId: review.id, side, mode, ref };
  const name = review.path || 'review';
  return vscode.Uri.from({ scheme: DIFF_SCHEME, path: `/${review.repo}/${side}/${name}`, query: JSON.stringify(q) });
}

/** Opens the diff for a review; returns which kind it showed. */
export async function openReviewDiff(review: Review, fetcher: FileAtCommitFetcher | undefined, log: Log): Promise<'full' | 'partial'> {
  let mode: 'full' | 'partial' = 'partial';
  let refs: { before: string; after: string } | undefined;
  const commit = review.originalCommit ?? review.commit;
  if (fetcher && commit && review.path) {
    try {
      refs = await fetcher.refsFor(review.repo, review.pull, commit);
      if (refs) mode = 'full';
    } catch (e) {
      log.warn(`GitHub context for review ${review.id} unavailable (${(e as Error).message}); showing the partial view from the diff hunk`);
    }
  }
  // Signing in can only help where the review names its commit and file.
  const signedOut = mode === 'partial' && fetcher !== undefined && !!commit && !!review.path && !(await fetcher.signedIn());
  if (mode === 'partial' && !review.diffHunk) {
    const text = 'Security Review: this review has no diff hunk, and its files cannot be fetched from GitHub';
    if (signedOut) void offerSignIn(`${text} until you sign in.`, review, fetcher!, log);
    else void vscode.window.showWarningMessage(`${text} (check the network, or the review has no commit).`);
    return 'partial';
  }
  const left = uriFor(review, 'before', mode, refs?.before);
  const right = uriFor(review, 'after', mode, refs?.after);
  const file = review.path.split('/').pop() || 'review';
  const title = mode === 'full'
    ? `${file} (${review.repo}#${review.pull}, ${refs!.before.slice(0, 7)} ↔ ${refs!.after.slice(0, 7)})`
    : `${file} (partial, from diff hunk) ${review.repo}#${review.pull}`;
  await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  highlightCommentedLine(review, mode);
  if (signedOut && !signInOffered) void offerSignIn('Security Review: the diff shows the review\'s hunk only. Sign in to GitHub to see the whole files at both commits.', review, fetcher!, log);
  return mode;
}

let signInOffered = false;

/**
 * Offers "Sign in to GitHub" when a diff was partial because nobody is signed in (once per window
 * for a partial diff; always when nothing could be shown). Nothing is asked of GitHub until the
 * person clicks; after the sign-in the diff opens again, now with the whole files.
 */
async function offerSignIn(text: string, review: Review, fetcher: FileAtCommitFetcher, log: Log): Promise<void> {
  signInOffered = true;
  const pick = await vscode.window.showInformationMessage(text, SIGN_IN);
  if (pick !== SIGN_IN) return;
  await vscode.commands.executeCommand('secreview.signInToGitHub');
  if (await fetcher.signedIn()) await openReviewDiff(review, fetcher, log);
}

/** Reveals and decorates the commented line in the right-hand (after) editor. */
function highlightCommentedLine(review: Review, mode: 'full' | 'partial'): void {
  const hunks = parseDiffHunk(review.diffHunk ?? '');
  const lines = hunks.flatMap((h) => h.lines);
  const marked = [...commentedLineIndexes(hunks, review)].map((i) => lines[i]!.newLine).filter((n): n is number => n !== undefined);
  let end = review.line ?? review.originalLine ?? marked.at(-1);
  let start = (review.line !== undefined ? review.startLine : review.originalStartLine) ?? marked[0] ?? end;
  if (mode === 'partial' && marked.length) { start = marked[0]; end = marked.at(-1); }
  if (end === undefined) return;
  const apply = (): boolean => {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === DIFF_SCHEME && e.document.uri.path.includes('/after/'));
    if (!editor) return false;
    const range = new vscode.Range(Math.max(0, (start ?? end!) - 1), 0, Math.max(0, end! - 1), 0);
    editor.setDecorations(commentedDecoration, [range]);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
    return true;
  };
  if (apply()) return;
  const sub = vscode.window.onDidChangeVisibleTextEditors(() => { if (apply()) sub.dispose(); });
  setTimeout(() => sub.dispose(), 10_000);
}
