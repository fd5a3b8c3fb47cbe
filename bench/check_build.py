# SPDX-License-Identifier: GPL-2.0
"""Build checks: every patch builds on x86_64, arm and arm64 with W=1 and
sparse and adds no warning; every includer of a changed header is built.

One build tree per arch in the cache, configured from configs/<arch>.config
(allnoconfig plus the fragment), is reused for the base and every patch:
the check tree is checked out at each commit in turn and `make` rebuilds
what changed (ccache keeps unchanged objects cheap).  The whole kernel and
its modules are built, so modpost checks exports and Kconfig dependencies.
"""

import hashlib
import json
import os
import re
import shutil

import tools
from common import CACHE, CONFIGS, Failure, git, run, say, tail_file

ARCHES = {
    'x86_64': ('x86_64', ''),
    'arm': ('arm', 'arm-linux-gnueabihf-'),
    'arm64': ('arm64', 'aarch64-linux-gnu-'),
}
LOGS = os.path.join(CACHE, 'logs')
WARNING = re.compile(r'(warning|error)\b', re.I)
NOISE = re.compile(r'^(make(\[\d+\])?: |\s+[A-Z0-9_]+\s+\S|  [A-Z]+ )')


def build_dir(arch):
    return os.path.join(CACHE, 'build', arch)


def make_cmd(arch, tree, *targets):
    karch, cross = ARCHES[arch]
    return ['make', '-C', tree, '-j%d' % os.cpu_count(),
            'O=' + build_dir(arch), 'ARCH=' + karch,
            'CROSS_COMPILE=' + cross, 'CC=ccache %sgcc' % cross,
            'HOSTCC=ccache gcc'] + list(targets)


def env():
    return {'CCACHE_DIR': os.path.join(CACHE, 'ccache'),
            'CCACHE_MAXSIZE': '20G', 'KBUILD_BUILD_TIMESTAMP': '@0'}


def lost_options(frag, config_file):
    """The CONFIG_ lines of a fragment that the resulting .config lacks."""
    with open(config_file, encoding='utf-8') as f:
        config = set(f.read().splitlines())
    with open(frag, encoding='utf-8') as f:
        return [line for line in f.read().splitlines()
                if line.startswith('CONFIG_') and line not in config]


def configure(arch, tree):
    """allnoconfig + fragment; fail if the fragment was not honoured."""
    frag = os.path.join(CONFIGS, arch + '.config')
    out = build_dir(arch)
    os.makedirs(out, exist_ok=True)
    digest = hashlib.sha256(open(frag, 'rb').read()).hexdigest()
    stamp = os.path.join(out, '.fragment-sha256')
    if os.path.exists(os.path.join(out, '.config')) and \
            os.path.exists(stamp) and open(stamp).read() == digest:
        return digest
    run(make_cmd(arch, tree, 'allnoconfig', 'KCONFIG_ALLCONFIG=' + frag),
        env=env())
    lost = lost_options(frag, os.path.join(out, '.config'))
    if lost:
        raise Failure('configs/%s.config asks for options Kconfig did not '
                      'keep (missing dependency?): %s' % (arch,
                                                           ', '.join(lost)))
    with open(stamp, 'w') as f:
        f.write(digest)
    return digest


def normalise(line, tree):
    """A warning without line numbers or build paths, to compare."""
    line = line.replace(tree + '/', '')
    line = re.sub(re.escape(os.path.join(CACHE, 'build')) + r'/[^/]+/', '',
                  line)
    line = re.sub(r':\d+(:\d+)?', '', line)
    return line.strip()


def warnings_of(text, tree):
    return {normalise(ln, tree) for ln in text.splitlines()
            if WARNING.search(ln) and not NOISE.match(ln)}


def build(arch, tree, label):
    """make W=1 the whole tree; return the warnings of what was compiled."""
    log = os.path.join(LOGS, '%s-%s.log' % (arch, label))
    os.makedirs(LOGS, exist_ok=True)
    code, _ = run(make_cmd(arch, tree, 'W=1'), env=env(), check=False,
                  log=log)
    text = open(log, encoding='utf-8', errors='replace').read()
    if code:
        errors = [ln for ln in text.splitlines() if 'error' in ln.lower()]
        raise Failure('%s: build failed on %s (log %s):\n%s' % (
            label, arch, log, '\n'.join(errors[:20]) or tail_file(log)))
    return warnings_of(text, tree)


def sparse(arch, tree, objects, label):
    """Run sparse (C=2: whether rebuilt or not) on the given objects."""
    if not objects:
        return set()
    log = os.path.join(LOGS, '%s-%s-sparse.log' % (arch, label))
    code, _ = run(make_cmd(arch, tree, 'W=1', 'C=2',
                           'CHECK=' + tools.sparse(), *sorted(objects)),
                  env=env(), check=False, log=log)
    if code:
        raise Failure('%s: sparse run failed on %s (log %s):\n%s' % (
            label, arch, log, tail_file(log)))
    text = open(log, encoding='utf-8', errors='replace').read()
    return warnings_of(text, tree)


