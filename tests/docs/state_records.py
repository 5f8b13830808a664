#!/usr/bin/env python3
"""docs/state-records.md agrees with the code on every sealed record.

For each SealedRecordFormat in common/src/state/ (magic and size), the page
has one table whose first row is that magic, whose rows follow each other
without gap or overlap from offset 0 to the record's size, and whose last
row is the SHA-256 of every byte before it.
"""
import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE = os.path.join(ROOT, "docs", "state-records.md")
STATE_SRC = os.path.join(ROOT, "common", "src", "state")
STATE_INCLUDE = os.path.join(ROOT, "common", "include", "otpgate", "core", "state")

FORMAT = re.compile(r'SealedRecordFormat\s+\w+\("(\w{8})",\s*([\w:]+)\)')
ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*(\d+)\s*\|(.*)\|\s*$")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def constant(name):
    """The value of a size constant of the state headers, e.g.
    state_slot_size or HostSendLog::encoded_size."""
    headers = "".join(read(os.path.join(STATE_INCLUDE, name))
                      for name in sorted(os.listdir(STATE_INCLUDE)))
    values = {}
    for found in re.finditer(r"constexpr std::size_t (\w+) = ([^;]+);", headers):
        expression = re.sub(r"[A-Za-z_]\w*", lambda m: str(values.get(m.group(0), m.group(0))),
                            found.group(2))
        if re.fullmatch(r"[\d\s+*()]+", expression):
            values[found.group(1)] = eval(expression)  # digits and + * only
    return values[name.split("::")[-1]]


def code_formats():
    formats = {}
    for name in sorted(os.listdir(STATE_SRC)):
        if name.endswith(".cpp"):
            for magic, size in FORMAT.findall(read(os.path.join(STATE_SRC, name))):
                formats[magic] = constant(size)
    return formats


def page_tables():
    """Each table of the page as a list of (offset, size, text) rows."""
    tables, current = [], None
    for line in read(PAGE).splitlines():
        row = ROW.match(line)
        if row:
            current = current if current is not None else []
            current.append((int(row.group(1)), int(row.group(2)), row.group(3).strip()))
        elif current is not None:
            tables.append(current)
            current = None
    if current is not None:
        tables.append(current)
    return tables


class StateRecords(unittest.TestCase):
    def test_every_sealed_record_is_described(self):
        formats = code_formats()
        self.assertEqual(len(formats), 3, formats)  # the state slot, the fence, the SMS log
        tables = {re.search(r"OTPG\w{4}", t[0][2]).group(0): t for t in page_tables()}
        self.assertEqual(sorted(tables), sorted(formats))
        for magic, size in formats.items():
            with self.subTest(magic=magic):
                rows = tables[magic]
                self.assertEqual(rows[0][:2], (0, 8))
                offset = 0
                for start, length, text in rows:
                    self.assertEqual(start, offset, text)
                    offset += length
                self.assertEqual(offset, size)
                self.assertEqual(rows[-1][1], 32)
                self.assertIn("SHA-256 of bytes 0-%d" % (size - 33), rows[-1][2])


if __name__ == "__main__":
    sys.exit(unittest.main())
