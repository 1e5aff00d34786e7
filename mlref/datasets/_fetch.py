"""Find, verify and cache the files of the real datasets.

Every dataset is a folder name (the same as in the course's ``shared/data`` mirror, for example
``ltr-letor4-mq2008``) and a table of upstream files, :data:`DATASETS`. For each file the fetchers
look, in this order, at

1. the **cache** ``<data_home>/<folder>/<name>`` (or ``<name>.gz``). The file is verified by MD5
   every time it is used; a corrupt cached file is deleted and fetched again;
2. the **mirror**: a folder named by the ``mirror=`` argument or the ``MLREF_DATA_MIRROR``
   environment variable, with the layout ``<mirror>/<folder>/<name>`` (or ``<name>.gz``). A verified
   mirror file is read in place and not copied, so a read-only mirror works and costs no disk
   space. A mirror file whose MD5 does not match raises :class:`ChecksumError`;
3. the **upstream URL**, downloaded with :mod:`urllib.request` into a temporary file in the cache
   folder, verified, then renamed into place; a mismatch raises :class:`ChecksumError` and leaves no
   file behind. ``download_if_missing=False`` skips this step.

MD5 sums are of the uncompressed content, so a file may be stored plain or gzip-compressed. When
nothing works, :class:`DataUnavailableError` says which URL to download by hand and where to put it.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import os
import pathlib
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mlref._validation import check_bool

__all__ = [
    "CONNECT_TIMEOUT",
    "DATASETS",
    "READ_TIMEOUT",
    "ChecksumError",
    "DataUnavailableError",
    "RemoteFile",
    "fetch_file",
    "fetch_files",
    "get_data_home",
    "md5_of",
]

#: Seconds to wait for the connection to an upstream server and for its first answer.
CONNECT_TIMEOUT = 10.0
#: Seconds a download may go without receiving any data before it is abandoned.
READ_TIMEOUT = 30.0
_CHUNK = 1 << 20


class ChecksumError(OSError):
    """A data file's MD5 does not match the expected value (corrupt or a different version)."""


class DataUnavailableError(OSError):
    """A data file is not in the cache or the mirror and could not be downloaded."""


@dataclass(frozen=True)
class RemoteFile:
    """One upstream file of a dataset.

    Parameters
    ----------
    url : str
        Where to download it. For a file inside a zip archive, the archive's URL.
    md5 : str
        MD5 of the uncompressed content.
    member : str or None
        Path of the file inside the zip archive at ``url``; ``None`` for a plain file.
    also_accepted : tuple of str
        MD5 sums of the same content in another accepted form (e.g. LF instead of CRLF line
        endings), when copies of the file are known to differ in that way only.
    """

    url: str
    md5: str
    member: str | None = None
    also_accepted: tuple[str, ...] = ()

    def matches(self, md5: str) -> bool:
        """Whether ``md5`` is the checksum of this file's content in an accepted form."""
        return md5 == self.md5 or md5 in self.also_accepted


