"""Fetch archives (zip + .CHECKSUM) from data.binance.vision or a local mirror, verify, load."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import requests

from .checksum import parse_checksum, sha256_file
from .contents import ArchiveContents
from .errors import (
    ArchiveNotYetAvailable,
    BinanceDataError,
    ChecksumFileError,
    ChecksumMismatch,
    UnknownSymbol,
)
from .reader import read_archive
from .transport import HttpTransport, NotFound, S3Transport
from .urls import ArchiveSpec


@dataclass(frozen=True)
class FetchedArchive:
    """A zip and its .CHECKSUM: `checksum_ok`, the zip's sha256 (`sha256`) matched it (what `fetch` returns);
    else not verified yet (`sha256` empty: `load` verifies the bytes it reads)."""

    spec: ArchiveSpec
    url: str
    local_path: Path
    sha256: str
    expected_sha256: str
    checksum_ok: bool
    checksum_path: Path | None = None


@dataclass(frozen=True)
class LoadedArchive:
    fetched: FetchedArchive
    contents: ArchiveContents


def mirror_root(base_url: str | os.PathLike) -> Path | None:
    """The folder of a local mirror (plain path or file:// URL); None for http(s) and s3."""
    text = os.fspath(base_url)
    if re.match(r"^(https?|s3)://", text, re.IGNORECASE):
        return None
    if text.lower().startswith("file://"):
        return Path(url2pathname(urlparse(text).path))
    return Path(text)


class ArchiveClient:
    """Archive source with the data.binance.vision layout; bad files go to quarantine_dir."""

    def __init__(
        self,
        base_url: str,
        download_dir: Path,
        quarantine_dir: Path,
        session: requests.Session | None = None,
        known_symbols: set[str] | None = None,
        retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        timeout: float = 60.0,
        s3_client=None,
    ) -> None:
        self.base_url = os.fspath(base_url)
        self.download_dir = Path(download_dir)
        self.quarantine_dir = Path(quarantine_dir)
        self.known_symbols = known_symbols
        self.mirror = mirror_root(self.base_url)
        if self.base_url.lower().startswith("s3://"):
            # An S3 landing prefix with the archive layout; downloaded like HTTP files.
            self.transport: S3Transport | HttpTransport = S3Transport(s3_client or _default_s3_client())
        else:
            self.transport = HttpTransport(session or requests.Session(), retries, backoff, max_backoff, timeout)

    # -- fetch ---------------------------------------------------------------------------------

    def fetch(self, spec: ArchiveSpec) -> FetchedArchive:
        """Zip and checksum, verified. Mirror files are read in place; HTTP and S3 ones downloaded."""
        if self.mirror is not None:
            return self._fetch_mirror(spec)
        return self._fetch_http(spec)

    def _unknown_or_pending(self, spec: ArchiveSpec, where: str, symbol_listed: bool) -> Exception:
        known = self.known_symbols is None or spec.symbol in self.known_symbols
        if not (known and symbol_listed):
            return UnknownSymbol(f"{where}: symbol {spec.symbol} is not listed by the archive")
        return ArchiveNotYetAvailable(f"{where}: not yet published")

    def _fetch_mirror(self, spec: ArchiveSpec, *, verify: bool = True) -> FetchedArchive:
        """The mirror's zip and checksum; `verify=False` (`load`): not hashed here, the caller verifies the sha256
        of the bytes it reads (`checksum_ok=False`, `sha256` empty until then)."""
        assert self.mirror is not None  # nosec B101 # type narrowing (only called with a mirror)
        zip_path = self.mirror / spec.relative_path
        checksum_path = self.mirror / spec.checksum_relative_path
        if not zip_path.is_file():
            listed = (self.mirror / spec.symbol_dir).is_dir()
            raise self._unknown_or_pending(spec, str(zip_path), listed)
        if not checksum_path.is_file():
            raise ArchiveNotYetAvailable(f"{checksum_path}: checksum not yet published, so the zip is not usable yet")
        expected = self._expected(spec, checksum_path, zip_path, move=False)
        if not verify:
            return FetchedArchive(spec, zip_path.as_uri(), zip_path, "", expected, False, checksum_path)
        actual = sha256_file(zip_path)
        if actual != expected:
            self._mismatch(spec, zip_path, checksum_path, expected, actual, str(zip_path), False)
        return FetchedArchive(spec, zip_path.as_uri(), zip_path, actual, expected, True, checksum_path)

    def _fetch_http(self, spec: ArchiveSpec) -> FetchedArchive:
        url = spec.url(self.base_url)
        final = self.download_dir / spec.relative_path
        final_checksum = self.download_dir / spec.checksum_relative_path
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp_zip = _temp_beside(final)
        tmp_checksum = _temp_beside(final_checksum)
        try:
            try:
                self.transport.download(url, tmp_zip)
            except NotFound:
                raise self._unknown_or_pending(spec, url, symbol_listed=True) from None
            try:
                self.transport.download(url + ".CHECKSUM", tmp_checksum)
            except NotFound:
                raise ArchiveNotYetAvailable(
                    f"{url}.CHECKSUM: checksum not yet published, so the zip is not usable yet"
                ) from None
            expected = self._expected(spec, tmp_checksum, tmp_zip, move=True)
            actual = sha256_file(tmp_zip)
            if actual != expected:
                self._mismatch(spec, tmp_zip, tmp_checksum, expected, actual, url, True)
            os.replace(tmp_zip, final)  # the zip first: it is usable once its checksum lands
            os.replace(tmp_checksum, final_checksum)
        finally:
            for tmp in (tmp_zip, tmp_checksum):
                tmp.unlink(missing_ok=True)
        return FetchedArchive(spec, url, final, actual, expected, True, final_checksum)

    def _expected(self, spec: ArchiveSpec, checksum: Path, zip_path: Path, move: bool) -> str:
        try:
            expected, name = parse_checksum(checksum)
            if name != spec.file_name:
                raise ChecksumFileError(f"{checksum}: names {name!r}, not {spec.file_name!r}")
        except ChecksumFileError as exc:
            where = self._quarantine(spec, zip_path, checksum, str(exc), move)
            exc.add_note(f"quarantined to {where}")
            raise
        return expected

    def _mismatch(
        self,
        spec: ArchiveSpec,
        zip_path: Path,
        checksum: Path,
        expected: str,
        actual: str,
        label: str,
        move: bool,
    ) -> None:
        message = f"{label}: sha256 mismatch, expected {expected}, actual {actual}"
        where = self._quarantine(spec, zip_path, checksum, message, move)
        raise ChecksumMismatch(f"{message}; quarantined to {where}")

    # -- quarantine ----------------------------------------------------------------------------

    def quarantine_path(self, spec: ArchiveSpec) -> Path:
        return self.quarantine_dir / spec.relative_path

    def _quarantine(self, spec: ArchiveSpec, zip_path: Path, checksum: Path | None, reason: str, move: bool) -> Path:
        """Copy (mirror) or move (own downloads) the zip and its checksum into quarantine."""
        target = self.quarantine_path(spec)
        target.parent.mkdir(parents=True, exist_ok=True)
        transfer = shutil.move if move else shutil.copy2
        transfer(zip_path, target)
        if checksum is not None and checksum.is_file():
            transfer(checksum, target.with_name(target.name + ".CHECKSUM"))
        target.with_name(target.name + ".error.txt").write_text(reason + "\n")
        return target

    # -- load ----------------------------------------------------------------------------------

    def load(self, spec: ArchiveSpec) -> LoadedArchive:
        """fetch + parse; a file that fails is quarantined, error re-raised.

        The sha256 of the bytes actually parsed (hashed by the reader in the pass that parses them) must
        equal the `.CHECKSUM`'s. A download is verified before it is kept, so a file replaced after that is a
        ChecksumMismatch here. A mirror's file is read once: that pass is its verification (it is not hashed
        beforehand as `fetch` does), and a file that does not match is a ChecksumMismatch, also when it could
        not be parsed either (the checksum's verdict comes first, as with `fetch`). Row rules (duplicate ids,
        prices, times) are the pipeline's checks, not parse errors.
        """
        fetched = self._fetch_mirror(spec, verify=False) if self.mirror is not None else self.fetch(spec)
        try:
            contents = read_archive(fetched.local_path, kind=spec.kind, market=spec.market)
        except BinanceDataError as exc:
            if not fetched.checksum_ok:
                self._verify(fetched, sha256_file(fetched.local_path))
            exc.add_note(f"quarantined to {self.quarantine(fetched, str(exc))}")
            raise
        self._verify(fetched, contents.sha256)
        return LoadedArchive(replace(fetched, sha256=contents.sha256, checksum_ok=True), contents)

    def _verify(self, fetched: FetchedArchive, actual: str) -> None:
        """ChecksumMismatch (the file quarantined) unless `actual` is the sha256 its .CHECKSUM names: as `fetch`
        says it for a file not verified yet, else (a download verified when it was kept) as a file changed since."""
        if actual == fetched.expected_sha256:
            return
        if not fetched.checksum_ok:
            assert fetched.checksum_path is not None  # nosec B101 # a mirror's fetch always has one
            self._mismatch(fetched.spec, fetched.local_path, fetched.checksum_path, fetched.expected_sha256, actual,
                           str(fetched.local_path), False)  # fmt: skip
        changed = ChecksumMismatch(
            f"{fetched.local_path}: the bytes parsed have sha256 {actual}, not the {fetched.expected_sha256} of its "
            ".CHECKSUM (the file changed while it was read)"
        )
        changed.add_note(f"quarantined to {self.quarantine(fetched, str(changed))}")
        raise changed

    def quarantine(self, fetched: FetchedArchive, reason: str) -> Path:
        """Keep a file the pipeline refused (copied from a mirror, moved out of our downloads)."""
        return self._quarantine(
            fetched.spec, fetched.local_path, fetched.checksum_path, reason, move=self.mirror is None
        )


def _default_s3_client():
    import boto3

    return boto3.client("s3")


def _temp_beside(final: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    os.close(fd)
    return Path(name)
