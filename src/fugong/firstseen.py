"""The same record twice in one sheet: a compact table of the records seen so far."""

from __future__ import annotations

from array import array
from collections import deque
from itertools import compress, repeat
from operator import and_, lshift, or_

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


_DENSE = 1 << 23  # record ids kept in FirstLines' table (64 MB at most); past it, a dict


class FirstLines:
    """Record id -> (the first line that named it << 32 | the low 32 bits of a hash of
    what that line said), for the records an import's lines name: one 64-bit word a
    record id, up to the largest named (ids are dense), so the rows the sheet memo
    passes by are marked without hashing their ids.

    Records the import makes get their ids with the chunk of rows that makes them; a
    chunk applied again (without a refused row) gives them again, maybe to others: so
    they are held apart (`made`) until their chunk is written."""

    def __init__(self) -> None:
        self._table = array("Q")
        self._far: dict[int, int] = {}  # records past _DENSE
        self._made: dict[int, int] = {}

    def first(self, record: int, line: int, said: int) -> int:
        """The first line that named `record`, if it said otherwise than `said` (else 0;
        this line is marked if it is the first)."""
        held = self._made.get(record)
        if held is not None:
            return held >> 32 if (held ^ said) & _LOW and held >> 32 != line else 0
        found = self.mark([record], [line], [said])
        return found[0][1] if found else 0

    def made(self, record: int, line: int, said: int) -> None:
        """A record the line made (see above)."""
        self._made[record] = line << 32 | (said & _LOW)

    def keep_made(self) -> None:
        """The chunk that made them is written."""
        made, self._made = self._made, {}
        self._store(list(made), list(made.values()))

    def drop_made(self) -> None:
        """The chunk that made them is not."""
        self._made.clear()

    def mark(self, records: list[int], lines: list[int], saids: list[int]) -> list[tuple[int, int]]:
        """Marks each record not named before with its line and what it said; returns
        (index, first line) for each that was named before by another line saying
        otherwise."""
        found: list[tuple[int, int]] = []
        if not records:
            return found
        table = self._table
        # the usual: a block's rows, each the first to name its record (C-level)
        if (
            self._grow(records)
            and not any(map(table.__getitem__, records))
            and len(set(records)) == len(records)
        ):
            packed = map(or_, map(lshift, lines, repeat(32)), map(and_, saids, repeat(_LOW)))
            deque(map(table.__setitem__, records, packed), maxlen=0)
            return found
        far = self._far
        for j, (record, line, said) in enumerate(zip(records, lines, saids, strict=True)):
            held = table[record] if record < _DENSE else far.get(record, 0)
            if not held:
                if record < _DENSE:
                    table[record] = line << 32 | (said & _LOW)
                else:
                    far[record] = line << 32 | (said & _LOW)
            elif (held ^ said) & _LOW and held >> 32 != line:
                found.append((j, held >> 32))
        return found

    def _store(self, records: list[int], packed: list[int]) -> None:
        for record, value in zip(records, packed, strict=True):
            if self._grow([record]):
                self._table[record] = value
            else:
                self._far[record] = value

    def _grow(self, records: list[int]) -> bool:
        """Room in the table for these records; False if some are past _DENSE (a
        ledger whose ids were not given in turn: those go in a dict)."""
        top = max(records)
        dense = top < _DENSE
        if not dense:
            top = max((r for r in records if r < _DENSE), default=-1)
        table = self._table
        if top >= len(table):
            table.frombytes(bytes(8 * (min(max(top + 1, 2 * len(table)), _DENSE) - len(table))))
        return dense


class IdBits:
    """A set of record ids as one bit each (ids are dense): the records an import
    changed, 37 KB for 300k of them where a set of (kind, id) held ~30 MB.  Ids past
    _DENSE (a ledger whose ids were not given in turn) go in a set."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self._far: set[int] = set()

    def add(self, rid: int) -> None:
        if rid >= _DENSE:
            self._far.add(rid)
            return
        bits, byte = self._bits, rid >> 3
        if byte >= len(bits):
            bits.extend(bytes(max(byte + 1 - len(bits), len(bits))))  # (doubling)
        bits[byte] |= 1 << (rid & 7)

    def count_below(self, limit: int) -> int:
        """How many of the ids are below `limit`."""
        whole, rest = divmod(min(limit, _DENSE), 8)
        count = int.from_bytes(self._bits[:whole], "little").bit_count()
        if rest and whole < len(self._bits):
            count += (self._bits[whole] & ((1 << rest) - 1)).bit_count()
        return count + sum(rid < limit for rid in self._far)