def _raw(repo: str, commit: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


_MQ2008 = ("meta-toolkit/meta", "eab9748c3c40da28619f043c99d030e1ca66401d", "data/MQ2008")
_YAHOO = ("microsoft/LightGBM", "bae0b7ba953341a32b2a9c5c5c437a1b976f576f", "examples/lambdarank")
_IPINYOU = ("wnzhang/deep-ctr", "229ad52cb97bc213012ba596b451990dcca6b897", "data")
_DEEPCTR = ("shenweichen/DeepCTR", "1b5fe40e158d1ee6af8b1d9df217a5ed5aea9136", "examples")
_MOVIELENS_ZIP = "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip"


def _table(source: tuple[str, str, str], md5s: Mapping[str, str]) -> dict[str, RemoteFile]:
    repo, commit, folder = source
    return {
        name: RemoteFile(_raw(repo, commit, f"{folder}/{name}"), md5) for name, md5 in md5s.items()
    }


#: ``{folder: {file name: RemoteFile}}``. Module-level so that tests can point a dataset at a local
#: server with ``monkeypatch.setitem``. Values come from each folder's ``SOURCE.md``.
DATASETS: dict[str, dict[str, RemoteFile]] = {
    "ltr-letor4-mq2008": _table(
        _MQ2008,
        {
            "S1.txt": "3282f8739013bee5b50c34ceb61aa709",
            "S2.txt": "d447dfb2937a3b82b3d1ea8efa226629",
            "S3.txt": "68b806b1eae269114bda65a31aef5fbb",
            "S4.txt": "7172efffc68068b40150b369880339b8",
            "S5.txt": "3e12d60702e36c0e2813c815fc38ff91",
        },
    ),
    "ltr-yahoo-lightgbm-sample": _table(
        _YAHOO,
        {
            "rank.train": "8178c79fb07eccc322c81c87fa7a28ec",
            "rank.train.query": "1ade43f73d0af76578473d6ade010a14",
            "rank.test": "7b3da47f84c45d0f9c9ea6da6d731cd0",
            "rank.test.query": "573dd86ce28d1035c5a4ad48c7a9d919",
        },
    ),
    "ctr-ipinyou-2997-sample": _table(
        _IPINYOU,
        {
            "train.fm.txt": "ec2bde6f39f7aba18803f2eaa599f320",
            "test.fm.txt": "7f7ab059a1e8b3a776124b5cd7377fdb",
            "featindex.fm.txt": "8c2c2c0dc3a4e9136465177ae60a1b7e",
        },
    ),
    "ctr-criteo-avazu-deepctr-samples": _table(
        _DEEPCTR,
        {
            "criteo_sample.txt": "3b73e8dc06d0c13d783fa6aca2f12a23",
            "avazu_sample.txt": "4161073bccda5174c2a11aa7ab16d6fb",
        },
    ),
    # The verified copy has CRLF line endings; GroupLens's zip may carry LF endings, which
    # pandas reads identically, so the LF form's checksum is accepted too.
    "recsys-movielens-latest-small": {
        name: RemoteFile(
            _MOVIELENS_ZIP, crlf, member=f"ml-latest-small/{name}", also_accepted=(lf,)
        )
        for name, (crlf, lf) in {
            "ratings.csv": ("325a6f09399d1c45671f187505e1a100", "ac0cf1d26aed3a5b6777a295231976ad"),
            "movies.csv": ("ed94fab72b62442ef8150d9446e000d6", "b252328d16b085936b56eefad880ef9d"),
            "tags.csv": ("1b2d21a7be1cc23d327b11155a4a6aea", "5d095828cb668ec2fae1e2cf0d99c671"),
            "links.csv": ("316913f95cdad64c745ca22f3630e230", "bc5292d5185e8c5fd8dc9a83fb2198d2"),
        }.items()
    },
}


def get_data_home(data_home: str | os.PathLike[str] | None = None) -> pathlib.Path:
    """Return the cache folder for downloaded data, creating it if needed.

    Parameters
    ----------
    data_home : str or path-like, optional
        The folder to use. Default: the ``MLREF_DATA_HOME`` environment variable, else
        ``~/.cache/mlref``.

    Returns
    -------
    pathlib.Path
        The (existing) cache folder.

    Examples
    --------
    >>> import tempfile
    >>> get_data_home(tempfile.mkdtemp()).is_dir()
    True
    """
    if data_home is None:
        data_home = os.environ.get("MLREF_DATA_HOME") or pathlib.Path.home() / ".cache" / "mlref"
    try:
        path = pathlib.Path(data_home).expanduser()
    except TypeError:
        raise TypeError(
            f"data_home must be a folder path (str or os.PathLike) or None, got "
            f"{type(data_home).__name__}"
        ) from None
    if path.exists() and not path.is_dir():
        raise ValueError(
            f"data_home {path} is a file, not a folder; pass a folder for the data cache (or "
            f"unset MLREF_DATA_HOME to use ~/.cache/mlref)"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(
            f"data_home {path} cannot be created ({exc.strerror}); pass a writable folder"
        ) from exc
    return path


def open_binary(path: str | os.PathLike[str]):
    """Open ``path`` for reading bytes, decompressing it on the fly if its name ends in ``.gz``."""
    path = pathlib.Path(path)
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def md5_of(path: str | os.PathLike[str]) -> str:
    """MD5 hex digest of a file's uncompressed content, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open_binary(path) as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _remote(folder: str, name: str) -> RemoteFile:
    try:
        files = DATASETS[folder]
    except KeyError:
        raise ValueError(f"unknown dataset folder {folder!r}; known: {sorted(DATASETS)}") from None
    try:
        return files[name]
    except KeyError:
        raise ValueError(
            f"dataset {folder!r} has no file {name!r}; it has {sorted(files)}"
        ) from None


def _candidates(directory: pathlib.Path, name: str) -> list[pathlib.Path]:
    return [p for p in (directory / name, directory / f"{name}.gz") if p.is_file()]


def _checksum_message(name: str, path: object, expected: str, actual: str, fix: str) -> str:
    return f"{name}: MD5 mismatch for {path}: expected {expected}, got {actual}. {fix}"


class _NetworkError(Exception):
    """Internal: a download failed before any content could be verified."""


def _unavailable(
    folder: str, names: list[str], cache_dir: pathlib.Path, reason: str
) -> DataUnavailableError:
    steps: dict[str, list[str]] = {}
    for name in names:
        remote = DATASETS[folder][name]
        if remote.member:
            step = f"        extract {remote.member} to {cache_dir / name}"
        else:
            step = f"        save as {cache_dir / name}"
        steps.setdefault(remote.url, []).append(step)
    listing = "\n".join(f"      {url}\n" + "\n".join(lines) for url, lines in steps.items())
    files = ", ".join(names)
    return DataUnavailableError(
        f"Data for {folder!r} is not available ({files}): {reason}\n"
        f"To get it, do one of:\n"
        f"  - download by hand (plain, or gzip-compressed with a .gz suffix):\n{listing}\n"
        f"  - set MLREF_DATA_MIRROR=/path/to/shared/data, a folder holding {folder}/<file> "
        f"(plain or .gz), such as the course's shared/data folder;\n"
        f"  - set MLREF_DATA_HOME to a cache folder that already holds {folder}/<file>."
    )


def _set_read_timeout(response, seconds: float) -> None:
    """Give the open response's socket its own timeout for the body, once the server answered."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _download(folder: str, names: list[str], cache_dir: pathlib.Path) -> None:
    """Download ``names`` (which share one URL) into ``cache_dir``, verified, atomically."""
    remote = DATASETS[folder][names[0]]
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=".download-", suffix=".part")
    tmp = pathlib.Path(tmp_name)
    extracted: list[tuple[pathlib.Path, pathlib.Path]] = []
    try:
        digest = hashlib.md5(usedforsecurity=False)
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(remote.url, timeout=CONNECT_TIMEOUT) as response:
                    _set_read_timeout(response, READ_TIMEOUT)
                    while chunk := response.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            except (OSError, ValueError, http.client.HTTPException) as exc:
                if isinstance(exc, urllib.error.HTTPError):
                    exc.close()  # an HTTP error carries the open response
                if isinstance(exc, TimeoutError) or isinstance(
                    getattr(exc, "reason", None), TimeoutError
                ):
                    detail = (
                        f"the server did not answer within {CONNECT_TIMEOUT:g} s (connection) / "
                        f"{READ_TIMEOUT:g} s (between data)"
                    )
                else:
                    detail = f"{type(exc).__name__}: {exc}"
                raise _NetworkError(f"downloading {remote.url} failed: {detail}") from exc
        if remote.member is None:
            actual = digest.hexdigest()
            if not remote.matches(actual):
                raise ChecksumError(
                    _checksum_message(
                        names[0],
                        remote.url,
                        remote.md5,
                        actual,
                        "The download was corrupted or the upstream file changed; nothing was "
                        "saved. Try again, or use MLREF_DATA_MIRROR with a verified copy.",
                    )
                )
            extracted.append((tmp, cache_dir / names[0]))
        else:
            try:
                archive = zipfile.ZipFile(tmp)
            except zipfile.BadZipFile as exc:
                raise ChecksumError(
                    f"{names[0]}: the download from {remote.url} is not a valid zip archive "
                    f"({exc}); nothing was saved. Try again, or use MLREF_DATA_MIRROR."
                ) from exc
            with archive:
                for name in names:
                    member = DATASETS[folder][name]
                    part_fd, part_name = tempfile.mkstemp(
                        dir=cache_dir, prefix=f".{name}-", suffix=".part"
                    )
                    os.close(part_fd)
                    part = pathlib.Path(part_name)
                    extracted.append((part, cache_dir / name))
                    try:
                        src = archive.open(member.member)
                    except KeyError as exc:
                        raise ChecksumError(
                            f"{name}: the archive {remote.url} has no member {member.member!r}; "
                            f"nothing was saved. Use MLREF_DATA_MIRROR with a verified copy."
                        ) from exc
                    with src, part.open("wb") as dst:
                        shutil.copyfileobj(src, dst, _CHUNK)
                    actual = md5_of(part)
                    if not member.matches(actual):
                        raise ChecksumError(
                            _checksum_message(
                                name,
                                f"{remote.url} (member {member.member})",
                                member.md5,
                                actual,
                                "The archive was corrupted or GroupLens changed it; nothing was "
                                "saved. Try again, or use MLREF_DATA_MIRROR with a verified copy.",
                            )
                        )
        for part, final in extracted:
            part.chmod(0o644)  # mkstemp creates 0600; cached data is not secret
            os.replace(part, final)
        extracted.clear()
    finally:
        for part, _ in extracted:
            part.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def fetch_files(
    folder: str,
    names: Iterable[str] | None = None,
    *,
    data_home: str | os.PathLike[str] | None = None,
    mirror: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
) -> dict[str, pathlib.Path]:
    """Return verified local paths of some files of a dataset (see the module docstring).

    Parameters
    ----------
    folder : str
        A key of :data:`DATASETS`, for example ``"ltr-letor4-mq2008"``.
    names : iterable of str, optional
        File names, as upstream (uncompressed). Default: all files of the dataset.
    data_home : str or path-like, optional
        Cache folder; see :func:`get_data_home`.
    mirror : str or path-like, optional
        Mirror folder; default: the ``MLREF_DATA_MIRROR`` environment variable.
    download_if_missing : bool, default True
        If False, never use the network.

    Returns
    -------
    dict of str to pathlib.Path
        ``{name: path}``; a path may end in ``.gz`` (read it with gzip, or with pandas/scikit-learn,
        which decompress by extension). Mirror files are returned in place.

    Raises
    ------
    ChecksumError
        A mirror file or a download does not match its MD5.
    DataUnavailableError
        A file is in neither the cache nor the mirror and could not be downloaded.
    """
    download_if_missing = check_bool(download_if_missing, "download_if_missing")
    if folder not in DATASETS:
        raise ValueError(f"unknown dataset folder {folder!r}; known: {sorted(DATASETS)}")
    names = [names] if isinstance(names, str) else names
    names = list(DATASETS[folder] if names is None else names)
    for name in names:
        _remote(folder, name)
    cache_dir = get_data_home(data_home) / folder
    if mirror is None:
        mirror = os.environ.get("MLREF_DATA_MIRROR") or None
    mirror_note = ""
    if mirror is not None and not pathlib.Path(mirror).expanduser().is_dir():
        mirror_note = (
            f" Note: the mirror folder {mirror} (MLREF_DATA_MIRROR or mirror=) does not exist; "
            f"point it at a folder holding {folder}/<file>, such as the course's shared/data."
        )
    found: dict[str, pathlib.Path] = {}
    missing: list[str] = []
    for name in names:
        path = _from_cache(folder, name, cache_dir)
        if path is None and mirror is not None:
            path = _from_mirror(folder, name, pathlib.Path(mirror).expanduser() / folder)
        if path is None:
            missing.append(name)
        else:
            found[name] = path
    if missing and not download_if_missing:
        mirror_part = f"not in the mirror {mirror}" if mirror is not None else "no mirror is set"
        raise _unavailable(
            folder,
            missing,
            cache_dir,
            f"not in the cache {cache_dir}, {mirror_part}, and download_if_missing=False."
            + mirror_note,
        )
    # Files that share one URL (the members of one zip archive) are downloaded together.
    by_url: dict[str, list[str]] = {}
    for name in missing:
        by_url.setdefault(DATASETS[folder][name].url, []).append(name)
    for group in by_url.values():
        try:
            _download(folder, group, cache_dir)
        except _NetworkError as exc:
            raise _unavailable(
                folder, missing, cache_dir, str(exc) + mirror_note
            ) from exc.__cause__
        for name in group:
            found[name] = cache_dir / name
    return {name: found[name] for name in names}


def fetch_file(
    folder: str,
    name: str,
    *,
    data_home: str | os.PathLike[str] | None = None,
    mirror: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
) -> pathlib.Path:
    """Return the verified local path of one file; see :func:`fetch_files`."""
    return fetch_files(
        folder, [name], data_home=data_home, mirror=mirror, download_if_missing=download_if_missing
    )[name]


def _from_cache(folder: str, name: str, cache_dir: pathlib.Path) -> pathlib.Path | None:
    remote = DATASETS[folder][name]
    for path in _candidates(cache_dir, name):
        try:
            ok = remote.matches(md5_of(path))
        except (OSError, EOFError):  # e.g. a truncated .gz
            ok = False
        if ok:
            return path
        with contextlib.suppress(OSError):
            path.unlink()  # corrupt: drop it and fetch again
    return None


def _from_mirror(folder: str, name: str, mirror_dir: pathlib.Path) -> pathlib.Path | None:
    remote = DATASETS[folder][name]
    expected = remote.md5
    for path in _candidates(mirror_dir, name):
        try:
            actual = md5_of(path)
        except (OSError, EOFError) as exc:
            actual = f"unreadable ({type(exc).__name__}: {exc})"
        if not remote.matches(actual):
            raise ChecksumError(
                _checksum_message(
                    name,
                    path,
                    expected,
                    actual,
                    f"The mirror copy is corrupt or a different version: replace it with a fresh "
                    f"copy of {DATASETS[folder][name].url}, or unset MLREF_DATA_MIRROR to "
                    f"download it.",
                )
            )
        return path
    return None
