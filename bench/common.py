# SPDX-License-Identifier: GPL-2.0
"""Paths, errors, commands and the cache lock, shared by every module."""

import fcntl
import os
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERIES = os.path.join(TOP, 'series')
CONFIGS = os.path.join(TOP, 'configs')
WORKTREE = os.path.join(TOP, 'build', 'linux')
COVER = '0000-cover-letter.patch'

# Everything that survives a fresh clone lives here: the .deb, the base
# repository, the check tree, build trees, ccache, logs.
CACHE = os.path.abspath(os.path.expanduser(
    os.environ.get('DUMB_KMAP_CACHE', '~/.cache/dumb-kmap')))
LOGS = os.path.join(CACHE, 'logs')

# A long command prints a line this often while it runs.
PROGRESS_SECONDS = 60


class Failure(Exception):
    """Something is wrong with the series or a check failed; the message
    says what and what to do next.  Exit status 1."""


class InfraFailure(Failure):
    """The machine, the network or the cache failed, not the series: a
    package is missing, the mirror cannot be read, the cache is broken.
    Exit status 2."""


def say(msg=''):
    print(msg, flush=True)


def read_conf(path=None):
    """Read base.conf (key = value lines, # comments)."""
    path = path or os.path.join(TOP, 'base.conf')
    conf = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            key, _, value = line.partition('=')
            conf[key.strip()] = value.strip()
    return conf


def _tail_line(path):
    try:
        with open(path, 'rb') as f:
            f.seek(max(0, os.path.getsize(path) - 400))
            lines = f.read().decode(errors='replace').splitlines()
    except OSError:
        return ''
    return lines[-1].strip()[:100] if lines else ''


def run(cmd, cwd=None, env=None, check=True, log=None, what=None,
        input_bytes=None):
    """Run a command; return (exit status, output).

    With log, the output goes to that file (and None is returned for it);
    with what as well, the log path is printed when the command starts and
    a progress line every PROGRESS_SECONDS while it runs.  With check, a
    non-zero exit raises Failure with the command's last lines."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    try:
        if log:
            os.makedirs(os.path.dirname(log), exist_ok=True)
            if what:
                say('    %s: log %s' % (what, log))
            start = time.monotonic()
            with open(log, 'wb') as out:
                proc = subprocess.Popen(cmd, cwd=cwd, env=full_env,
                                        stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
                while True:
                    try:
                        code = proc.wait(timeout=PROGRESS_SECONDS)
                        break
                    except subprocess.TimeoutExpired:
                        if what:
                            say('    ... %s: %.0f s, %s' % (
                                what, time.monotonic() - start,
                                _tail_line(log)))
            output = None
        else:
            proc = subprocess.run(cmd, cwd=cwd, env=full_env, check=False,
                                  input=input_bytes,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
            code = proc.returncode
            output = proc.stdout.decode(errors='replace')
    except FileNotFoundError as err:
        raise InfraFailure('%s is not installed: run "sh bench/setup" as '
                           'root' % err.filename) from err
    if check and code != 0:
        text = tail_file(log) if log else tail(output or '', 30)
        raise Failure('command failed (exit %d): %s%s\n%s' % (
            code, ' '.join(cmd), ' (log %s)' % log if log else '', text))
    return code, output


def git(tree, *args, check=True):
    _, out = run(['git', '-C', tree] + list(args), check=check)
    return out.strip() if out else ''


def tail(text, lines):
    return '\n'.join(text.rstrip('\n').split('\n')[-lines:])


def tail_file(path, lines=40):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return tail(f.read(), lines)
    except OSError:
        return ''


def read_text(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return f.read()


def write_atomic(path, data):
    """Write a file so that readers see the old or the new content."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'wb' if isinstance(data, bytes) else 'w') as f:
        f.write(data)
    os.replace(tmp, path)


def series_sets():
    """The sets of the series in apply order, as [(directory, [patch])]:
    each directory of series/ whose name starts with two digits (NN-topic)
    holds a set's cover letter and its patches (bench/sets.py)."""
    if not os.path.isdir(SERIES):
        return []
    sets = []
    for name in sorted(os.listdir(SERIES)):
        path = os.path.join(SERIES, name)
        if not os.path.isdir(path) or not name[:2].isdigit():
            continue
        patches = sorted(n for n in os.listdir(path)
                         if n.endswith('.patch') and n != COVER and
                         n[0].isdigit())
        sets.append((path, [os.path.join(path, n) for n in patches]))
    return sets


def series_patches():
    """The patches of the series in apply order, cover letters excluded."""
    return [p for _, patches in series_sets() for p in patches]


def patch_label(path):
    """A patch's name in messages: its set and file name."""
    return os.path.relpath(path, SERIES)


class Timer:
    """Context manager that reports how long a step took."""

    def __init__(self, what):
        self.what = what
        self.start = 0.0
        self.seconds = 0.0

    def __enter__(self):
        self.start = time.monotonic()
        say('>> ' + self.what)
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.start
        say('   (%s: %.0f s)' % (self.what, self.seconds))
        return False


_LOCK = None


def lock_cache(command):
    """Take the cache's lock for the whole run, or refuse: two runs at once
    would check out the same check tree and build in the same trees."""
    global _LOCK  # pylint: disable=global-statement
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, 'lock')
    handle = open(path, 'a+', encoding='utf-8')  # pylint: disable=consider-using-with
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as err:
        handle.seek(0)
        holder = handle.read().strip() or 'another run'
        raise InfraFailure('the cache %s is in use by %s; wait for it to end '
                           '(or set DUMB_KMAP_CACHE to another directory)'
                           % (CACHE, holder)) from err
    handle.seek(0)
    handle.truncate()
    handle.write('pid %d (dumbkmap %s)\n' % (os.getpid(), command))
    handle.flush()
    _LOCK = handle


def warn(msg):
    print('warning: ' + msg, file=sys.stderr, flush=True)