def sparse_set(arch, tree, old, new):
    """Objects sparse looks at: C files changed from old to new, and the
    built includers of headers whose code changed from old to new."""
    objs = set()
    for path in git(tree, 'diff', '--name-only', old, new).split():
        if path.startswith('tools/'):
            continue
        if path.endswith('.c'):
            objs.add(path)
        elif path.endswith('.h') and code_changed(tree, path, old, new):
            objs.update(includers(tree, path))
    return {p[:-2] + '.o' for p in objs
            if os.path.exists(os.path.join(build_dir(arch), p[:-2] + '.o'))}


def toolchain(arch):
    """What, besides the trees, decides a step's warnings: the compiler
    and sparse, by version."""
    _, cross = ARCHES[arch]
    _, gcc = run([cross + 'gcc', '--version'], check=False)
    _, sp = run([tools.sparse(), '--version'], check=False)
    return [(gcc or '').split('\n')[0], (sp or '').strip()]


def step_key(common, old_tree, new_tree):
    """A bisect step, by content: the tree before and after the patch (the
    sparse set is their difference), the base, the fragment, the tools."""
    return hashlib.sha256(json.dumps(common + [old_tree, new_tree]).encode()
                          ).hexdigest()


def unchanged_run(arch, tree, ctx, common):
    """The verdicts of the last run, if every step of this one is the same
    and the build tree still holds the last step (None otherwise)."""
    record = os.path.join(build_dir(arch), '.bisect-steps.json')
    if not os.path.exists(record):
        return None
    saved = json.load(open(record))
    prev = git(tree, 'rev-parse', 'base^{tree}')
    verdicts = []
    for sha, name in ctx.commits:
        now = git(tree, 'rev-parse', sha + '^{tree}')
        verdict = saved['steps'].get(step_key(common, prev, now))
        if verdict is None:
            return None
        verdicts.append((name, verdict))
        prev = now
    if saved.get('built') != prev:
        return None
    return verdicts


def save_steps(arch, steps, built):
    record = os.path.join(build_dir(arch), '.bisect-steps.json')
    with open(record, 'w') as f:
        json.dump({'steps': steps, 'built': built}, f)


def bisect(arch):
    def check(ctx):
        tree = ctx.tree
        head = git(tree, 'rev-parse', 'HEAD')
        base_sha = git(tree, 'rev-parse', 'base')
        frag = os.path.join(CONFIGS, arch + '.config')
        key = [base_sha, hashlib.sha256(open(frag, 'rb').read()).hexdigest()]
        common = key + toolchain(arch)
        verdicts = unchanged_run(arch, tree, ctx, common)
        if verdicts is not None:
            # Same base, fragment, tools and trees as the last run, whose
            # build tree is still at the last patch: its verdicts stand.
            problems = []
            for name, verdict in verdicts:
                say('    %s: unchanged since the last run: builds, sparse on '
                    '%d objects, %s' % (name, verdict['objs'],
                                        '%d new warnings' % len(verdict['new'])
                                        if verdict['new'] else
                                        'no new warning'))
                problems += ['%s: %s' % (name, w) for w in verdict['new']]
            return problems
        known = os.path.join(build_dir(arch), '.base-warnings.json')
        baseline = None
        if os.path.exists(known):
            saved = json.load(open(known))
            if saved.get('key') == key:
                baseline = set(saved['warnings'])
        if baseline is None:
            # The warnings of the base are only known completely from a
            # build that compiles everything: start from an empty tree
            # (ccache keeps this cheap after the first time).
            shutil.rmtree(build_dir(arch), ignore_errors=True)
            baseline = set()
        configure(arch, tree)
        problems = []
        try:
            git(tree, 'checkout', '-q', '--detach', 'base')
            baseline |= build(arch, tree, 'base')
            with open(known, 'w') as f:
                json.dump({'key': key,
                           'warnings': sorted(baseline)}, f)
            # sparse on the base versions of everything the series touches
            # that exists there, for comparison.
            base_objs = {o for o in sparse_set(arch, tree, 'base', head)
                         if os.path.exists(os.path.join(tree, o[:-2] + '.c'))}
            sparse_base = sparse(arch, tree, base_objs, 'base')
            say('    base: builds; %d W=1 warnings known, sparse on %d '
                'objects: %d warnings' % (len(baseline), len(base_objs),
                                          len(sparse_base)))
            prev = 'base'
            prev_tree = git(tree, 'rev-parse', 'base^{tree}')
            steps = {}
            save_steps(arch, steps, None)
            for sha, name in ctx.commits:
                git(tree, 'checkout', '-q', '--detach', sha)
                try:
                    got = build(arch, tree, name[:4])
                except Failure as err:
                    raise Failure('%s: %s' % (name, err)) from err
                objs = sparse_set(arch, tree, prev, sha)
                prev = sha
                got |= sparse(arch, tree, objs, name[:4])
                new = sorted(got - baseline - sparse_base)
                say('    %s: builds, sparse on %d objects, %s' % (
                    name, len(objs), '%d new warnings' % len(new)
                    if new else 'no new warning'))
                problems += ['%s: %s' % (name, w) for w in new]
                now = git(tree, 'rev-parse', sha + '^{tree}')
                steps[step_key(common, prev_tree, now)] = {
                    'objs': len(objs), 'new': new}
                prev_tree = now
            save_steps(arch, steps, prev_tree)
        finally:
            git(tree, 'checkout', '-q', '--detach', head)
        return problems
    return check


