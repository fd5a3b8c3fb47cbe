# SPDX-License-Identifier: GPL-2.0
"""Build checks: every patch builds on x86_64, arm and arm64 with W=1 and
sparse and adds no warning; every includer of a changed header is built.

One build tree per arch and tier in the cache, configured from
configs/<arch>.config (allnoconfig plus the fragment), is reused for the
base and every patch: the check tree is checked out at each commit in
turn and `make` rebuilds what changed (ccache keeps unchanged objects
cheap).

The full tier builds the whole kernel and its modules at every step, so
modpost checks exports and Kconfig dependencies (build/<arch>).  The CI
tier builds, at every step, the subsystems the series touches (kbuild's
directory targets: drivers/gpu/drm, kernel/dma and, when a DMA-layer
header changes, drivers/iommu and the arch's mm), modules included, and
checks that every symbol a module there takes from those subsystems is
exported (build/<arch>-subsys).
"""

import hashlib
import json
import os
import re
import shutil
import time

import tools
from common import CACHE, CONFIGS, Failure, git, run, say, tail_file

ARCHES = {
    'x86_64': ('x86_64', ''),
    'arm': ('arm', 'arm-linux-gnueabihf-'),
    'arm64': ('arm64', 'aarch64-linux-gnu-'),
}
LOGS = os.path.join(CACHE, 'logs')
WARNING = re.compile(r'(warning|error)\b', re.I)
# A change to a DMA-layer header is checked on the DMA layer itself and on
# the GEM DMA helpers and drivers, not on each of its thousands of
# includers (the headers check; the CI tier's builds add the IOMMU drivers
# and the arch's DMA code).
DMA_LAYER = re.compile(r'^include/linux/dma-[\w-]+\.h$')
NOISE = re.compile(r'^(make(\[\d+\])?: |\s+[A-Z0-9_]+\s+\S|  [A-Z]+ )')


def build_dir(arch, full=True):
    """The build tree of the full tier's whole-kernel builds, or of the CI
    tier's subsystem builds."""
    return os.path.join(CACHE, 'build', arch if full else arch + '-subsys')


def make_cmd(arch, tree, *targets, out=None):
    karch, cross = ARCHES[arch]
    return ['make', '-C', tree, '-j%d' % os.cpu_count(),
            'O=' + (out or build_dir(arch)), 'ARCH=' + karch,
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


def configure(arch, tree, out):
    """allnoconfig + fragment; fail if the fragment was not honoured."""
    frag = os.path.join(CONFIGS, arch + '.config')
    os.makedirs(out, exist_ok=True)
    digest = hashlib.sha256(open(frag, 'rb').read()).hexdigest()
    stamp = os.path.join(out, '.fragment-sha256')
    if os.path.exists(os.path.join(out, '.config')) and \
            os.path.exists(stamp) and open(stamp).read() == digest:
        return digest
    run(make_cmd(arch, tree, 'allnoconfig', 'KCONFIG_ALLCONFIG=' + frag,
                 out=out), env=env())
    lost = lost_options(frag, os.path.join(out, '.config'))
    if lost:
        raise Failure('configs/%s.config asks for options Kconfig did not '
                      'keep (missing dependency?): %s' % (arch,
                                                           ', '.join(lost)))
    with open(stamp, 'w') as f:
        f.write(digest)
    return digest


SET = re.compile(r'^(?:# )?(CONFIG_\w+)[= ]')


def sync_config(arch, tree, out):
    """Before a step: apply the fragment again and let Kconfig settle
    (olddefconfig), so that an option the series adds is set as the
    fragment asks once the checked-out commit has it, and other new options
    take their defaults instead of a prompt that reads end of file."""
    frag = os.path.join(CONFIGS, arch + '.config')
    config_file = os.path.join(out, '.config')
    wanted = {}
    with open(frag, encoding='utf-8') as f:
        for line in f.read().splitlines():
            m = SET.match(line)
            if m:
                wanted[m.group(1)] = line
    with open(config_file, encoding='utf-8') as f:
        lines = f.read().splitlines()
    kept = []
    for line in lines:
        m = SET.match(line)
        kept.append(wanted.pop(m.group(1)) if m and m.group(1) in wanted
                    else line)
    with open(config_file, 'w', encoding='utf-8') as f:
        f.write('\n'.join(kept + list(wanted.values())) + '\n')
    run(make_cmd(arch, tree, 'olddefconfig', out=out), env=env())


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


def build(arch, tree, label, out, dirs=()):
    """make W=1 the whole tree, or only the given directories; return the
    warnings of what was compiled."""
    log = os.path.join(LOGS, '%s-%s%s.log' % (arch, '' if not dirs else
                                              'subsys-', label))
    os.makedirs(LOGS, exist_ok=True)
    code, _ = run(make_cmd(arch, tree, 'W=1', *dirs, out=out), env=env(),
                  check=False, log=log)
    text = open(log, encoding='utf-8', errors='replace').read()
    if code:
        errors = [ln for ln in text.splitlines() if 'error' in ln.lower()]
        raise Failure('%s: build failed on %s (log %s):\n%s' % (
            label, arch, log, '\n'.join(errors[:20]) or tail_file(log)))
    return warnings_of(text, tree)


def sparse(arch, tree, objects, label, out):
    """Run sparse (C=2: whether rebuilt or not) on the given objects."""
    if not objects:
        return set()
    log = os.path.join(LOGS, '%s-%s-sparse.log' % (arch, label))
    code, _ = run(make_cmd(arch, tree, 'W=1', 'C=2',
                           'CHECK=' + tools.sparse(), *sorted(objects),
                           out=out),
                  env=env(), check=False, log=log)
    if code:
        raise Failure('%s: sparse run failed on %s (log %s):\n%s' % (
            label, arch, log, tail_file(log)))
    text = open(log, encoding='utf-8', errors='replace').read()
    return warnings_of(text, tree)


def sparse_set(tree, old, new, out):
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
            if os.path.exists(os.path.join(out, p[:-2] + '.o'))}


