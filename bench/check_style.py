# SPDX-License-Identifier: GPL-2.0
"""Style checks: checkpatch on every patch, kernel-doc on touched files.

checkpatch must be clean except for the findings listed, with a reason, in
checkpatch-exceptions.txt; kernel-doc may add no warning the base version
of a file does not have.  Each tool must show that it ran to the end:
checkpatch its summary line, counting the findings it printed, and an exit
status of 0 or 1; kernel-doc an exit status of 0.
"""

import concurrent.futures
import fnmatch
import os
import re
import shutil
import tempfile

import checktree
import parse
import verdicts
from common import TOP, git, patch_label, run, say

EXCEPTIONS = os.path.join(TOP, 'checkpatch-exceptions.txt')


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


CHECKPATCH = ['perl', 'scripts/checkpatch.pl', '--strict', '--show-types',
              '--color=never']


def run_checkpatch(path, store, tools):
    """checkpatch's exit status and output for a patch, kept by the
    patch's content, checkpatch's own files and its command line."""
    k = verdicts.key(tools, CHECKPATCH, verdicts.file_digest(path))
    got = store.get(k)
    if got is None:
        got = run(CHECKPATCH + [path], cwd=checktree.TREE, check=False)
        store.put(k, got)
    return got


def checkpatch(ctx):
    rules = exceptions()
    problems = []
    store = verdicts.Store('checkpatch')
    tools = git(checktree.TREE, 'rev-parse', 'HEAD:scripts')
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        outputs = list(pool.map(lambda p: run_checkpatch(p, store, tools),
                                ctx.patches))
    for path, (code, out) in zip(ctx.patches, outputs):
        name = patch_label(path)
        base = os.path.basename(path)
        findings, broken = parse.checkpatch(out)
        if code not in (0, 1) or broken:
            problems += ['%s: checkpatch exited %d: %s' % (
                name, code, '; '.join(broken) or 'see its output')]
            problems += ['  ' + ln for ln in out.splitlines()[-10:]]
            continue
        excused = 0
        for level, kind, message, where in findings:
            if any(fnmatch.fnmatch(base[5:], g) and t == kind and
                   r.search(message) for g, t, r in rules):
                excused += 1
            else:
                problems.append('%s: %s:%s: %s %s' % (name, level, kind,
                                                      message, where))
        say('    %s: %d findings, %d listed as exceptions' % (
            name, len(findings), excused))
    return problems


def touched(suffixes):
    return [p for p in checktree.changed_files('base', 'HEAD', 'AM')
            if p.endswith(suffixes) and not p.startswith('tools/')]


def kernel_doc_warnings(tree, path):
    """kernel-doc's distinct warnings for a file, without line numbers."""
    kdoc = os.path.join(checktree.TREE, 'scripts', 'kernel-doc')
    code, out = run([kdoc, '-none', '-Wall', path], cwd=tree, check=False)
    if code:
        return None, out
    return {re.sub(r':\d+(:\d+)?', '', ln).strip()
            for ln in out.splitlines() if ln.strip()}, out


def kernel_doc(_ctx):
    paths = touched(('.c', '.h'))
    tmp = tempfile.mkdtemp(prefix='base-')
    problems = []
    try:
        for path in paths:
            new, out = kernel_doc_warnings(checktree.TREE, path)
            if new is None:
                problems += ['kernel-doc failed on %s:' % path] + \
                    out.splitlines()[-5:]
                continue
            before = set()
            text = checktree.show('base', path)
            if text is not None:
                os.makedirs(os.path.dirname(os.path.join(tmp, path)),
                            exist_ok=True)
                with open(os.path.join(tmp, path), 'w',
                          encoding='utf-8') as f:
                    f.write(text)
                before, out = kernel_doc_warnings(tmp, path)
                if before is None:
                    problems += ['kernel-doc failed on the base %s:' % path] \
                        + out.splitlines()[-5:]
                    continue
            added = sorted(new - before)
            say('    %s: %d distinct warnings before, %d after, %d new' % (
                path, len(before), len(new), len(added)))
            problems += added
    finally:
        shutil.rmtree(tmp)
    return problems
