import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { type FileHandle, open } from 'node:fs/promises';
import { keepsProcessAlive } from '@framesmith/media';

/**
 * Copies whole files into one file at given offsets, inside the kernel (`copy_file_range`, the
 * call `cp` uses), so that no byte passes through this process. Node has no such call: its
 * copyFile only makes a new file, and its streams read every byte into memory and write it back.
 * `cat` does use the call, but appends only, and starting a process costs this one 10–15 ms.
 *
 * So the copying is done by a small Perl program, started at the first copy and kept for the
 * next, which makes the two system calls it needs (`fallocate`, then `copy_file_range` per file). Perl is part of
 * every Debian and Ubuntu system (an essential package), and of most other Unix systems. Where
 * the kernel cannot copy between the two files, the program reads and writes instead; where Perl
 * is missing, or the program dies during a copy, the copy is done here, in this process.
 */

/** A whole file to copy, and where its bytes go in the output. */
export interface CopyPiece {
  path: string;
  at: number;
  /** Its length as read from its header: a file of another length changed, and the copy fails. */
  length: number;
}

export interface CopyOptions {
  /** The output's final length: its blocks are allocated first (faster than growing the file). */
  size: number;
}

/**
 * Copies the pieces into `outPath`, which exists (its leading bytes, if any, are left as they
 * are). Bytes between pieces read as zeros. Rejects when a piece cannot be read or is not the
 * length given (it changed).
 */
export async function copyFilesInto(
  outPath: string,
  pieces: readonly CopyPiece[],
  options: CopyOptions,
): Promise<void> {
  const helper = takeHelper();
  if (helper) {
    let outcome: 'copied' | 'gone';
    try {
      outcome = await helper.copy(outPath, pieces, options.size);
    } finally {
      releaseHelper(helper); // a helper that answered, even with a failure, is fit for the next
    }
    if (outcome === 'copied') return;
    // The helper died mid-copy: the pieces go to the same places, so copying again is safe.
  }
  await copyInProcess(outPath, pieces, options.size);
}

/** Syscall numbers of copy_file_range and fallocate; 0 (read and write instead) elsewhere. */
function syscallNumbers(): [number, number] {
  if (process.platform !== 'linux') return [0, 0];
  if (process.arch === 'x64') return [326, 285];
  if (process.arch === 'arm64') return [285, 47];
  return [0, 0];
}

/**
 * Reads jobs from stdin: a line with the payload's length, then the payload: the output path, its
 * final size, then path, offset and length per piece, NUL-separated. Answers `ok`, or
 * `fail <changed|error> <piece index> <reason>`.
 */
const PROGRAM = String.raw`
use strict; use warnings; use Errno;
my ($CFR, $FALLOCATE) = map { $_ + 0 } @ARGV;
my $STEP = 1 << 20;
$| = 1;
binmode STDIN; binmode STDOUT;
while (defined(my $size = <STDIN>)) {
  chomp $size;
  my $job = '';
  while (length($job) < $size) {
    my $n = read(STDIN, $job, $size - length($job), length($job));
    exit 0 unless $n;
  }
  print join(' ', run(split /\0/, $job, -1)), "\n";
}

sub run {
  my ($out, $total, @pieces) = @_;
  open(my $o, '+<:raw', $out) or return ('fail', 'error', -1, "$!");
  syscall($FALLOCATE, fileno($o), 0, 0, $total + 0) if $FALLOCATE && $total > 0;
  for my $i (0 .. @pieces / 3 - 1) {
    my ($path, $at, $length) = @pieces[3 * $i .. 3 * $i + 2];
    open(my $in, '<:raw', $path) or return ('fail', 'error', $i, "$!");
    my $result = copy_range($in, $o, $at + 0, $length + 0);
    return ('fail', $result, $i, $result eq 'error' ? "$!" : '') if $result;
    return ('fail', 'changed', $i, '') if (-s $in) != $length;
    close $in;
  }
  close $o or return ('fail', 'error', -1, "$!");
  return ('ok');
}

sub copy_range {
  my ($in, $o, $at, $length) = @_;
  my $left = $length;
  if ($CFR) {
    my ($from, $to) = (pack('q', 0), pack('q', $at));
    while ($left > 0) {
      my $n = syscall($CFR, fileno($in), $from, fileno($o), $to, $left, 0);
      # Not between these files, not on this system, or refused by a sandbox (EPERM) before a
      # byte moved: read and write instead. Nothing copied at all is left to them to confirm.
      last if $n < 0 && ($!{ENOSYS} || $!{EXDEV} || $!{EINVAL} || $!{EOPNOTSUPP} || $!{EBADF}
        || ($left == $length && ($!{EPERM} || $!{EIO})));
      return 'error' if $n < 0;
      last if $n == 0 && $left == $length;
      return 'changed' if $n == 0;
      $left -= $n;
    }
  }
  my $done = $length - $left;
  sysseek($in, $done, 0) or return 'error';
  sysseek($o, $at + $done, 0) or return 'error';
  while ($left > 0) {
    my $n = sysread($in, my $buffer, $left < $STEP ? $left : $STEP);
    return 'error' unless defined $n;
    return 'changed' if $n == 0;
    for (my $w = 0; $w < $n; ) {
      my $k = syswrite($o, $buffer, $n - $w, $w);
      return 'error' unless defined $k;
      $w += $k;
    }
    $left -= $n;
  }
  return '';
}
`;

