# SPDX-License-Identifier: GPL-2.0
"""Verdicts kept by content.

A check whose inputs (the trees, kernels, configurations, tools and the
check's own code, hashed into a key) are the same as in an earlier run
takes that run's verdict instead of doing the work again, and says so.
Each store is one JSON file, written atomically.
"""

import hashlib
import json
import os
import threading

from common import CACHE, write_atomic

STORES = os.path.join(CACHE, 'verdicts')


def key(*parts):
    """A key from JSON-able parts."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()
                          ).hexdigest()


def file_digest(*paths):
    """The names and contents of files (not where they are: a fresh clone
    of the workbench gets the same digest), as one digest."""
    h = hashlib.sha256()
    for path in paths:
        h.update(os.path.basename(path).encode() + b'\0')
        if path and os.path.exists(path):
            with open(path, 'rb') as f:
                h.update(f.read())
        h.update(b'\0')
    return h.hexdigest()


def tree_digest(top):
    """The names and contents of every file under a directory (not their
    times), as one digest."""
    h = hashlib.sha256()
    for root, dirs, names in os.walk(top):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            h.update(os.path.relpath(path, top).encode() + b'\0')
            if os.path.islink(path):
                h.update(os.readlink(path).encode())
            elif os.path.isfile(path):
                with open(path, 'rb') as f:
                    h.update(f.read())
            h.update(b'\0')
    return h.hexdigest()


class Store:
    """The verdicts of one check, or of one build tree, by key."""

    def __init__(self, name, path=None):
        self.path = path or os.path.join(STORES, name + '.json')
        self.data = {}
        self.lock = threading.Lock()
        if os.path.exists(self.path):
            with open(self.path, encoding='utf-8') as f:
                self.data = json.load(f)

    def get(self, k):
        return self.data.get(k)

    def put(self, k, value):
        with self.lock:
            self.data[k] = value
            write_atomic(self.path, json.dumps(self.data))