def toolchain(arch):
    """What, besides the trees, decides a step's warnings: the compiler
    and sparse, by version, and this check's own code."""
    _, cross = ARCHES[arch]
    _, gcc = run([cross + 'gcc', '--version'], check=False)
    _, sp = run([tools.sparse(), '--version'], check=False)
    with open(__file__, 'rb') as f:
        checker = hashlib.sha256(f.read()).hexdigest()
    return [(gcc or '').split('\n')[0], (sp or '').strip(), checker]


def step_key(common, old_tree, new_tree):
    """A bisect step, by content: the tree before and after the patch (the
    sparse set is their difference), the base, the fragment, the tools."""
    return hashlib.sha256(json.dumps(common + [old_tree, new_tree]).encode()
                          ).hexdigest()


def unchanged_run(tree, ctx, common, out):
    """The verdicts of the last run, if every step of this one is the same
    and the build tree still holds the last step (None otherwise)."""
    record = os.path.join(out, '.bisect-steps.json')
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


def save_steps(out, steps, built):
    record = os.path.join(out, '.bisect-steps.json')
    with open(record, 'w') as f:
        json.dump({'steps': steps, 'built': built}, f)


# What the CI tier builds besides drivers/gpu/drm and kernel/dma when a
# DMA-layer header changes: the IOMMU drivers (dma-iommu) and the arch's
# DMA code.
ARCH_DMA = {'x86_64': [], 'arm': ['arch/arm/mm/'], 'arm64': ['arch/arm64/mm/']}


def subsystems(arch, tree):
    """The directories the CI tier builds at every step: drivers/gpu/drm,
    kernel/dma, the directory of anything else the series touches outside
    include/ and tools/, and for a DMA-layer header the IOMMU drivers and
    the arch's DMA code."""
    dirs = {'drivers/gpu/drm/', 'kernel/dma/'}
    for path in git(tree, 'diff', '--name-only', 'base', 'HEAD').split():
        if DMA_LAYER.match(path):
            dirs.update(['drivers/iommu/'] + ARCH_DMA[arch])
        if '/' not in path or path.split('/')[0] in (
                'include', 'tools', 'Documentation', 'scripts'):
            continue
        dirs.add(os.path.dirname(path) + '/')
    return sorted(d for d in dirs
                  if not any(d != o and d.startswith(o) for o in dirs))


def symbols(arch, paths, defined):
    """Symbols of objects or archives: the global ones they define and the
    names they export, or the ones they need."""
    if not paths:
        return set()
    _, out = run([ARCHES[arch][1] + 'nm', '--defined-only' if defined else
                  '--undefined-only'] + paths, check=False)
    found = set()
    for line in (out or '').splitlines():
        fields = line.split()
        if len(fields) < 2 or len(fields[-2]) != 1:
            continue
        # EXPORT_SYMBOL() leaves a local __export_symbol_<name>.
        if fields[-2].isupper() or fields[-1].startswith('__export_symbol_'):
            found.add(fields[-1])
    return found


