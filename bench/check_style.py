# SPDX-License-Identifier: GPL-2.0
"""Style checks: checkpatch, kernel-doc and coccicheck.

Findings are compared with the base where the base already has some
(kernel-doc, coccicheck); checkpatch must be clean except for the
findings listed in checkpatch-exceptions.txt with their reason.
"""

import concurrent.futures
import fnmatch
import hashlib
import json
import os
import re
import shutil
import tempfile

from common import CACHE, TOP, Failure, git, run, say

EXCEPTIONS = os.path.join(TOP, 'checkpatch-exceptions.txt')
FINDING = re.compile(r'^(ERROR|WARNING|CHECK):([A-Z0-9_]+): (.*)$')


def exceptions():
    """(patch glob, TYPE, message regex) triples, with their reasons."""
    rules = []
    if not os.path.exists(EXCEPTIONS):
        return rules
    for line in open(EXCEPTIONS, encoding='utf-8'):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        fields = [f.strip() for f in line.split('|')]
        if len(fields) != 4 or not fields[3]:
            raise ValueError('%s: "%s": want "patch glob | TYPE | message '
                             'regex | reason"' % (EXCEPTIONS, line))
        rules.append((fields[0], fields[1], re.compile(fields[2])))
    return rules


def checkpatch(ctx):
    rules = exceptions()
    problems = []
    for path in ctx.patches:
        name = os.path.basename(path)
        _, out = run(['perl', 'scripts/checkpatch.pl', '--strict',
                      '--show-types', '--no-summary', '--color=never', path],
                     cwd=ctx.tree, check=False)
        found = excused = 0
        lines = out.splitlines()
        for i, line in enumerate(lines):
            m = FINDING.match(line)
            if not m:
                continue
            found += 1
            if any(fnmatch.fnmatch(name[5:], g) and t == m.group(2) and
                   r.search(m.group(3)) for g, t, r in rules):
                excused += 1
                continue
            where = lines[i + 1].strip() if i + 1 < len(lines) else ''
            problems.append('%s: %s %s' % (name, line, where))
        say('    %s: %d findings, %d listed as exceptions' % (name, found,
                                                              excused))
    return problems


def touched(ctx, suffixes):
    return [p for p in git(ctx.tree, 'diff', '--name-only', '--diff-filter=AM',
                           'base', 'HEAD').split()
            if p.endswith(suffixes) and not p.startswith('tools/')]


def base_copy(ctx, paths):
    """A temporary directory with the base version of each path."""
    tmp = tempfile.mkdtemp(prefix='base-')
    for path in paths:
        code, text = run(['git', '-C', ctx.tree, 'show', 'base:' + path],
                         check=False)
        if code == 0:
            os.makedirs(os.path.dirname(os.path.join(tmp, path)),
                        exist_ok=True)
            with open(os.path.join(tmp, path), 'w', encoding='utf-8') as f:
                f.write(text)
    return tmp


def strip_numbers(line):
    return re.sub(r':\d+(:\d+)?', '', line).strip()


def kernel_doc(ctx):
    paths = touched(ctx, ('.c', '.h'))
    kdoc = os.path.join(ctx.tree, 'scripts', 'kernel-doc')
    tmp = base_copy(ctx, paths)
    problems = []
    try:
        for path in paths:
            _, new = run([kdoc, '-none', '-Wall', path], cwd=ctx.tree,
                         check=False)
            old = ''
            if os.path.exists(os.path.join(tmp, path)):
                _, old = run([kdoc, '-none', '-Wall', path], cwd=tmp,
                             check=False)
            before = {strip_numbers(ln) for ln in old.splitlines()}
            added = [ln for ln in new.splitlines()
                     if strip_numbers(ln) not in before]
            say('    %s: %d distinct warnings before, %d after, %d new' % (
                path, len(before),
                len({strip_numbers(ln) for ln in new.splitlines()}),
                len(added)))
            problems += added
    finally:
        shutil.rmtree(tmp)
    return problems


COCCI_CACHE = os.path.join(CACHE, 'coccicheck')


def cocci_report(tree, path, build):
    """coccicheck's report for one file, cached by the file's content.

    Runs scripts/coccicheck in its per-file mode (C=2, as kbuild would
    call it with CHECK=scripts/coccicheck), with the x86_64 build tree's
    include paths, so every semantic patch gets its own options and
    requirements as in `make coccicheck`.  Kbuild itself cannot do this in
    7.3: scripts/checker-valid.sh accepts only sparse as CHECK.
    """
    text = open(os.path.join(tree, path), 'rb').read()
    scripts = git(tree, 'rev-parse', 'HEAD:scripts/coccinelle')
    key = hashlib.sha256(b'\0'.join([path.encode(), scripts.encode(),
                                     text])).hexdigest()
    cached = os.path.join(COCCI_CACHE, key + '.json')
    if os.path.exists(cached):
        return json.load(open(cached, encoding='utf-8'))
    out = build
    inc = []
    for top in (tree, out):
        inc += ['-I', top + '/arch/x86/include',
                '-I', top + '/arch/x86/include/generated',
                '-I', top + '/include',
                '-I', top + '/arch/x86/include/uapi',
                '-I', top + '/arch/x86/include/generated/uapi',
                '-I', top + '/include/uapi',
                '-I', top + '/include/generated/uapi']
    inc += ['-include', tree + '/include/linux/compiler-version.h',
            '-include', tree + '/include/linux/kconfig.h']
    code, log = run(['bash', 'scripts/coccicheck', path], cwd=tree,
                    check=False,
                    env={'C': '2', 'MODE': 'report', 'srctree': tree,
                         'srcroot': tree, 'LINUXINCLUDE': ' '.join(inc)})
    if code:
        raise Failure('coccicheck failed on %s:\n%s' % (path, log[-2000:]))
    report = [ln for ln in log.splitlines()
              if ln.startswith(path + ':') or ln.startswith('./' + path)]
    os.makedirs(COCCI_CACHE, exist_ok=True)
    with open(cached, 'w', encoding='utf-8') as f:
        json.dump(report, f)
    return report


def coccicheck(ctx):
    import check_build  # pylint: disable=import-outside-toplevel
    build = check_build.build_dir('x86_64', ctx.full)
    paths = touched(ctx, ('.c',))
    head = git(ctx.tree, 'rev-parse', 'HEAD')
    def reports(files):
        # One spatch per file and core: each file is independent.
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
            return dict(zip(files, pool.map(
                lambda p: cocci_report(ctx.tree, p, build), files)))

    try:
        git(ctx.tree, 'checkout', '-q', '--detach', 'base')
        old = reports([p for p in paths
                       if os.path.exists(os.path.join(ctx.tree, p))])
    finally:
        git(ctx.tree, 'checkout', '-q', '--detach', head)
    now = reports(paths)
    problems = []
    for path in paths:
        new = now[path]
        before = {strip_numbers(ln) for ln in old.get(path, [])}
        added = [ln for ln in new if strip_numbers(ln) not in before]
        say('    %s: %d reports before, %d after, %d new' % (
            path, len(old.get(path, [])), len(new), len(added)))
        problems += added
    return problems
