import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// The pull-request comment step (bin/example/github/connection-budget-comment.sh) when the head does not synthesize:
// it quotes the synth log, which the pull request's own code wrote. A stand-in `gh` keeps the posted comment.

const SCRIPT = path.join(__dirname, '..', '..', 'bin', 'example', 'github', 'connection-budget-comment.sh');

test('a synth log that tries to end its code block stays quoted', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comment-script-'));
  try {
    const log = path.join(dir, 'head-synth.log');
    fs.writeFileSync(log, [
      "Error: ConnectionBudget 'Data/Budget': worst case too high [CB-OVER-CAPACITY]",
      '```` [CB-X]',
      '<img src=x onerror=alert(1)> [x](http://evil) @org/team [CB-X]',
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(dir, 'gh'), `#!/usr/bin/env bash
case "$*" in
  *"--method POST"*) body="\${@: -1}"; cp "\${body#body=@}" "${dir}/posted.md" ;;
esac
`, { mode: 0o755 });
    // Its temporary files go where TMPDIR says: they must be gone when it ends.
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    const result = spawnSync('bash', [SCRIPT, 'base', 'head'], {
      encoding: 'utf8',
      // This machine's bash reads ~/.bashrc even when not interactive; an empty home keeps its PATH changes out.
      env: { PATH: `${dir}:${process.env.PATH}`, HOME: dir, TMPDIR: tmp, REPOSITORY: 'example-org/app', PR_NUMBER: '1', HEAD_SYNTH_STATUS: '1', HEAD_SYNTH_LOG: log },
    });
    expect(fs.readdirSync(tmp)).toEqual([]);
    expect(result.status).toBe(1);
    expect(fs.readFileSync(path.join(dir, 'posted.md'), 'utf8')).toBe([
      '<!-- connection-budget-diff -->',
      '## Connection budget change',
      '',
      '**❌ `cdk synth` of this pull request fails:**',
      '',
      '`````text',
      "Error: ConnectionBudget 'Data/Budget': worst case too high [CB-OVER-CAPACITY]",
      '```` [CB-X]',
      '<img src=x onerror=alert(1)> [x](http://evil) @org/team [CB-X]',
      '`````',
      '',
    ].join('\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
