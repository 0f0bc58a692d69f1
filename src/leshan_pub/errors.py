"""The exception hierarchy: every error a user can cause or fix is a LeshanPubError."""


class LeshanPubError(Exception):
    """A problem the user can act on; the CLI prints it on one line and exits 1."""


class InputError(LeshanPubError):
    """A source article that cannot be read (missing, empty, binary, wrong encoding)."""


class GlossaryError(LeshanPubError):
    """A glossary file that is malformed or inconsistent."""


class SegmentFileError(LeshanPubError):
    """A segment file that is malformed, or that would lose reviewed work if written."""


class ModelUnavailableError(LeshanPubError):
    """A translation model that cannot be loaded from the hub or a local folder."""


class EngineError(LeshanPubError):
    """An unknown engine name or an engine that failed in a way the user can fix."""


class PublishError(LeshanPubError):
    """A document that cannot be typeset (no usable font, a glyph no font has, ...)."""


class TranslationMemoryError(LeshanPubError):
    """A translation-memory (TMX) file that cannot be read, or an update it refuses."""


class ProjectError(LeshanPubError):
    """A project settings file (leshan-pub.toml) that is missing, malformed or has a bad value."""


class ProvenanceError(LeshanPubError):
    """A provenance signature (how a segment's English was made) that cannot be read."""


class WriteError(LeshanPubError, OSError):
    """A file that could not be written (disk full, read-only, no permission); the old one is left whole.

    An OSError too, with the errno of the failure: code that meets a write it may do without (a cache)
    goes on as before."""