def unexported(arch, out, dirs):
    """(module, symbol) pairs: a module built in dirs uses a symbol that
    built-in code or another module in dirs defines, and nobody exports it
    (modpost's "undefined!" error, found without linking vmlinux)."""
    modules = []
    for d in dirs:
        order = os.path.join(out, d, 'modules.order')
        if os.path.exists(order):
            modules += [os.path.join(out, ln.strip()) for ln in
                        open(order, encoding='utf-8') if ln.strip()]
    builtin = [os.path.join(out, d, 'built-in.a') for d in dirs
               if os.path.exists(os.path.join(out, d, 'built-in.a'))]
    defined = {m: symbols(arch, [m], True) for m in modules}
    everywhere = symbols(arch, builtin, True).union(*defined.values())
    exported = {sym[len('__export_symbol_'):] for sym in everywhere
                if sym.startswith('__export_symbol_')}
    missing = set()
    for mod in modules:
        for sym in symbols(arch, [mod], False):
            if sym in everywhere and sym not in exported:
                missing.add((os.path.relpath(mod, out), sym))
    return missing


def bisect(arch):
    def check(ctx):
        tree = ctx.tree
        full = ctx.full
        out = build_dir(arch, full)
        dirs = [] if full else subsystems(arch, tree)
        head = git(tree, 'rev-parse', 'HEAD')
        base_sha = git(tree, 'rev-parse', 'base')
        frag = os.path.join(CONFIGS, arch + '.config')
        key = [base_sha, hashlib.sha256(open(frag, 'rb').read()).hexdigest(),
               dirs]
        common = key + toolchain(arch)
        what = 'whole kernel and modules' if full else \
            'subsystems %s' % ' '.join(dirs)
        say('    builds: %s, in %s' % (what, out))
        verdicts = unchanged_run(tree, ctx, common, out)
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
        known = os.path.join(out, '.base-warnings.json')
        baseline = None
        if os.path.exists(known):
            saved = json.load(open(known))
            if saved.get('key') == key:
                baseline = set(saved['warnings'])
        if baseline is None:
            # The warnings of the base are only known completely from a
            # build that compiles everything: start from an empty tree
            # (ccache keeps this cheap after the first time).
            shutil.rmtree(out, ignore_errors=True)
            baseline = set()
        configure(arch, tree, out)
        problems = []
        try:
            git(tree, 'checkout', '-q', '--detach', 'base')
            t0 = time.monotonic()
            sync_config(arch, tree, out)
            baseline |= build(arch, tree, 'base', out, dirs)
            with open(known, 'w') as f:
                json.dump({'key': key,
                           'warnings': sorted(baseline)}, f)
            # sparse on the base versions of everything the series touches
            # that exists there, for comparison.
            base_objs = {o for o in sparse_set(tree, 'base', head, out)
                         if os.path.exists(os.path.join(tree, o[:-2] + '.c'))}
            sparse_base = sparse(arch, tree, base_objs, 'base', out)
            base_missing = unexported(arch, out, dirs) if dirs else set()
            say('    base: builds; %d W=1 warnings known, sparse on %d '
                'objects: %d warnings%s (%.0f s)' % (
                    len(baseline), len(base_objs), len(sparse_base),
                    '; %d module symbols unexported' % len(base_missing)
                    if dirs else '', time.monotonic() - t0))
            prev = 'base'
            prev_tree = git(tree, 'rev-parse', 'base^{tree}')
            steps = {}
            save_steps(out, steps, None)
            for sha, name in ctx.commits:
                t0 = time.monotonic()
                git(tree, 'checkout', '-q', '--detach', sha)
                try:
                    sync_config(arch, tree, out)
                    got = build(arch, tree, name[:4], out, dirs)
                except Failure as err:
                    raise Failure('%s: %s' % (name, err)) from err
                objs = sparse_set(tree, prev, sha, out)
                prev = sha
                got |= sparse(arch, tree, objs, name[:4], out)
                new = sorted(got - baseline - sparse_base)
                if dirs:
                    new += ['%s uses %s, which is not exported' % m
                            for m in sorted(unexported(arch, out, dirs) -
                                            base_missing)]
                say('    %s: builds, sparse on %d objects, %s (%.0f s)' % (
                    name, len(objs), '%d new warnings' % len(new)
                    if new else 'no new warning', time.monotonic() - t0))
                problems += ['%s: %s' % (name, w) for w in new]
                now = git(tree, 'rev-parse', sha + '^{tree}')
                steps[step_key(common, prev_tree, now)] = {
                    'objs': len(objs), 'new': new}
                prev_tree = now
            save_steps(out, steps, prev_tree)
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
                if os.path.exists(os.path.join(build_dir(arch, ctx.full),
                                               obj)):
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
