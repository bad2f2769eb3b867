/**
 * The Hugging Face access token for gated or private encoder models: "Set Hugging Face Token"
 * keeps it in VS Code's secret storage (the operating system's keychain where there is one), never
 * in settings or workspace files. Processes that may download a model get it as `HF_TOKEN`; without
 * a stored token, an `HF_TOKEN` in VS Code's environment is passed on unchanged, as before.
 */
import * as vscode from 'vscode';

const SECRET_KEY = 'secreview.huggingFaceToken';

/** The environment for a trainer or CLI child process: the stored token wins over the inherited one. */
export async function withHubToken(secrets: vscode.SecretStorage, env: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv> {
  const stored = await secrets.get(SECRET_KEY);
  return stored ? { ...env, HF_TOKEN: stored } : { ...env };
}

export function registerHuggingFaceToken(context: vscode.ExtensionContext, log: (line: string) => void): void {
  context.subscriptions.push(vscode.commands.registerCommand('secreview.setHuggingFaceToken', async () => {
    const had = (await context.secrets.get(SECRET_KEY)) !== undefined;
    const value = await vscode.window.showInputBox({
      title: 'Hugging Face access token',
      prompt: `For gated or private models (a read token from huggingface.co/settings/tokens). Kept in VS Code's secret storage and sent only to the Hugging Face Hub.${had ? ' Leave empty to remove the stored token.' : ''}`,
      placeHolder: 'hf_...', password: true, ignoreFocusOut: true,
      validateInput: (v) => (/\s/.test(v.trim()) ? 'a token has no spaces' : undefined),
    });
    if (value === undefined) return;
    const token = value.trim();
    if (!token) {
      await context.secrets.delete(SECRET_KEY);
      log('Hugging Face token removed from the secret storage');
      void vscode.window.showInformationMessage(`Security Review: ${had ? 'the stored Hugging Face token was removed' : 'no Hugging Face token is stored'}${process.env.HF_TOKEN ? '; HF_TOKEN from the environment applies' : ''}.`);
      return;
    }
    await context.secrets.store(SECRET_KEY, token);
    log('Hugging Face token stored in the secret storage');
    void vscode.window.showInformationMessage('Security Review: Hugging Face token stored; model downloads use it from now on.');
  }));
}
