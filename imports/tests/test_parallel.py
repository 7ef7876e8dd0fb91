"""The cleaning helper process gives the same chunks, in order, as cleaning in-process."""
import os

import pytest

from imports.parallel import cleaned_chunks


def chunks(n=7, size=50):
    return [[(i * size + j, {"v": i * size + j}) for j in range(size)] for i in range(n)]


def square(chunk):
    return [(number, raw["v"] ** 2, os.getpid()) for number, raw in chunk]


def test_forked_cleaning_returns_every_chunk_in_order_from_another_process(settings):
    settings.CRM_IMPORT_PARALLEL = True
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: cleaning stays in-process")
    out = list(cleaned_chunks(chunks(), square, lambda x: x, lambda x: x, parallel=True))
    assert [c for c, _ in out] == chunks()
    assert [r for _, cleaned in out for r in [row[:2] for row in cleaned]] == [(i, i * i) for i in range(350)]
    assert {row[2] for _, cleaned in out for row in cleaned} != {os.getpid()}


def test_serial_cleaning_when_parallel_is_off(settings):
    settings.CRM_IMPORT_PARALLEL = False
    out = list(cleaned_chunks(chunks(2), square, lambda x: x, lambda x: x, parallel=True))
    assert {row[2] for _, cleaned in out for row in cleaned} == {os.getpid()}


def test_an_error_in_the_helper_process_is_raised_here(settings):
    settings.CRM_IMPORT_PARALLEL = True
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: cleaning stays in-process")

    def broken(chunk):
        raise ValueError("bad cell")

    with pytest.raises(RuntimeError, match="ValueError: bad cell"):
        list(cleaned_chunks(chunks(3), broken, lambda x: x, lambda x: x, parallel=True))


def test_stopping_early_ends_the_helper_process(settings):
    settings.CRM_IMPORT_PARALLEL = True
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: cleaning stays in-process")
    from imports.parallel import CHILDREN

    generator = cleaned_chunks(chunks(5), square, lambda x: x, lambda x: x, parallel=True)
    next(generator)
    (pid,) = CHILDREN
    generator.close()  # as when the import is cancelled: the child sees its pipe close and exits
    assert pid not in CHILDREN
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already waited for: gone, not a zombie
