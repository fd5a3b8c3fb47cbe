# SPDX-License-Identifier: GPL-2.0
"""Boot a guest under QEMU and keep its console.

QEMU runs without KVM.  It is stopped once the guest printed its last
marker (not every emulated machine can power off), 3 s after a crash report
goes quiet (a crashed smdkc210 halts instead of rebooting), or when the
guest's timeout runs out.
"""

import os
import re
import select
import subprocess
import time
from dataclasses import dataclass

from common import LOGS, InfraFailure, read_text, say
from parse import MARK

CRASH = re.compile(rb'Internal error: Oops|Kernel panic - not syncing|'
                   rb'general protection fault')
CRASH_GRACE = 3


@dataclass
class Boot:
    text: str           # the console
    log: str            # where it is kept
    seconds: float
    stop: str           # 'done', 'crash', 'timeout' or 'exit <status>'


def command(guest, image, initramfs, dtb, append=''):
    line = 'console=%s panic=-1 oops=panic %s %s' % (guest.console,
                                                     guest.append, append)
    cmd = list(guest.qemu) + ['-nographic', '-no-reboot', '-kernel', image,
                              '-append', ' '.join(line.split())]
    return cmd + (['-initrd', initramfs] if initramfs else []) + \
        (['-dtb', dtb] if dtb else [])


def boot(guest, tag, image, initramfs, dtb=None, append='', timeout=None,
         until=None):
    """Boot and read the console until the guest is done: its /init's last
    marker, or until (bytes), or QEMU's exit; tag names the console log
    (logs/guest-<guest>-<tag>-console.log); append is more command line."""
    log = os.path.join(LOGS, 'guest-%s-%s-console.log' % (guest.name, tag))
    os.makedirs(LOGS, exist_ok=True)
    cmd = command(guest, image, initramfs, dtb, append)
    timeout = timeout or guest.timeout
    say('    %s %s: booting, console %s' % (guest.name, tag, log))
    done = until or ('%s done' % MARK).encode()
    start = time.monotonic()
    stop = 'timeout'
    crashed = None
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL,
                                env=dict(os.environ, QEMU_AUDIO_DRV='none'))
    except FileNotFoundError as err:
        raise InfraFailure('%s is not installed: run "sh bench/setup" as '
                           'root' % cmd[0]) from err
    with open(log, 'wb') as out, proc:
        os.set_blocking(proc.stdout.fileno(), False)
        seen = b''
        while time.monotonic() - start < timeout:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            chunk = proc.stdout.read() if ready else b''
            if chunk:
                out.write(chunk)
                seen = (seen + chunk)[-4096:]
                if done in seen:
                    stop = 'done'
                    break
                if crashed is None and CRASH.search(seen):
                    crashed = time.monotonic()
            elif ready or proc.poll() is not None:
                proc.wait()
                stop = 'exit %s' % proc.returncode
                break
            if crashed is not None and not chunk and \
                    time.monotonic() - crashed > CRASH_GRACE:
                stop = 'crash'
                break
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    took = time.monotonic() - start
    say('    %s %s: %s after %.0f s' % (guest.name, tag, stop, took))
    return Boot(read_text(log), log, took, stop)
