"""Upload spools that never hold plaintext on disk (issue 10, item 20b).

Starlette parses a multipart body into ``UploadFile`` objects backed by a ``SpooledTemporaryFile``:
past 1 MiB a confidential artifact or evidence file would sit in plaintext in a temporary file
until it is sealed (and in whatever the disk keeps after the file is deleted). Routes that take
files use :class:`SealedSpoolRoute` instead: each file part is written to a :class:`SealedSpool`,
which encrypts as it spools (AES-256-GCM, 64 KiB blocks, under a key that exists only in this
process's memory and dies with the spool) into an unnamed temporary file in the instance's own
``<data dir>/tmp``. The service then reads the plaintext back block by block and seals it into
chunks as before.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
from collections.abc import Callable, Coroutine
from contextlib import aclosing
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser

BLOCK = 64 * 1024
_LENGTH = struct.Struct(">I")


class SealedSpool(io.RawIOBase):
    """A write-then-read temporary file whose bytes on disk are ciphertext.

    Written sequentially, then rewound with ``seek(0)`` and read sequentially (how the multipart
    parser and the services use it). Each block is sealed with AES-256-GCM under a fresh random
    key held only by this object, with its index as the nonce, so a block cannot be altered,
    reordered or dropped on disk without the read failing.
    """

    def __init__(self, directory: Path | None = None) -> None:
        super().__init__()
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        # Unnamed where the platform allows (O_TMPFILE): nothing to find in the directory listing.
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - closed by close()
        self._pending = bytearray()
        self._plain = b""
        self._offset = 0
        self._block = 0
        self._reading = False
        self.size = 0

    def _nonce(self) -> bytes:
        nonce = self._block.to_bytes(12, "big")
        self._block += 1
        return nonce

    def _seal(self, data: bytes) -> None:
        sealed = self._aead.encrypt(self._nonce(), data, None)
        self._file.write(_LENGTH.pack(len(sealed)) + sealed)

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return not self._reading

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        """Append ``data``; only whole blocks reach the disk, sealed."""
        if self._reading:
            raise io.UnsupportedOperation("a sealed spool is written first, then read")
        view = bytes(data)
        self._pending += view
        self.size += len(view)
        while len(self._pending) >= BLOCK:
            self._seal(bytes(self._pending[:BLOCK]))
            del self._pending[:BLOCK]
        return len(view)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Only a rewind to the start is supported: it ends writing and starts reading."""
        if (offset, whence) == (0, os.SEEK_END):
            return self.size
        if (offset, whence) != (0, os.SEEK_SET):
            raise io.UnsupportedOperation("a sealed spool only rewinds to its start")
        if not self._reading:
            if self._pending:
                self._seal(bytes(self._pending))
                self._pending.clear()
            self._reading = True
        self._file.seek(0)
        self._block = 0
        self._plain, self._offset = b"", 0
        return 0

    def tell(self) -> int:
        return self.size if not self._reading else self._offset

    def _next_block(self) -> bytes:
        head = self._file.read(_LENGTH.size)
        if not head:
            return b""
        (length,) = _LENGTH.unpack(head)
        return self._aead.decrypt(self._nonce(), self._file.read(length), None)

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes of plaintext (everything left when ``size`` is negative)."""
        if not self._reading:
            self.seek(0)
        want = self.size if size is None or size < 0 else size
        out = bytearray()
        while len(out) < want:
            if not self._plain:
                self._plain = self._next_block()
                if not self._plain:
                    break
            take = self._plain[: want - len(out)]
            self._plain = self._plain[len(take) :]
            out += take
        self._offset += len(out)
        return bytes(out)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self._pending.clear()
        super().close()


class SealedSpoolParser(MultiPartParser):
    """Starlette's multipart parser with each file part spooled into a :class:`SealedSpool`."""

    def __init__(self, *args: Any, directory: Path | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._directory = directory
        self._spools: list[SealedSpool] = []

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        upload = self._current_part.file
        if upload is not None and not isinstance(upload.file, SealedSpool):
            # Swap the (still empty, in-memory) spooled file Starlette just made for a sealed one.
            upload.file.close()
            spool = SealedSpool(self._directory)
            self._spools.append(spool)
            upload.file = cast(BinaryIO, spool)

    async def parse(self) -> FormData:
        try:
            return await super().parse()
        except BaseException:
            for spool in self._spools:
                spool.close()
            raise


def spool_directory(request: Request) -> Path:
    """``<data dir>/tmp``, private to the instance (0700)."""
    directory = Path(request.app.state.container.settings.data_dir) / "tmp"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


class SealedSpoolRequest(Request):
    """A request whose multipart form spools files through :class:`SealedSpoolParser`."""

    async def _get_form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> FormData:
        if self._form is None:
            content_type, _ = parse_options_header(self.headers.get("Content-Type"))
            if content_type == b"multipart/form-data":
                try:
                    async with aclosing(self.stream()) as stream:
                        parser = SealedSpoolParser(
                            self.headers,
                            stream,
                            max_files=max_files,
                            max_fields=max_fields,
                            max_part_size=max_part_size,
                            directory=spool_directory(self),
                        )
                        self._form = await parser.parse()
                except MultiPartException as exc:
                    raise HTTPException(status_code=400, detail=exc.message) from exc
        return await super()._get_form(max_files=max_files, max_fields=max_fields, max_part_size=max_part_size)


class SealedSpoolRoute(APIRoute):
    """The route class of routers that take files: their requests spool through sealed files."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def sealed_spool_handler(request: Request) -> Response:
            return await handler(SealedSpoolRequest(request.scope, request.receive))

        return sealed_spool_handler
