#!/usr/bin/env python3
"""The floor plan of ARCHITECTURE.md, checked on the sources.

- the core's folders form layers: a file includes only from its own folder
  or from folders below it in LAYERS;
- no include cycle between modules (a module is x.hpp with x.cpp), anywhere
  in first-party code;
- the core includes nothing from the programs' or shared libraries' folders;
- no core folder holds more than MAX_FILES sources or MAX_FILES headers.
"""
import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORE_SRC = os.path.join(ROOT, "common", "src")
CORE_INCLUDE = os.path.join(ROOT, "common", "include", "otpgate", "core")

# Lowest first. Keep in step with ARCHITECTURE.md and common/CMakeLists.txt.
LAYERS = ["primitives", "system", "transport", "database", "delivery", "state", "policy",
          "config", "enrollment", "storage", "login"]
PROGRAM_FOLDERS = ["terminal", "phone", "pam_module", "enroll_tool", "verify_helper"]
MAX_FILES = 15


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def first_party_files():
    """(folder key, path) of every first-party C++ file; the key is the core
    layer for core files and the top-level folder for the others."""
    for layer in LAYERS:
        for base in (os.path.join(CORE_SRC, layer), os.path.join(CORE_INCLUDE, layer)):
            for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
                if name.endswith((".cpp", ".hpp")):
                    yield layer, os.path.join(base, name)
    for folder in PROGRAM_FOLDERS:
        base = os.path.join(ROOT, folder)
        for name in sorted(os.listdir(base)):
            if name.endswith((".cpp", ".hpp")):
                yield folder, os.path.join(base, name)


def resolve(including, target):
    """The file an include names, or None for a system or foreign header."""
    candidates = [os.path.join(os.path.dirname(including), target),
                  os.path.join(ROOT, "common", "include", target)]
    candidates += [os.path.join(ROOT, folder, target) for folder in PROGRAM_FOLDERS]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return os.path.normpath(candidate)
    return None


def folder_of(path):
    rel = os.path.relpath(path, ROOT).split(os.sep)
    if rel[0] == "common":
        return rel[-2]
    return rel[0]


def module_of(path):
    return (folder_of(path), os.path.splitext(os.path.basename(path))[0])


class Layering(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = list(first_party_files())
        cls.edges = []  # (including path, included path)
        for _, path in cls.files:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for target in INCLUDE.findall(text):
                resolved = resolve(path, target)
                if resolved is not None:
                    cls.edges.append((path, resolved))

    def test_every_core_file_is_in_a_layer(self):
        for base in (CORE_SRC, CORE_INCLUDE):
            for entry in os.listdir(base):
                self.assertIn(entry, LAYERS, f"{base}/{entry} is not a layer of the core")

    def test_core_folders_include_only_downwards(self):
        wrong = []
        for source, target in self.edges:
            a, b = folder_of(source), folder_of(target)
            if a not in LAYERS:
                continue
            if b not in LAYERS:
                wrong.append(f"{os.path.relpath(source, ROOT)} includes {os.path.relpath(target, ROOT)}, outside the core")
            elif LAYERS.index(b) > LAYERS.index(a):
                wrong.append(f"{os.path.relpath(source, ROOT)} ({a}) includes {os.path.relpath(target, ROOT)} ({b}, a higher layer)")
        self.assertEqual(wrong, [], "\n".join(wrong))

    def test_no_module_cycle(self):
        graph = {}
        for source, target in self.edges:
            a, b = module_of(source), module_of(target)
            if a != b:
                graph.setdefault(a, set()).add(b)
        state = {}
        cycles = []

        def visit(node, stack):
            state[node] = "open"
            stack.append(node)
            for nxt in sorted(graph.get(node, ())):
                if state.get(nxt) == "open":
                    cycle = stack[stack.index(nxt):]
                    # Named from its smallest module, whichever the search met first.
                    first = cycle.index(min(cycle))
                    cycle = cycle[first:] + cycle[:first] + [cycle[first]]
                    cycles.append(" -> ".join(f"{f}/{m}" for f, m in cycle))
                elif nxt not in state:
                    visit(nxt, stack)
            stack.pop()
            state[node] = "done"

        for node in sorted(graph):
            if node not in state:
                visit(node, [])
        self.assertEqual(cycles, [], "\n".join(cycles))

    def test_programs_do_not_reach_into_each_other(self):
        # Shared code is a library folder (terminal/, phone/), never another
        # program's sources.
        programs = {"pam_module", "enroll_tool", "verify_helper"}
        wrong = [f"{os.path.relpath(s, ROOT)} includes {os.path.relpath(t, ROOT)}"
                 for s, t in self.edges
                 if folder_of(s) != folder_of(t) and folder_of(t) in programs]
        self.assertEqual(wrong, [], "\n".join(wrong))

    def test_no_crowded_folder(self):
        for layer in LAYERS:
            for base, ext in ((CORE_SRC, ".cpp"), (CORE_INCLUDE, ".hpp")):
                folder = os.path.join(base, layer)
                if not os.path.isdir(folder):
                    continue  # a layer of headers only, or of sources only
                count = len([n for n in os.listdir(folder) if n.endswith(ext)])
                self.assertLessEqual(count, MAX_FILES, f"{folder} holds {count} files: split it")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
