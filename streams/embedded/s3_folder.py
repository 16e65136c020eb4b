"""A minimal S3 endpoint over a local folder that honours conditional writes.

The embedded broker's S3 storage engine allocates offsets and updates its watermarks with
conditional PUTs (``If-None-Match: *`` to create, ``If-Match: ETAG`` to update). An
endpoint that ignores them (``rclone serve s3`` does) silently loses acknowledged records
under concurrent producers and overwrites old records after a restart. This one serialises
every write and answers 412 when a precondition fails. Loopback only, no authentication.

    python -m streams.embedded.s3_folder DIR PORT

``HANDOFF_S3_TRACE=FILE`` appends every request line to FILE (to see what the broker asks).
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import os
import sys
import tempfile
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from xml.sax.saxutils import escape

from aiohttp import web

_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


def _etag(data: bytes) -> str:
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


def _error(status: int, code: str, message: str) -> web.Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
    )
    return web.Response(status=status, body=body.encode(), content_type="application/xml")


class FolderStore:
    """Objects as files under ``root/BUCKET/KEY``, indexed in memory; writes serialised by one lock.

    The broker lists a partition's record batches on every fetch, so listings come from a
    sorted in-memory index (this process is the folder's only writer) instead of the disk.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = asyncio.Lock()
        self._keys: dict[str, list[str]] = {}  # bucket -> sorted keys
        self._meta: dict[tuple[str, str], tuple[int, str, str]] = {}  # size, modified, etag
        for bucket in (p for p in root.iterdir() if p.is_dir()) if root.is_dir() else ():
            for path in bucket.rglob("*"):
                if path.is_file() and not path.name.startswith(".tmp-"):
                    self._remember(
                        bucket.name,
                        str(path.relative_to(bucket)).replace(os.sep, "/"),
                        path.read_bytes(),
                        path.stat().st_mtime,
                    )

    def _remember(self, bucket: str, key: str, data: bytes, mtime: float) -> None:
        keys = self._keys.setdefault(bucket, [])
        if (bucket, key) not in self._meta:
            bisect.insort(keys, key)
        modified = datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        self._meta[(bucket, key)] = (len(data), modified, _etag(data))

    def _forget(self, bucket: str, key: str) -> None:
        if self._meta.pop((bucket, key), None) is not None:
            keys = self._keys[bucket]
            del keys[bisect.bisect_left(keys, key)]

    def path(self, bucket: str, key: str) -> Path:
        path = (self.root / bucket / key).resolve()
        if not str(path).startswith(str(self.root.resolve()) + os.sep):
            raise web.HTTPBadRequest(text="key escapes the folder")
        return path

    async def put(self, request: web.Request, bucket: str, key: str) -> web.Response:
        data = await request.read()
        path = self.path(bucket, key)
        async with self.lock:
            meta = self._meta.get((bucket, key))
            current = meta[2] if meta else None
            if request.headers.get("If-None-Match") == "*" and meta:
                return _error(412, "PreconditionFailed", "object exists")
            if_match = request.headers.get("If-Match")
            if if_match is not None and if_match not in ("*", current):
                return _error(
                    412 if meta else 404, "PreconditionFailed" if meta else "NoSuchKey", "etag mismatch"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
            self._remember(bucket, key, data, path.stat().st_mtime)
        return web.Response(status=200, headers={"ETag": _etag(data)})

    async def get(self, request: web.Request, bucket: str, key: str, *, head: bool) -> web.Response:
        meta = self._meta.get((bucket, key))
        path = self.path(bucket, key)
        if meta is None:
            return web.Response(status=404) if head else _error(404, "NoSuchKey", "no such key")
        size, _modified, etag = meta
        if request.headers.get("If-Match") not in (None, "*", etag):
            return _error(412, "PreconditionFailed", "etag mismatch")
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        headers = {
            "ETag": etag,
            "Last-Modified": formatdate(path.stat().st_mtime, usegmt=True),
            "Accept-Ranges": "bytes",
        }
        if head:
            headers["Content-Length"] = str(size)
            return web.Response(status=200, headers=headers)
        data = path.read_bytes()
        status, body = 200, data
        spec = request.headers.get("Range", "")
        if spec.startswith("bytes="):
            first, _, last = spec[6:].partition("-")
            if first == "":
                start, end = max(0, len(data) - int(last)), len(data) - 1
            else:
                start, end = int(first), min(len(data) - 1, int(last) if last else len(data) - 1)
            status, body = 206, data[start : end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        return web.Response(status=status, body=body, headers=headers)

    async def delete(self, bucket: str, key: str) -> web.Response:
        async with self.lock:
            self.path(bucket, key).unlink(missing_ok=True)
            self._forget(bucket, key)
        return web.Response(status=204)

    def list(self, request: web.Request, bucket: str) -> web.Response:
        if not (self.root / bucket).is_dir():
            return _error(404, "NoSuchBucket", "no such bucket")
        prefix = request.query.get("prefix", "")
        delimiter = request.query.get("delimiter", "")
        after = request.query.get("start-after", "")
        keys = self._keys.get(bucket, [])
        contents, prefixes = [], set()
        first = bisect.bisect_left(keys, prefix)
        if after:
            first = max(first, bisect.bisect_right(keys, after))
        for index in range(first, len(keys)):
            key = keys[index]
            if not key.startswith(prefix):
                break
            rest = key[len(prefix) :]
            if delimiter and delimiter in rest:
                prefixes.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
                continue
            size, modified, etag = self._meta[(bucket, key)]
            contents.append(
                f"<Contents><Key>{escape(key)}</Key><LastModified>{modified}</LastModified>"
                f"<ETag>{escape(etag)}</ETag><Size>{size}</Size>"
                "<StorageClass>STANDARD</StorageClass></Contents>"
            )
        common = "".join(
            f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in sorted(prefixes)
        )
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="{_XMLNS}">'
            f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>"
            f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount><MaxKeys>100000</MaxKeys>"
            f"<IsTruncated>false</IsTruncated>{''.join(contents)}{common}</ListBucketResult>"
        )
        return web.Response(body=body.encode(), content_type="application/xml")


def build_app(root: Path) -> web.Application:
    """The aiohttp application serving ``root``: each sub-folder is a bucket."""
    store = FolderStore(root)

    trace = os.environ.get("HANDOFF_S3_TRACE")

    async def handle(request: web.Request) -> web.Response:
        if trace:
            with open(trace, "a") as out:
                out.write(f"{request.method} {request.path_qs}\n")
        parts = request.path.lstrip("/").split("/", 1)
        bucket, key = parts[0], (parts[1] if len(parts) > 1 else "")
        if not bucket:
            return _error(400, "InvalidRequest", "no bucket")
        if not key:
            if request.method == "GET":
                return store.list(request, bucket)
            if request.method in ("PUT", "HEAD"):
                (root / bucket).mkdir(parents=True, exist_ok=True)
                return web.Response(status=200)
            return _error(501, "NotImplemented", f"{request.method} on a bucket")
        if request.method == "PUT":
            return await store.put(request, bucket, key)
        if request.method in ("GET", "HEAD"):
            return await store.get(request, bucket, key, head=request.method == "HEAD")
        if request.method == "DELETE":
            return await store.delete(bucket, key)
        return _error(501, "NotImplemented", request.method)

    app = web.Application(client_max_size=256 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def main() -> None:
    """Serve DIR on 127.0.0.1:PORT until killed."""
    root, port = Path(sys.argv[1]), int(sys.argv[2])
    root.mkdir(parents=True, exist_ok=True)
    web.run_app(build_app(root), host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
