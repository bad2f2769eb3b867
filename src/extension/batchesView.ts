/**
 * Side bar tree: iterations > batches > reviews, with counts per label. Selecting a review opens
 * it in the labeling panel, where a key relabels it (recorded as a new event).
 */
import * as vscode from 'vscode';
import { LABELS, type Label } from '../core/labels';
import type { Batch } from '../store/labelDb';
import { LabelingSession } from './session';
import type { WorkspaceHost } from './workspaceHost';

type Node =
  | { kind: 'message'; text: string }
  | { kind: 'iteration'; iteration: number; batches: Batch[] }
  | { kind: 'batch'; batch: Batch }
  | { kind: 'review'; batch: Batch; index: number };

const LABEL_ICON: Record<Label, string> = { yes: 'shield', no: 'pass', unclear: 'question', broken: 'debug-disconnect', bot: 'hubot', language: 'globe' };

function countsText(counts: Record<Label, number>): string {
  return LABELS.filter((l) => counts[l] > 0).map((l) => `${l} ${counts[l]}`).join(', ');
}

/** What a screen reader says for an item: the whole line in words, not "3/30 · yes 1". */
function spoken(label: string, done: number, total: number, counts: Record<Label, number>): vscode.AccessibilityInformation {
  const labels = countsText(counts);
  return { label: `${label}: ${done} of ${total} reviews labeled${labels ? `: ${labels}` : ''}`, role: 'treeitem' };
}

export class BatchesTreeProvider implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly host: WorkspaceHost) {}

  refresh(): void { this.changed.fire(undefined); }

  getChildren(node?: Node): Node[] {
    const s = this.host.session();
    // No workspace: an empty tree lets the view's welcome content (Initialize, Import) show.
    if ('missing' in s) return [];
    const ws = s.ws;
    if (!node) {
      const byIteration = new Map<number, Batch[]>();
      for (const b of ws.db.batches()) {
        const list = byIteration.get(b.iteration) ?? [];
        list.push(b);
        byIteration.set(b.iteration, list);
      }
      if (!byIteration.size) return [{ kind: 'message', text: 'No batches yet: run "Security Review: Propose Next Batch".' }];
      return [...byIteration.entries()].sort((a, b) => b[0] - a[0]).map(([iteration, batches]) => ({ kind: 'iteration', iteration, batches }));
    }
    if (node.kind === 'iteration') return node.batches.map((batch) => ({ kind: 'batch', batch }));
    if (node.kind === 'batch') return node.batch.items.map((_, index) => ({ kind: 'review', batch: node.batch, index }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const s = this.host.session();
    switch (node.kind) {
      case 'message': {
        const item = new vscode.TreeItem(node.text);
        item.tooltip = node.text;
        item.accessibilityInformation = { label: node.text };
        return item;
      }
      case 'iteration': {
        const counts = Object.fromEntries(LABELS.map((l) => [l, 0])) as Record<Label, number>;
        let done = 0, total = 0;
        if (!('missing' in s)) for (const b of node.batches) {
          const c = LabelingSession.countsOf(s.ws, b);
          done += c.done; total += b.items.length;
          for (const l of LABELS) counts[l] += c.counts[l];
        }
        const item = new vscode.TreeItem(`Iteration ${node.iteration}`, vscode.TreeItemCollapsibleState.Expanded);
        item.description = `${done}/${total}${done ? ` · ${countsText(counts)}` : ''}`;
        item.accessibilityInformation = spoken(`Iteration ${node.iteration}`, done, total, counts);
        item.contextValue = 'iteration';
        return item;
      }
      case 'batch': {
        const c = 'missing' in s ? { done: 0, counts: Object.fromEntries(LABELS.map((l) => [l, 0])) as Record<Label, number> } : LabelingSession.countsOf(s.ws, node.batch);
        const item = new vscode.TreeItem(`${node.batch.id}`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `batch:${node.batch.id}`;
        item.description = `${c.done}/${node.batch.items.length}${c.done ? ` · ${countsText(c.counts)}` : ''}`;
        item.tooltip = `${node.batch.strategy}\ncreated ${node.batch.createdAt}${node.batch.modelVersion ? `\nmodel ${node.batch.modelVersion}` : ''}`;
        item.iconPath = new vscode.ThemeIcon(c.done === node.batch.items.length ? 'check-all' : 'list-unordered');
        item.accessibilityInformation = spoken(`Batch ${node.batch.id}, ${node.batch.strategy}`, c.done, node.batch.items.length, c.counts);
        item.contextValue = 'batch';
        item.command = { command: 'secreview.openBatch', title: 'Label this batch', arguments: [node.batch.id] };
        return item;
      }
      case 'review': {
        const it = node.batch.items[node.index]!;
        const label = 'missing' in s ? undefined : s.ws.db.labelOf(it.reviewId)?.label;
        const item = new vscode.TreeItem(`${node.index + 1}. ${it.reviewId}`);
        item.id = `review:${node.batch.id}:${it.reviewId}`;
        item.description = `${label ?? 'unlabeled'} · ${it.strategy}`;
        item.iconPath = new vscode.ThemeIcon(label ? LABEL_ICON[label] : 'circle-large-outline');
        item.tooltip = `Review ${it.reviewId}: ${label ?? 'not labeled yet'}; proposed by ${it.strategy} (score ${it.score.toPrecision(3)})`;
        item.accessibilityInformation = { label: `Review ${it.reviewId}, ${node.index + 1} of ${node.batch.items.length} in batch ${node.batch.id}: ${label ? `labeled ${label}` : 'not labeled yet'}, proposed by ${it.strategy}`, role: 'treeitem' };
        item.contextValue = 'review';
        item.command = { command: 'secreview.openReview', title: 'Open in the labeling panel', arguments: [it.reviewId] };
        return item;
      }
    }
  }
}