def code_changed(tree, path, old='base', new='HEAD'):
    """True if a header's code changed, not only its comments."""
    def strip(rev):
        _, text = run(['git', '-C', tree, 'show', '%s:%s' % (rev, path)],
                      check=False)
        text = re.sub(r'/\*.*?\*/', '', text or '', flags=re.S)
        text = re.sub(r'//[^\n]*', '', text)
        return [ln.strip() for ln in text.splitlines() if ln.strip()]
    return strip(old) != strip(new)


def includers(tree, header):
    """The .c files that include a header directly."""
    if header.startswith('include/'):
        pattern = '#include <%s>' % header[len('include/'):]
        where = ['.']
    else:
        pattern = '#include "%s"' % os.path.basename(header)
        where = [os.path.dirname(header)]
    code, out = run(['git', '-C', tree, 'grep', '-l', '-F', pattern, '--'] +
                    ['%s/*.c' % w for w in where], check=False)
    return out.split() if code == 0 else []


# A change to a DMA-layer header is checked on the DMA layer itself and on
# the GEM DMA helpers and drivers, not on each of its thousands of includers.
DMA_LAYER = re.compile(r'^include/linux/dma-[\w-]+\.h$')


def required_files(tree, header):
    if DMA_LAYER.match(header):
        _, out = run(['git', '-C', tree, 'ls-files', 'kernel/dma/*.c'])
        files = set(out.split())
        files.add('drivers/gpu/drm/drm_gem_dma_helper.c')
        files.update(includers(tree, 'include/drm/drm_gem_dma_helper.h'))
        return sorted(files)
    return includers(tree, header)


FALLBACK = 'x86_64-allmod'


def compile_fallback(tree, sources):
    """Compile single objects in an allmodconfig x86_64 tree.

    Includers that no arch configuration builds (other DRM drivers, say)
    are compiled once as single targets; kbuild compiles a single target
    whether or not the configuration enables it.  Returns the sources
    that failed, with the error lines.
    """
    out = os.path.join(CACHE, 'build', FALLBACK)
    os.makedirs(out, exist_ok=True)
    cmd = ['make', '-C', tree, '-j%d' % os.cpu_count(), 'O=' + out,
           'CC=ccache gcc', 'HOSTCC=ccache gcc']
    if not os.path.exists(os.path.join(out, '.config')):
        run(cmd + ['allmodconfig'], env=env())
    log = os.path.join(LOGS, FALLBACK + '-prepare.log')
    code, _ = run(cmd + ['prepare'], env=env(), check=False, log=log)
    if code:
        return {'(prepare)': tail_file(log).splitlines()}
    failed = {}
    for src in sources:
        code, text = run(cmd + ['W=1', src[:-2] + '.o'], env=env(),
                         check=False)
        if code:
            failed[src] = [ln for ln in text.splitlines()
                           if 'error' in ln.lower()][:5]
    return failed


def headers(ctx):
    tree = ctx.tree
    changed = [p for p in git(tree, 'diff', '--name-only', 'base',
                              'HEAD').split()
               if p.endswith('.h') and not p.startswith('tools/') and
               code_changed(tree, p)]
    if not changed:
        say('    no header\'s code changes')
        return []
    problems = []
    for header in changed:
        files = required_files(tree, header)
        built = {a: [] for a in ARCHES}
        for src in files:
            obj = src[:-2] + '.o'
            for arch in ARCHES:
                if os.path.exists(os.path.join(build_dir(arch), obj)):
                    built[arch].append(src)
        everywhere = set().union(*built.values())
        rest = [src for src in files if src not in everywhere]
        failed = compile_fallback(tree, rest) if rest else {}
        say('    %s: %d files; built on %s; %d more compiled alone in an '
            'allmodconfig x86_64 tree, %d failed' % (
                header, len(files), ', '.join('%s %d' % (a, len(b))
                                               for a, b in built.items()),
                len(rest), len(failed)))
        for src, lines in sorted(failed.items()):
            problems.append('%s (needs %s) was built nowhere and does not '
                            'compile alone:' % (src, header))
            problems += ['  ' + ln for ln in lines]
    return problems
