"""Packaged GGUF models: assembled from fake part packages in tmp folders, and the real parts."""

from __future__ import annotations

import hashlib
import importlib
import os
import struct
import threading
from pathlib import Path

import pytest

from bot import model_files
from bot.cli import main
from bot.model_files import (
    MODELS,
    QWEN25_CODER_15B,
    ModelFileError,
    SplitModel,
    cache_dir,
    model_path,
)

PART_SIZES = (3000, 3000, 1234)


def write_parts(root: Path, prefix: str, sizes=PART_SIZES, files_per_part: int = 1) -> list[bytes]:
    """Part packages `{prefix}{n}/data/part*.bin` under `root`; returns each part's bytes."""
    contents = []
    for n, size in enumerate(sizes, 1):
        data = (root / f"{prefix}{n}") / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        content = hashlib.sha256(f"{prefix}{n}".encode()).digest() * (size // 32 + 1)
        content = content[:size]
        # Several files per part are concatenated in name order.
        cut = size // files_per_part
        for i in range(files_per_part):
            end = size if i == files_per_part - 1 else (i + 1) * cut
            (data / f"part{n:02d}_{i}.bin").write_bytes(content[i * cut : end])
        contents.append(content)
    return contents


def split_model(prefix: str, contents: list[bytes], **changes) -> SplitModel:
    whole = b"".join(contents)
    fields = dict(
        name="fake-model",
        description="a fake split model",
        filename="fake.gguf",
        module=prefix + "{n}",
        distribution=prefix.replace("_", "-") + "{n}",
        version="0.2.0",
        parts=tuple((len(c), hashlib.sha256(c).hexdigest()) for c in contents),
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
    )
    fields.update(changes)
    return SplitModel(**fields)


@pytest.fixture
def parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    """Fake part packages on sys.path, a unique module prefix per test, and an empty cache."""
    prefix = f"fake_{abs(hash(request.node.name)) % 10**8}_part"
    root = tmp_path / "site"
    contents = write_parts(root, prefix)
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return prefix, root, contents, tmp_path / "cache"


def leftovers(cache: Path) -> list[str]:
    """Files in the cache other than the lock (no temp file, no half file may stay)."""
    if not cache.exists():
        return []
    return sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock"))


def test_parts_are_assembled_in_order_verified_and_recorded(parts) -> None:
    prefix, _, contents, cache = parts
    model = split_model(prefix, contents)

    fetched = model.fetch(cache)

    assert fetched.assembled and fetched.path == cache / "fake.gguf"
    assert fetched.path.read_bytes() == b"".join(contents)
    assert leftovers(cache) == ["fake.gguf", "fake.gguf.verified.json"]
    assert fetched.path.stat().st_mode & 0o777 == 0o644
    assert model.status(cache) == "ready"


def test_several_files_in_a_part_are_concatenated_by_name(tmp_path, monkeypatch) -> None:
    contents = write_parts(tmp_path / "site", "multi_file_part", files_per_part=3)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    fetched = split_model("multi_file_part", contents).fetch(tmp_path / "cache")
    assert fetched.path.read_bytes() == b"".join(contents)


def test_a_verified_file_is_reused_without_hashing(parts, monkeypatch) -> None:
    prefix, _, contents, cache = parts
    model = split_model(prefix, contents)
    model.fetch(cache)

    def no_hashing(*args):
        raise AssertionError("the verified file was read again")

    monkeypatch.setattr(model_files, "_blocks", no_hashing)
    again = model.fetch(cache)
    assert not again.assembled and again.path.read_bytes() == b"".join(contents)


def test_a_changed_file_is_assembled_again(parts) -> None:
    prefix, _, contents, cache = parts
    model = split_model(prefix, contents)
    path = model.fetch(cache).path
    damaged = bytearray(path.read_bytes())
    damaged[100] ^= 0xFF
    path.write_bytes(bytes(damaged))  # same size, new mtime: the sidecar no longer vouches

    again = model.fetch(cache)

    assert again.assembled and path.read_bytes() == b"".join(contents)


def test_a_good_file_without_sidecar_is_hashed_once(parts) -> None:
    prefix, _, contents, cache = parts
    model = split_model(prefix, contents)
    cache.mkdir()
    (cache / "fake.gguf").write_bytes(b"".join(contents))  # e.g. copied from another machine
    fetched = model.fetch(cache)
    assert not fetched.assembled and model.status(cache) == "ready"


def test_a_missing_part_package_is_named_with_the_install_command(parts) -> None:
    prefix, root, contents, cache = parts
    (root / f"{prefix}2" / "__init__.py").unlink()
    (root / f"{prefix}2" / "data" / "part02_0.bin").unlink()
    (root / f"{prefix}2" / "data").rmdir()
    (root / f"{prefix}2").rmdir()
    importlib.invalidate_caches()
    model = split_model(prefix, contents)

    with pytest.raises(ModelFileError) as raised:
        model.fetch(cache)

    message = str(raised.value)
    dist = prefix.replace("_", "-")
    assert "1 of 3 parts are not installed" in message
    assert f"pip install {dist}2==0.2.0" in message
    assert f"{dist}1" not in message
    assert leftovers(cache) == []


def test_a_part_without_data_or_short_is_named(parts) -> None:
    prefix, root, contents, cache = parts
    (root / f"{prefix}1" / "data" / "part01_0.bin").unlink()
    short = root / f"{prefix}3" / "data" / "part03_0.bin"
    short.write_bytes(short.read_bytes()[:-10])
    model = split_model(prefix, contents)

    with pytest.raises(ModelFileError) as raised:
        model.fetch(cache)

    message = str(raised.value)
    dist = prefix.replace("_", "-")
    assert f"{dist}1 has no data/part*.bin" in message
    assert f"{dist}3 holds 1,224 bytes, not 1,234" in message
    assert f"pip install --force-reinstall --no-cache-dir {dist}1==0.2.0 {dist}3==0.2.0" in message
    assert leftovers(cache) == []


def test_a_damaged_part_is_named_and_nothing_is_left(parts) -> None:
    prefix, root, contents, cache = parts
    part = root / f"{prefix}2" / "data" / "part02_0.bin"
    part.write_bytes(bytes(len(contents[1])))  # right size, wrong bytes
    model = split_model(prefix, contents)

    with pytest.raises(ModelFileError, match=rf"{prefix.replace('_', '-')}2 is damaged"):
        model.fetch(cache)
    assert leftovers(cache) == []


def test_a_wrong_checksum_leaves_no_file(parts) -> None:
    prefix, _, contents, cache = parts
    model = split_model(prefix, contents, sha256="0" * 64)

    with pytest.raises(ModelFileError, match="expected 0000"):
        model.fetch(cache)
    assert leftovers(cache) == []


def test_a_bad_cached_file_is_removed_even_when_parts_are_missing(parts) -> None:
    prefix, _, contents, cache = parts
    model = split_model(prefix, contents, module="not_installed_part{n}")
    cache.mkdir()
    (cache / "fake.gguf").write_bytes(b"x" * model.size)

    with pytest.raises(ModelFileError, match="3 of 3 parts are not installed"):
        model.fetch(cache)
    assert leftovers(cache) == []


def test_concurrent_fetches_assemble_once(parts) -> None:
    prefix, _, contents, cache = parts
    model = split_model(prefix, contents)
    results: list = []
    threads = [
        threading.Thread(target=lambda: results.append(model.fetch(cache))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(results) == 4 and sum(r.assembled for r in results) == 1
    assert (cache / "fake.gguf").read_bytes() == b"".join(contents)
    assert leftovers(cache) == ["fake.gguf", "fake.gguf.verified.json"]


def test_temp_files_are_unique_and_a_killed_writers_are_removed(parts, monkeypatch) -> None:
    prefix, _, contents, cache = parts
    model = split_model(prefix, contents)
    cache.mkdir()
    stale = cache / ".fake.gguf.killed1234.tmp"  # a writer killed mid-file
    stale.write_bytes(b"half")
    moved: list[str] = []
    real_replace = os.replace

    def recording_replace(src, dst):
        moved.append(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr(model_files.os, "replace", recording_replace)
    model.fetch(cache)
    model.fetch(cache, verify=True)  # hashes it again; reuses it
    (cache / "fake.gguf.verified.json").unlink()
    (cache / "fake.gguf").unlink()
    model.fetch(cache)

    temps = [name for name in moved if name.endswith(".gguf.tmp") or ".fake.gguf." in name]
    temps = [name for name in temps if "verified" not in name]
    assert len(temps) == 2 and temps[0] != temps[1]
    assert all(name.startswith(".fake.gguf.") for name in temps)
    assert not stale.exists()


def test_cache_dir_follows_the_setting_then_xdg(monkeypatch, tmp_path) -> None:
    assert cache_dir(tmp_path / "mine") == tmp_path / "mine"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "diplobot" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "diplobot" / "models"


def test_model_path_takes_a_file_or_a_registered_name(tmp_path) -> None:
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    assert model_path(str(gguf), tmp_path) == gguf
    with pytest.raises(ModelFileError) as raised:
        model_path(str(tmp_path / "nowhere.gguf"), tmp_path)
    assert "nowhere.gguf" in str(raised.value)
    assert "gemma3-270m" in str(raised.value) and "qwen2.5-coder-1.5b" in str(raised.value)


def test_the_models_command(parts, monkeypatch, capsys) -> None:
    prefix, _, contents, cache = parts
    fake = split_model(prefix, contents)
    broken = split_model(
        prefix, contents, name="broken", filename="broken.gguf", module="absent_part{n}"
    )
    monkeypatch.setattr(model_files, "MODELS", {"fake-model": fake, "broken": broken})
    monkeypatch.setenv("DIPLOBOT_MODEL_CACHE", str(cache))

    assert main(["models", "list"]) == 0
    assert "fake-model" in capsys.readouterr().out
    # Default: every model with a package installed (not `broken`); exit 0.
    assert main(["models", "fetch"]) == 0
    out = capsys.readouterr().out
    assert "fake-model:" in out and "assembled and verified" in out and "broken" not in out
    assert main(["models", "path", "fake-model"]) == 0
    assert capsys.readouterr().out.strip() == str(cache / "fake.gguf")
    assert main(["models", "fetch", "broken"]) == 1
    assert "not installed" in capsys.readouterr().err
    assert main(["models", "path", "nothing"]) == 2
    assert "registered: fake-model, broken" in capsys.readouterr().err


def test_the_real_qwen_parts_match_the_pins() -> None:
    # Hashes the installed parts (1.1 GB read, nothing written); the `local` extra has them.
    model = QWEN25_CODER_15B
    try:
        files = model.part_files()
    except ModelFileError as error:
        pytest.skip(f"the Qwen parts are not installed ({error})"[:200])
    assert MODELS["qwen2.5-coder-1.5b"] is model
    whole = hashlib.sha256()
    for (_, sha), part_files in zip(model.parts, files, strict=True):
        part = hashlib.sha256()
        for block in model_files._blocks(part_files):
            part.update(block)
            whole.update(block)
        assert part.hexdigest() == sha
    assert whole.hexdigest() == model.sha256 and sum(s for s, _ in model.parts) == model.size
    with files[0][0].open("rb") as first:
        magic, version, _, _ = struct.unpack("<4sIQQ", first.read(24))
        header = first.read(4096)
    assert (magic, version) == (b"GGUF", 3)
    assert b"Qwen2.5 Coder 1.5B Instruct GGUF" in header and b"qwen2" in header
