# SPDX-License-Identifier: GPL-2.0
"""coccicheck reports nothing new on the C files the series touches.

Each semantic patch of report mode in scripts/coccinelle runs as
scripts/coccicheck runs it in its per-file mode (C=2: `-D report
--no-show-diff --very-quiet`, the patch's own "Options:", its "Requires:"
version, the x86_64 build tree's include paths), but once over all the
files, each a group of its own (`--file-groups`, with `--no-scanner`:
coccicheck's one file per spatch costs 40 s a file here).  Linux 7.3's
scripts/checker-valid.sh accepts only sparse as CHECK, so kbuild cannot
run it.  Every semantic patch must run (or be skipped for its coccinelle
version) and exit 0.  A file's base version is checked only when the
series' version has reports, since only then can a report be new.
Reports are kept by file content.
"""

import glob
import os
import re
import tempfile
import time

import build_tree
import checktree
import verdicts
from common import Failure, run, say

CORES = str(os.cpu_count())


def semantic_patches():
    """{path: (options, required version)} of the report-mode patches."""
    found = {}
    for path in sorted(glob.glob(os.path.join(
            checktree.TREE, 'scripts/coccinelle/**/*.cocci'),
            recursive=True)):
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.read()
        if not re.search(r'virtual\s+report', text):
            continue
        opts = re.search(r'Options:(.*)', text)
        req = re.search(r'Requires:\s*(\S+)', text)
        found[os.path.relpath(path, checktree.TREE)] = (
            opts.group(1).split() if opts else [], req.group(1) if req
            else None)
    return found


def version_key(version):
    return [int(x) for x in re.findall(r'\d+', version)]


def include_args(build):
    """The build's include paths in spatch's syntax."""
    inc = []
    for top in (checktree.TREE, build):
        for sub in ('arch/x86/include', 'arch/x86/include/generated',
                    'include', 'arch/x86/include/uapi',
                    'arch/x86/include/generated/uapi', 'include/uapi',
                    'include/generated/uapi'):
            inc += ['-I', os.path.join(top, sub)]
    for name in ('compiler-version.h', 'kconfig.h'):
        inc += ['--include', os.path.join(checktree.TREE, 'include/linux',
                                          name)]
    return inc


def run_all(paths, build):
    """{path: report lines} from every semantic patch over the files."""
    cocci = semantic_patches()
    if len(cocci) < 50:
        raise Failure('only %d semantic patches of report mode in '
                      'scripts/coccinelle' % len(cocci))
    have = run(['spatch', '--version'])[1].split()[2]
    found = {p: [] for p in paths}
    skipped = []
    start = time.monotonic()
    with tempfile.NamedTemporaryFile('w', suffix='.groups') as groups:
        groups.write(''.join(p + '\n\n' for p in paths))
        groups.flush()
        for i, (path, (opts, req)) in enumerate(sorted(cocci.items()), 1):
            if req and version_key(req) > version_key(have):
                skipped.append(path)
                continue
            code, out = run(['spatch', '-D', 'report', '--no-show-diff',
                             '--very-quiet', '--cocci-file', path] + opts +
                            include_args(build) +
                            ['--no-scanner', '--jobs', CORES, '--chunksize',
                             '1', '--file-groups', groups.name],
                            cwd=checktree.TREE, check=False)
            if code:
                raise Failure('spatch failed (exit %d) with %s:\n%s' % (
                    code, path, out[-1500:]))
            for line in out.splitlines():
                name = line.split(':', 1)[0].lstrip('./')
                if name in found:
                    found[name].append(line)
            if i % 15 == 0:
                say('    ... %d of %d semantic patches over %d files '
                    '(%.0f s)' % (i, len(cocci), len(paths),
                                  time.monotonic() - start))
    say('    %d semantic patches ran over %d files, %d skipped for '
        'coccinelle %s (%s) (%.0f s)' % (
            len(cocci) - len(skipped), len(paths), len(skipped), have,
            ', '.join(os.path.basename(p) for p in skipped) or 'none',
            time.monotonic() - start))
    return found


def reports(paths, build, store):
    """{path: report lines} for the files as checked out, kept by the
    file's content and the semantic patches."""
    scripts = run(['git', '-C', checktree.TREE, 'rev-parse',
                   'HEAD:scripts/coccinelle'])[1].strip()
    keys = {p: verdicts.key(p, scripts, verdicts.file_digest(
        os.path.join(checktree.TREE, p))) for p in paths}
    todo = [p for p in paths if store.get(keys[p]) is None]
    if todo:
        for path, lines in run_all(todo, build).items():
            store.put(keys[path], lines)
    return {p: store.get(keys[p]) for p in paths}


def strip_numbers(line):
    return re.sub(r':\d+(:\d+)?(-\d+)?', '', line).strip()


def coccicheck(ctx):
    build = build_tree.build_dir('x86_64', ctx.full)
    store = verdicts.Store('coccicheck')
    paths = sorted(p for p in checktree.changed_files('base', 'HEAD', 'AM')
                   if p.endswith('.c') and not p.startswith('tools/'))
    now = reports(paths, build, store)
    again = [p for p in paths if now[p] and checktree.show('base', p)]
    old = {}
    if again:
        with checktree.checked_out('base'):
            old = reports(again, build, store)
    problems = []
    for path in paths:
        before = {strip_numbers(ln) for ln in old.get(path, [])}
        added = [ln for ln in now[path] if strip_numbers(ln) not in before]
        say('    %s: %d reports%s, %d new' % (
            path, len(now[path]), ', %d at the base' % len(old[path])
            if path in old else '', len(added)))
        problems += added
    return problems
