"""The same record twice in one sheet: a compact table of the records seen so far."""

from __future__ import annotations

from array import array


class FirstSeen:
    """Record key hash -> (its first line << 32 | hash of its values), for the whole sheet.

    Open addressing in two flat arrays of 64-bit words: ~20 bytes a record
    where a dict of ints takes ~100, so memory stays flat for a large sheet.
    Sized from the expected number of rows, so it rarely has to grow.
    """

    def __init__(self, expected_rows: int = 0) -> None:
        size = 1 << 12
        while size * 2 < expected_rows * 3:
            size *= 2
        self._allocate(size)

    def _allocate(self, size: int) -> None:
        self._mask = size - 1
        self._keys = array("Q", bytes(8 * size))
        self._values = array("Q", bytes(8 * size))
        self._room = size * 2 // 3

    def conflicts(self, keys: list[int], values: list[int]) -> list[tuple[int, int]]:
        """Stores each key not seen before with its value; returns (index, earlier
        value) where a key was stored before with a value whose low 32 bits differ.

        One loop with the probing written out: it runs once per row of every sheet.
        """
        found = []
        stored, mask = self._keys, self._mask
        for j, (key, value) in enumerate(zip(keys, values, strict=True)):
            key = (key & 0xFFFFFFFFFFFFFFFF) or 1
            i = key & mask
            at = stored[i]
            while at and at != key:
                i = (i + 1) & mask
                at = stored[i]
            if at:
                earlier = self._values[i]
                if (earlier ^ value) & 0xFFFFFFFF:
                    found.append((j, earlier))
                continue
            stored[i] = key
            self._values[i] = value
            self._room -= 1
            if not self._room:
                self._grow()
                stored, mask = self._keys, self._mask
        return found

    def _grow(self) -> None:
        old = [(k, v) for k, v in zip(self._keys, self._values, strict=True) if k]
        self._allocate(2 * (self._mask + 1))
        self.conflicts([k for k, _ in old], [v for _, v in old])
