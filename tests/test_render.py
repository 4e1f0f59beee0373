"""render.json_rows encodes a row at a time; the text is json_text's of the whole list."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from fugong import render

COLUMNS = ["id", "name", "on", "flag", "count", "nested"]
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(),  # newlines, quotes, CJK, control characters: escaped alike
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
rows = st.lists(st.dictionaries(st.sampled_from(COLUMNS), values), max_size=5)


@given(rows)
def test_json_rows_is_the_json_of_the_list(listed):
    whole = render.json_text([{c: render.plain(row.get(c)) for c in COLUMNS} for row in listed])
    assert render.json_rows(listed, COLUMNS) == whole
    assert render.json_rows(iter(listed), COLUMNS) == whole
