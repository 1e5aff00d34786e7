"""MovieLens "latest-small" (GroupLens, generated 2018-09-26): 100,836 ratings by 610 users."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from mlref.datasets._fetch import fetch_files

__all__ = ["MovieLens", "fetch_movielens_small"]

_FOLDER = "recsys-movielens-latest-small"


@dataclass(frozen=True)
class MovieLens:
    """The four tables of MovieLens latest-small.

    Attributes
    ----------
    ratings : pandas.DataFrame
        100,836 rows: ``userId`` (int64), ``movieId`` (int64), ``rating`` (float64, 0.5 to 5.0 in
        half stars), ``timestamp`` (int64, Unix seconds, as in the file) and ``datetime``
        (``datetime64``, the timestamp in UTC, timezone-naive).
    movies : pandas.DataFrame
        9,742 rows: ``movieId`` (int64), ``title`` (str, with the year in parentheses) and
        ``genres`` (str, pipe-separated as in the file, for example
        ``"Adventure|Animation|Children"``; ``"(no genres listed)"`` when there are none). Split it
        with ``movies["genres"].str.split("|")`` or one-hot encode it with
        ``movies["genres"].str.get_dummies("|")``.
    tags : pandas.DataFrame
        3,683 rows: ``userId``, ``movieId``, ``tag`` (free text), ``timestamp``, ``datetime``.
    links : pandas.DataFrame
        9,742 rows: ``movieId`` (int64), ``imdbId`` (str, 7 digits with leading zeros, as in
        ``https://www.imdb.com/title/tt<imdbId>/``) and ``tmdbId`` (nullable ``Int64``; 8 missing).
    """

    ratings: pd.DataFrame = field(repr=False)
    movies: pd.DataFrame = field(repr=False)
    tags: pd.DataFrame = field(repr=False)
    links: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"MovieLens(ratings={len(self.ratings):,} rows, movies={len(self.movies):,}, "
            f"tags={len(self.tags):,}, links={len(self.links):,})"
        )


def _with_datetime(frame: pd.DataFrame) -> pd.DataFrame:
    frame["datetime"] = pd.to_datetime(frame["timestamp"], unit="s")
    return frame


def fetch_movielens_small(
    *,
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
) -> MovieLens:
    """Load MovieLens latest-small: ratings, movies, tags and links of 610 users and 9,742 movies.

    The upstream source is GroupLens' ``ml-latest-small.zip``; its four CSV members are extracted
    into the cache and verified by MD5. GroupLens calls this set a development sample that "may
    change over time"; it is not a fixed benchmark. Cite Harper & Konstan, ACM TiiS 5(4), 2015.

    Parameters
    ----------
    data_home : str or path-like, optional
        Cache folder; default ``MLREF_DATA_HOME`` or ``~/.cache/mlref``.
    download_if_missing : bool, default True
        If False, raise :class:`~mlref.datasets.DataUnavailableError` instead of downloading.

    Returns
    -------
    MovieLens
        A frozen dataclass with DataFrames ``ratings``, ``movies``, ``tags`` and ``links``; see
        :class:`MovieLens` for the columns.

    Examples
    --------
    >>> ml = fetch_movielens_small()  # doctest: +SKIP
    >>> ml.ratings.shape, ml.ratings["userId"].nunique()  # doctest: +SKIP
    ((100836, 5), 610)
    """
    paths = fetch_files(
        _FOLDER,
        ["ratings.csv", "movies.csv", "tags.csv", "links.csv"],
        data_home=data_home,
        download_if_missing=download_if_missing,
    )
    ints = {"userId": "int64", "movieId": "int64", "timestamp": "int64"}
    # ratings.csv has CRLF line endings; the C parser treats "\r\n" as one line break.
    ratings = pd.read_csv(paths["ratings.csv"], dtype={**ints, "rating": "float64"})
    tags = pd.read_csv(paths["tags.csv"], dtype={**ints, "tag": "str"}, keep_default_na=False)
    movies = pd.read_csv(
        paths["movies.csv"],
        dtype={"movieId": "int64", "title": "str", "genres": "str"},
        keep_default_na=False,
    )
    links = pd.read_csv(
        paths["links.csv"], dtype={"movieId": "int64", "imdbId": "str", "tmdbId": "Int64"}
    )
    return MovieLens(
        ratings=_with_datetime(ratings), movies=movies, tags=_with_datetime(tags), links=links
    )
