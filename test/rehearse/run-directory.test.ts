import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createRunDirectory, readPid, reapDeadRuns, RUN_DIRECTORY_PREFIX, runOwner, teardownRun, writePid } from '../../lib/cli/rehearse/run-directory';

// Run directories without servers: naming, pid files, and which ones the next rehearsal undoes.

/** The pid of a process that has exited (and was reaped). */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

test('a run directory is named after the process that owns it', () => {
  const dir = createRunDirectory();
  try {
    expect(path.basename(dir)).toMatch(new RegExp(`^${RUN_DIRECTORY_PREFIX}${process.pid}-\\w{6}$`));
    expect(runOwner(dir)).toBe(process.pid);
    expect(runOwner(path.join(os.tmpdir(), `${RUN_DIRECTORY_PREFIX}abc`))).toBeUndefined();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a pid file still being written holds no pid', () => {
  const dir = createRunDirectory();
  try {
    expect(readPid(dir, 'keeper')).toBeUndefined();
    fs.writeFileSync(path.join(dir, 'keeper.pid'), '');
    expect(readPid(dir, 'keeper')).toBeUndefined();
    writePid(dir, 'keeper', 4242);
    expect(readPid(dir, 'keeper')).toBe(4242);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the next rehearsal undoes a run whose owner is dead, and leaves one whose owner is alive', async () => {
  const alive = createRunDirectory();
  const dead = fs.mkdtempSync(path.join(os.tmpdir(), `${RUN_DIRECTORY_PREFIX}${deadPid()}-`));
  fs.mkdirSync(path.join(dead, 'data'));
  try {
    await reapDeadRuns();
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(alive)).toBe(true);
  } finally {
    [alive, dead].forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
  }
});

test.each(['postgres.pid', 'postmaster.pid'])('a run that another process removes while this one undoes it (gone before %s is read) is undone without an error', async (removedBefore) => {
  // GIVEN a run whose processes have exited, with PostgreSQL's postmaster.pid left behind
  const dir = createRunDirectory();
  writePid(dir, 'postgres', 999_999);
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'data', 'postmaster.pid'), '999999\n');
  // AND another process that removes the run just before this one reads the file (two rehearsals reaping the same dead run)
  const readFileSync = fs.readFileSync;
  const spy = jest.spyOn(fs, 'readFileSync').mockImplementation(((file: fs.PathOrFileDescriptor, options?: unknown) => {
    if (String(file).endsWith(removedBefore)) fs.rmSync(dir, { recursive: true, force: true });
    return readFileSync(file, options as BufferEncoding);
  }) as typeof fs.readFileSync);
  try {
    // WHEN this process undoes it THEN it is undone, without an error
    await expect(teardownRun(dir, 100)).resolves.toBeUndefined();
    expect(fs.existsSync(dir)).toBe(false);
  } finally {
    spy.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
