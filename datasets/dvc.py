"""Reading DVC's ``.dvc`` and ``dvc.lock`` files: the outputs they track, and a stage's inputs.

A ``.dvc`` file lists ``outs`` (``path``, ``md5`` or ``hash``, ``size``, and
``nfiles`` for a directory); ``dvc.lock`` lists ``stages``, each with its
``cmd``, ``deps`` and ``outs`` in the same shape. Both are YAML and read with
``yaml.safe_load`` only. Every problem is a ``DvcFileError`` whose message names
the file and what is wrong with it.
"""

import re
from dataclasses import dataclass

import yaml

MAX_DVC_FILE_BYTES = 1_000_000
HEX_DIGEST = re.compile(r"^[0-9a-f]{32,128}(\.dir)?$")


class DvcFileError(ValueError):
    """The file is not a DVC file Custos can read; the message says why."""


@dataclass(frozen=True)
class DvcEntry:
    """One tracked file or directory: its path, hash (``md5:…``), size and file count."""

    path: str
    hash: str
    size: int | None
    nfiles: int | None = None

    @property
    def is_directory(self) -> bool:
        return self.hash.endswith(".dir")


@dataclass(frozen=True)
class DvcOutput:
    """An output, with the stage that produced it (empty for a ``.dvc`` file) and that stage's inputs."""

    entry: DvcEntry
    stage: str = ""
    command: str = ""
    dependencies: tuple[DvcEntry, ...] = ()


def _entry(raw, *, filename: str, where: str) -> DvcEntry:
    if not isinstance(raw, dict):
        raise DvcFileError(f"{where} in {filename} is not a mapping with path, md5 and size.")
    path = raw.get("path")
    if not isinstance(path, str) or not path.strip():
        raise DvcFileError(f"{where} in {filename} has no path.")
    algorithm, digest = "md5", raw.get("md5")
    if digest is None:
        # DVC 3 may record the hash under its algorithm's name, with `hash:` naming the algorithm.
        named = raw.get("hash")
        if isinstance(named, str) and isinstance(raw.get(named), str):
            algorithm, digest = named, raw[named]
        elif isinstance(named, str) and HEX_DIGEST.match(named):
            digest = named
    if not isinstance(digest, str) or not HEX_DIGEST.match(digest.strip()):
        raise DvcFileError(f"Output {path!r} in {filename} has no md5 hash DVC would write.")
    size = raw.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise DvcFileError(f"Output {path!r} in {filename} has a size that is not a whole number of bytes: {size!r}.")
    nfiles = raw.get("nfiles")
    if nfiles is not None and (isinstance(nfiles, bool) or not isinstance(nfiles, int) or nfiles < 0):
        raise DvcFileError(f"Output {path!r} in {filename} has a file count that is not a whole number: {nfiles!r}.")
    return DvcEntry(path=path.strip(), hash=f"{algorithm}:{digest.strip()}", size=size, nfiles=nfiles)


def _entries(raw, *, filename: str, label: str, required: bool) -> list[DvcEntry]:
    if raw is None and not required:
        return []
    if not isinstance(raw, list) or (required and not raw):
        raise DvcFileError(f"{filename} holds no {label} list: is it a DVC file?")
    noun = "Output" if label == "outs" else "Dependency"
    return [_entry(item, filename=filename, where=f"{noun} {number}") for number, item in enumerate(raw, start=1)]


def _load(content: bytes | str, filename: str):
    if len(content) > MAX_DVC_FILE_BYTES:
        raise DvcFileError(f"{filename} is larger than a DVC file can be ({MAX_DVC_FILE_BYTES:,} bytes at most).")
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError:
            raise DvcFileError(f"{filename} is not UTF-8 text.") from None
    try:
        document = yaml.safe_load(content)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or "it cannot be parsed"
        raise DvcFileError(f"{filename} is not valid YAML{where}: {problem}.") from None
    if not isinstance(document, dict):
        raise DvcFileError(f"{filename} is not a DVC file: it does not hold a YAML mapping.")
    return document


def is_lock_file(filename: str) -> bool:
    """Return whether ``filename`` names a ``dvc.lock`` (rather than a ``.dvc`` file)."""
    return filename.rsplit("/", 1)[-1] == "dvc.lock"


def parse_dvc_file(content: bytes | str, *, filename: str) -> list[DvcOutput]:
    """Return the outputs of a ``.dvc`` file or a ``dvc.lock`` (chosen by ``filename``)."""
    document = _load(content, filename)
    if not is_lock_file(filename):
        return [DvcOutput(entry=entry) for entry in _entries(document.get("outs"), filename=filename, label="outs", required=True)]
    stages = document.get("stages")
    if not isinstance(stages, dict) or not stages:
        raise DvcFileError(f"{filename} holds no stages: is it a dvc.lock file?")
    outputs: list[DvcOutput] = []
    for stage_name, stage in stages.items():
        if not isinstance(stage, dict):
            raise DvcFileError(f"Stage {stage_name!r} in {filename} is not a mapping with cmd, deps and outs.")
        command = stage.get("cmd", "")
        if isinstance(command, list):
            command = " && ".join(str(part) for part in command)
        dependencies = tuple(_entries(stage.get("deps"), filename=filename, label="deps", required=False))
        for entry in _entries(stage.get("outs"), filename=filename, label="outs", required=False):
            outputs.append(DvcOutput(entry=entry, stage=str(stage_name), command=str(command), dependencies=dependencies))
    if not outputs:
        raise DvcFileError(f"{filename} has no stage with outputs.")
    return outputs


def choose_output(outputs: list[DvcOutput], *, filename: str, path: str = "") -> DvcOutput:
    """Return the output at ``path``, or the only one; raise DvcFileError naming the choices otherwise."""
    if path:
        for output in outputs:
            if output.entry.path == path.strip():
                return output
        listed = ", ".join(output.entry.path for output in outputs)
        raise DvcFileError(f"{filename} has no output {path!r}; its outputs are: {listed}.")
    if len(outputs) == 1:
        return outputs[0]
    listed = ", ".join(output.entry.path for output in outputs)
    raise DvcFileError(f"{filename} has {len(outputs)} outputs ({listed}): say which one this version is.")
