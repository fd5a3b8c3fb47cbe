# SPDX-License-Identifier: GPL-2.0
"""A kbuild build tree of the build checks, and each object's findings.

Every compile and sparse run goes through bench/kbuild-record, which keeps
what the tool printed beside the object (<object>.stderr, <object>.sparse),
so that findings belong to an object however many jobs run at once, and
an object's findings can be compared with the same object's at the base.
Lines of the make log that name an object (objtool) belong to it too;
kernel-doc's lines (W=1 runs it on each compiled file) are left to the
kernel-doc check, which runs it on every touched file with -Wall; any
other warning or error line of the log is a finding of the whole build.
"""

import json
import os
import re
import time

import checktree
import kbuild
import parse
import sparse
from common import (CACHE, LOGS, TOP, Failure, InfraFailure, read_text,
                    run, write_atomic)

# bench/kbuild-record is installed into the cache: its path is part of
# every compile command kbuild records, and a fresh clone of the workbench
# must not make kbuild compile everything again.
SOURCE = os.path.join(TOP, 'bench', 'kbuild-record')
RECORD = os.path.join(CACHE, 'tools', 'kbuild-record')


def install_record():
    with open(SOURCE, encoding='utf-8') as f:
        text = f.read()
    if not os.path.exists(RECORD) or read_text(RECORD) != text:
        write_atomic(RECORD, text)
        os.chmod(RECORD, 0o755)


def build_dir(arch, full=False):
    """The build tree of an arch's build check, for the CI or full tier."""
    return os.path.join(kbuild.BUILD, '%s-%s' % (arch, 'full' if full
                                                 else 'ci'))


