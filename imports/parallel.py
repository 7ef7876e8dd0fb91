"""Cleaning chunks in a forked process while this one reads the file and stages the results.

A million-row import spends its time in two places of about equal weight: scanning the sheet and
cleaning the values. On two cores they overlap. The child only cleans (pure Python, no database);
it leaves with `os._exit`, so it never closes the connection it inherited, and it ends when its
pipe closes, also when the parent is killed."""
import gc
import os
import pickle
import struct
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings

HEADER = struct.Struct("!Q")
CHILDREN: set[int] = set()  # helper processes alive now (the benchmark samples their memory)


def _send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _recv(stream):
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        raise EOFError
    size = HEADER.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def enabled() -> bool:
    return getattr(settings, "CRM_IMPORT_PARALLEL", True) and (os.cpu_count() or 1) > 1 and hasattr(os, "fork")


def cleaned_chunks(chunks: Iterable, clean: Callable, pack: Callable, unpack: Callable, parallel: bool = True) -> Iterator:
    """(chunk, cleaned chunk) in order; `pack`/`unpack` turn a cleaned chunk into plain data and back."""
    if not (parallel and enabled()):
        for chunk in chunks:
            yield chunk, clean(chunk)
        return
    to_child_r, to_child_w = os.pipe()
    to_parent_r, to_parent_w = os.pipe()
    gc.freeze()  # the child's collector then leaves the objects it shares with us untouched (no copy-on-write)
    pid = os.fork()
    if pid:
        gc.unfreeze()
    if pid == 0:  # the child: clean what comes, until the pipe closes
        code = 0
        try:
            os.close(to_child_w)
            os.close(to_parent_r)
            with os.fdopen(to_child_r, "rb") as inbox, os.fdopen(to_parent_w, "wb") as outbox:
                while True:
                    try:
                        chunk = _recv(inbox)
                    except EOFError:
                        break
                    try:
                        result = (True, pack(clean(chunk)))
                    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
                        result = (False, f"{type(exc).__name__}: {exc}")
                    _send(outbox, result)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    CHILDREN.add(pid)
    os.close(to_child_r)
    os.close(to_parent_w)
    inbox, outbox = os.fdopen(to_parent_r, "rb"), os.fdopen(to_child_w, "wb")

    def receive():
        ok, payload = _recv(inbox)
        if not ok:
            raise RuntimeError(f"cleaning failed in the helper process: {payload}")
        return unpack(payload)

    try:
        iterator = iter(chunks)
        current = next(iterator, None)
        if current is None:
            return
        _send(outbox, current)
        for following in iterator:  # reading the next chunk overlaps with the child cleaning this one
            result = receive()
            _send(outbox, following)  # and staging this one (the caller's turn) with the child cleaning the next
            yield current, result
            current = following
        yield current, receive()
    finally:
        for stream in (outbox, inbox):
            try:
                stream.close()
            except OSError:
                pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        CHILDREN.discard(pid)