class CopyHelper {
  readonly #child: ChildProcessWithoutNullStreams;
  #output = '';
  #onLine: ((line: string) => void) | null = null;
  #onExit: (() => void) | null = null;
  exited = false;

  constructor() {
    this.#child = spawn('perl', ['-e', PROGRAM, ...syscallNumbers().map(String)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // First: a spawn the system refuses (EMFILE, EAGAIN) is reported as an event, a tick later.
    this.#child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'EACCES') perlMissing = true;
      this.#gone();
    });
    this.#child.on('close', () => this.#gone());
    // Without its pipes (file descriptors ran out) it is of no use: its error event follows.
    if (!this.#child.stdin || !this.#child.stdout || !this.#child.stderr) {
      this.exited = true;
      return;
    }
    keepsProcessAlive(this.#child, false);
    this.#child.stdin.on('error', () => {}); // EPIPE when it died: its exit tells
    this.#child.stdout.setEncoding('utf8');
    this.#child.stdout.on('data', (text: string) => {
      this.#output += text;
      for (let end = this.#output.indexOf('\n'); end >= 0; end = this.#output.indexOf('\n')) {
        const line = this.#output.slice(0, end);
        this.#output = this.#output.slice(end + 1);
        this.#onLine?.(line);
      }
    });
    this.#child.stderr.resume(); // unread, a full pipe would stall it
  }

  /** 'copied', or 'gone' when the helper died before it answered. */
  copy(outPath: string, pieces: readonly CopyPiece[], size: number): Promise<'copied' | 'gone'> {
    if (this.exited) return Promise.resolve('gone');
    const fields = [
      outPath,
      String(size),
      ...pieces.flatMap((p) => [p.path, String(p.at), String(p.length)]),
    ];
    const job = Buffer.from(fields.join('\0'));
    keepsProcessAlive(this.#child, true);
    return new Promise<'copied' | 'gone'>((resolve, reject) => {
      this.#onExit = () => resolve('gone');
      this.#onLine = (line) => {
        const [verdict, kind, index, ...reason] = line.split(' ');
        if (verdict === 'ok') return resolve('copied');
        const piece = pieces[Number(index)];
        reject(
          new Error(
            kind === 'changed'
              ? `clip ${Number(index) + 1} changed while it was copied`
              : `copying ${piece ? `clip ${Number(index) + 1}` : 'into the output'} failed: ${reason.join(' ')}`,
          ),
        );
      };
      this.#child.stdin.write(`${job.length}\n`);
      this.#child.stdin.write(job);
    }).finally(() => {
      this.#onLine = null;
      this.#onExit = null;
      if (!this.exited) keepsProcessAlive(this.#child, false);
    });
  }

  stop(): void {
    this.#child.stdin.end();
  }

  #gone(): void {
    if (this.exited) return;
    this.exited = true;
    this.#onExit?.();
  }
}

let perlMissing = false;
/** Helpers waiting for a job: one is kept; a second copy at the same time starts another. */
const idle: CopyHelper[] = [];
const KEEP_IDLE = 1;

function takeHelper(): CopyHelper | null {
  for (let helper = idle.pop(); helper; helper = idle.pop()) if (!helper.exited) return helper;
  if (perlMissing) return null;
  try {
    const helper = new CopyHelper();
    return helper.exited ? null : helper;
  } catch {
    return null; // the system refuses a process now: copy here
  }
}

function releaseHelper(helper: CopyHelper): void {
  if (helper.exited) return;
  if (idle.length < KEEP_IDLE) idle.push(helper);
  else helper.stop();
}

const CHUNK = 4 * 1024 * 1024;

async function copyInProcess(outPath: string, pieces: readonly CopyPiece[], size: number): Promise<void> {
  const out = await open(outPath, 'r+');
  try {
    if ((await out.stat()).size < size) await out.truncate(size); // the length fallocate gives
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (const [i, piece] of pieces.entries()) await copyPiece(piece, out, buffer, i);
  } finally {
    await out.close();
  }
}

async function copyPiece(piece: CopyPiece, out: FileHandle, buffer: Buffer, index: number): Promise<void> {
  const input = await open(piece.path, 'r');
  try {
    if ((await input.stat()).size !== piece.length)
      throw new Error(`clip ${index + 1} changed while it was copied`);
    for (let done = 0; done < piece.length; ) {
      const { bytesRead } = await input.read(buffer, 0, Math.min(CHUNK, piece.length - done), done);
      if (bytesRead === 0) throw new Error(`clip ${index + 1} changed while it was copied`);
      await out.write(buffer, 0, bytesRead, piece.at + done);
      done += bytesRead;
    }
  } finally {
    await input.close();
  }
}