class BuildTree:
    """make in one arch's build tree, and what its output says."""

    def __init__(self, arch, out):
        install_record()
        self.arch = arch
        self.out = out
        self.roots = [checktree.TREE, out]
        cross = kbuild.ARCHES[arch].cross
        self.options = ['CC=%s stderr ccache %sgcc' % (RECORD, cross)]

    def make(self, label, *targets, sparse_on=()):
        """make W=1 targets (directories or objects).  With sparse_on
        (source files whose objects the make compiles), sparse runs on
        those and no other (C=1 and bench/kbuild-record's list), and must
        be seen to: a fresh sparse record for each file, and no line of
        kbuild saying it turned the checker off.  Returns {object or '':
        findings} of the log's own lines (not those of any record)."""
        extra, env = [], {}
        if sparse_on:
            listing = os.path.join(self.out, '.sparse-only')
            with open(listing, 'w', encoding='utf-8') as f:
                f.write(''.join(p + '\n' for p in sparse_on))
            extra = ['C=1', 'CHECK=%s sparse %s' % (RECORD, sparse.path())]
            env = {'DUMBKMAP_SPARSE_ONLY': listing}
        log = os.path.join(LOGS, 'build', '%s-%s.log' % (
            os.path.basename(self.out), label))
        start = time.time()
        code, _ = kbuild.make(self.arch, checktree.TREE, self.out, 'W=1',
                              *(self.options + extra + list(targets)),
                              log=log, what='%s %s' % (self.arch, label),
                              check=False, extra_env=env)
        text = read_text(log)
        if code:
            errors = [ln for ln in text.splitlines() if 'error' in ln.lower()]
            raise Failure('%s does not build on %s (log %s):\n%s' % (
                label, self.arch, log, '\n'.join(errors[:20])))
        if sparse_on:
            refused = parse.checker_refused(text)
            unseen = [p for p in sparse_on if not self.fresh(
                p[:-2] + '.o.sparse', start)]
            if refused or unseen:
                raise InfraFailure('%s: sparse did not run on %s (log %s)%s'
                                   % (label, ', '.join(unseen[:5]) or
                                      'everything', log,
                                      ''.join('\n' + ln for ln in refused)))
        return self.log_findings(text)

    def fresh(self, record, since):
        path = os.path.join(self.out, record)
        return os.path.exists(path) and os.path.getmtime(path) >= since - 1

    def log_findings(self, text):
        """{object or '': lines} of the log's findings that no record holds
        (the records' lines are in the log too)."""
        recorded = set()
        for root, _, names in os.walk(self.out):
            for name in names:
                if name.endswith(('.o.stderr', '.o.sparse')):
                    recorded.update(parse.compiler_findings_lines(
                        read_text(os.path.join(root, name))))
        found = {}
        for line in parse.compiler_findings_lines(text):
            if line in recorded or line.startswith('Warning: '):
                continue        # a record's, or kernel-doc's
            m = re.match(r'^(\S+\.o): ', line)
            obj = m.group(1) if m else ''
            found.setdefault(obj, set()).add(self.normal(line))
        return found

    def normal(self, line):
        for root in self.roots:
            line = line.replace(root.rstrip('/') + '/', '')
        return re.sub(r':\d+(:\d+)?', '', line).strip()

    def findings(self, objects):
        """{object: set of lines} from the records beside each object."""
        found = {}
        for obj in objects:
            lines = set()
            for suffix in ('stderr', 'sparse'):
                path = os.path.join(self.out, obj + '.' + suffix)
                if os.path.exists(path):
                    lines |= {self.normal(ln) for ln in
                              parse.compiler_findings_lines(read_text(path))}
            if lines:
                found[obj] = lines
        return found

    def forget(self, objects):
        """Remove objects and their records, so that the next make compiles
        them and records their findings again (ccache replays them)."""
        for obj in objects:
            for suffix in ('', '.stderr', '.sparse'):
                path = os.path.join(self.out, obj + suffix)
                if os.path.exists(path):
                    os.unlink(path)

    def drop_sparse_records(self):
        """Remove every sparse record, so that only the next runs' are
        read."""
        for root, _, names in os.walk(self.out):
            for name in names:
                if name.endswith('.o.sparse'):
                    os.unlink(os.path.join(root, name))

    def save_known(self, objects):
        """Keep the objects the last patch builds, for the headers check
        (some are removed again after being compiled at the base)."""
        with open(os.path.join(self.out, '.known-objects.json'), 'w',
                  encoding='utf-8') as f:
            json.dump(sorted(objects), f)

    def known(self):
        path = os.path.join(self.out, '.known-objects.json')
        if not os.path.exists(path):
            return set()
        with open(path, encoding='utf-8') as f:
            return set(json.load(f))

    def objects(self):
        """The objects compiled from a source in the tree (not linked)."""
        found = set()
        for root, _, names in os.walk(self.out):
            for name in names:
                if name.endswith('.o.stderr'):
                    found.add(os.path.relpath(os.path.join(root, name[:-7]),
                                              self.out))
        return {o for o in found
                if os.path.exists(os.path.join(self.out, o))}

    def unexported(self, dirs):
        """(module, symbol): a module built in dirs uses a symbol that code
        built there defines and nobody exports (modpost's "undefined!",
        found with nm without linking vmlinux)."""
        modules = []
        for d in dirs:
            order = os.path.join(self.out, d, 'modules.order')
            if os.path.exists(order):
                modules += [os.path.join(self.out, ln.strip()) for ln in
                            open(order, encoding='utf-8') if ln.strip()]
        builtin = [os.path.join(self.out, d, 'built-in.a') for d in dirs
                   if os.path.exists(os.path.join(self.out, d, 'built-in.a'))]
        defined = {m: self.symbols([m], True) for m in modules}
        everywhere = self.symbols(builtin, True).union(*defined.values())
        if modules and not everywhere:
            raise InfraFailure('nm found no symbol in %d modules' %
                               len(modules))
        exported = {s[len('__export_symbol_'):] for s in everywhere
                    if s.startswith('__export_symbol_')}
        missing = set()
        for mod in modules:
            for sym in self.symbols([mod], False):
                if sym in everywhere and sym not in exported:
                    missing.add((os.path.relpath(mod, self.out), sym))
        return missing

    def symbols(self, paths, defined):
        if not paths:
            return set()
        _, out = run([kbuild.ARCHES[self.arch].cross + 'nm',
                      '--defined-only' if defined else '--undefined-only']
                     + paths)
        found = set()
        for line in out.splitlines():
            fields = line.split()
            if len(fields) < 2 or len(fields[-2]) != 1:
                continue
            # EXPORT_SYMBOL() leaves a local __export_symbol_<name>.
            if fields[-2].isupper() or \
                    fields[-1].startswith('__export_symbol_'):
                found.add(fields[-1])
        return found
