import path from 'node:path';
import { exportModel } from '../../store/exportModel';
import { withWorkspace, printJson } from '../workspace';
import { CliError, optString, type CliCommand } from '../types';

export const exportModelCommand: CliCommand = {
  name: 'export-model',
  summary: 'export a trained model as an ONNX inference graph with its representation and label map',
  usage: 'Usage: secreview export-model --out DIR [--model VERSION]\n\nWrites model.onnx (features -> probabilities), representation.json, label_map.json, metrics.json and a README. Default: the latest model.',
  options: { out: { type: 'string' }, model: { type: 'string' } },
  async run(args, io) {
    const out = optString(args, 'out');
    if (!out) throw new CliError('give the folder to write with --out DIR');
    return withWorkspace(io, 'export-model', async (ws) => {
      const r = exportModel(ws, path.resolve(io.cwd, out), optString(args, 'model'));
      if (io.json) printJson(io, r);
      else io.out(`Exported model ${r.version} to ${r.dir}: ${r.files.join(', ')}`);
      return 0;
    }, { readOnly: true });
  },
};
