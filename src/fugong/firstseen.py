"""The same record twice in one sheet: a compact table of the records seen so far."""

from __future__ import annotations

from array import array
from itertools import compress, repeat
from operator import and_, or_

_WORD = 0xFFFFFFFFFFFFFFFF
_LOW = 0xFFFFFFFF  # the bits of a stored value that hash the row's values
_BY_USCC = 1 << 63  # marks an alias: a record named by its USCC, stored by its name


class FirstSeen:
    """Record key hash -> (its first line << 32 | hash of its values), for the whole sheet.

    Open addressing in two flat arrays of 64-bit words: ~20 bytes a record
    (twice that in a sheet mixing rows with and without a USCC, and 16 bytes more a
    row set aside until then) where a dict of ints takes ~100, so memory stays flat
    for a large sheet.
    Sized from the expected number of rows, so it rarely has to grow.

    A row that names its enterprise by USCC may come with an alias: its record's
    key with the enterprise named by name and district instead, as a row without
    the USCC names it. The alias is stored too (marked), so that the two rows
    are one record to each other whichever comes first; aliases do not conflict
    with each other (two USCCs of one name are two enterprises). Offices' sheets
    give a USCC on every row or on none: until a row without one comes, aliases
    are only set aside in two more arrays (one C-level extend per block).
    """

    def __init__(self, expected_rows: int = 0) -> None:
        self._expected = expected_rows
        self._allocate(_size_for(expected_rows))
        self._aside_keys = array("Q")
        self._aside_values = array("Q")
        self._mixed = False  # a row without an alias has come: aliases go in the table

    def _allocate(self, size: int) -> None:
        self._mask = size - 1
        self._keys = array("Q", bytes(8 * size))
        self._values = array("Q", bytes(8 * size))
        self._room = size * 2 // 3

    def conflicts(
        self, keys: list[int], values: list[int], aliases: list[int] | None = None
    ) -> list[tuple[int, int]]:
        """Stores each key not seen before with its value; returns (index, earlier
        value) where a key was stored before with a value whose low 32 bits differ.
        `aliases`: each row's alias, or 0 (a row without a USCC, or with no alias).
        A row in conflict stores nothing: a later row is compared with the first."""
        if aliases is None:
            aliases = [0] * len(keys)
        elif not self._mixed:
            if all(aliases):  # every row by USCC, as yet: set the aliases aside
                found = self._probe(keys, values, [0] * len(keys))
                if found:  # a row in conflict is nobody's first occurrence
                    refused = {j for j, _earlier in found}
                    keep = [j not in refused for j in range(len(keys))]
                    aliases, values = list(compress(aliases, keep)), list(compress(values, keep))
                self._aside_keys.extend(map(and_, aliases, repeat(_WORD)))
                self._aside_values.extend(map(or_, values, repeat(_BY_USCC)))
                return found
            else:  # the aliases set aside go first: their lines are earlier
                self._store_aside()
        return self._probe(keys, values, aliases)

    def _store_aside(self) -> None:
        self._mixed = True
        # room for a record and an alias a row, made while the table is small
        size = _size_for(2 * self._expected)
        if size > self._mask + 1:
            self._grow(size)
        aside = list(self._aside_keys), list(self._aside_values)
        self._aside_keys, self._aside_values = array("Q"), array("Q")
        self.conflicts(*aside)  # (two USCCs of one name are no conflict)

    def _probe(
        self, keys: list[int], values: list[int], aliases: list[int]
    ) -> list[tuple[int, int]]:
        """One loop with the probing written out (for the key, then for the alias):
        it runs once per row of every sheet."""
        found = []
        stored, held, mask, room = self._keys, self._values, self._mask, self._room
        for j, (key, value, alias) in enumerate(zip(keys, values, aliases, strict=True)):
            key = (key & _WORD) or 1
            i = key & mask
            at = stored[i]
            while at and at != key:
                i = (i + 1) & mask
                at = stored[i]
            if at and (held[i] ^ value) & _LOW:
                found.append((j, held[i] & ~_BY_USCC))
                continue
            if alias:  # looked up before anything of the row is stored
                alias = (alias & _WORD) or 1
                a = alias & mask
                named = stored[a]
                while named and named != alias:
                    a = (a + 1) & mask
                    named = stored[a]
                if named and not held[a] & _BY_USCC and (held[a] ^ value) & _LOW:
                    found.append((j, held[a]))
                    continue  # a row in conflict is nobody's first occurrence
            if not at:
                stored[i] = key
                held[i] = value
                room -= 1
            if alias and not named:
                while stored[a]:  # (the key may have taken the free slot found)
                    a = (a + 1) & mask
                stored[a] = alias
                held[a] = value | _BY_USCC
                room -= 1
            if room <= 0:
                self._room = room
                self._grow()
                stored, held, mask, room = self._keys, self._values, self._mask, self._room
        self._room = room
        return found

    def _grow(self, size: int = 0) -> None:
        old = [(k, v) for k, v in zip(self._keys, self._values, strict=True) if k]
        self._allocate(size or 2 * (self._mask + 1))
        self.conflicts([k for k, _ in old], [v for _, v in old])


def _size_for(entries: int) -> int:
    """A power of two at least 1.5 times the entries (at least 4096)."""
    size = 1 << 12
    while size * 2 < entries * 3:
        size *= 2
    return size


class FirstLines:
    """Record id -> the first line of the sheet that named it (0: none yet), for the
    records the importer found in the ledger: one 32-bit word a record id up to the
    largest named, so marking the rows the sheet memo passes by costs no hashing."""

    def __init__(self) -> None:
        self._lines = array("I")

    def get(self, record: int) -> int:
        return self._lines[record] if record < len(self._lines) else 0

    def mark(self, records: list[int], lines: list[int]) -> None:
        """Each record's line, where none was marked before (the earlier line stays)."""
        if not records:
            return
        table = self._lines
        top = max(records)
        if top >= len(table):
            table.frombytes(bytes(4 * (max(top + 1, 2 * len(table)) - len(table))))
        for record, line in zip(records, lines, strict=True):
            if not table[record]:
                table[record] = line
