"""Pair discovery in every layout, and clear reports of bad files."""
import numpy as np
import pytest
from PIL import Image

from core.data.dataset import PairDataset, split_train_val
from core.data.tensors import downscale
from core.config import DataConfig
from core.data.pairs import DataError, discover


def test_gopro_layout(make_gopro):
    root = make_gopro(scenes=2, per_scene=2, test_scenes=1)
    ps = discover(root)
    assert ps.layout == "gopro" and not ps.problems
    assert {k: len(v) for k, v in ps.splits().items()} == {"train": 4, "test": 2}
    assert all(p.blur.parent.name == "blur" and p.sharp.parent.name == "sharp" for p in ps.pairs)
    assert {p.scene for p in ps.pairs} == {"GOPR0000_train", "GOPR0001_train", "GOPR0000_test"}
    assert ps.pairs[0].size == (64, 48)


def test_flat_layout_reports_unmatched_unreadable_and_mismatched(make_flat):
    root = make_flat(n=3)
    (root / "blur" / "only_blur.png").write_bytes((root / "blur" / "img00.png").read_bytes())
    (root / "blur" / "notes.png").write_text("I am a text file")
    (root / "sharp" / "notes.png").write_text("me too")
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(root / "blur" / "small.png")
    Image.fromarray(np.zeros((12, 10, 3), np.uint8)).save(root / "sharp" / "small.png")
    ps = discover(root)
    assert ps.layout == "flat" and len(ps.pairs) == 3
    msgs = {p.path.name: p.message for p in ps.problems}
    assert "no sharp image named only_blur.png" in msgs["only_blur.png"]
    assert "not a readable image" in msgs["notes.png"]
    assert "size 10x10 differs" in msgs["small.png"]


def test_realblur_lists(tmp_path, make_flat):
    root = make_flat(n=2, name="realblur")
    (root / "RealBlur_J_train_list.txt").write_text(
        "sharp/img00.png blur/img00.png\nsharp/img01.png blur/img01.png\nsharp/gone.png blur/gone.png\n")
    # blur/ and sharp/ exist too, but list files describe RealBlur; flat wins only without lists
    (root / "blur").rename(root / "blurred")
    text = (root / "RealBlur_J_train_list.txt").read_text().replace("blur/", "blurred/")
    (root / "RealBlur_J_train_list.txt").write_text(text)
    ps = discover(root)
    assert ps.layout == "realblur" and len(ps.pairs) == 2 and ps.pairs[0].split == "train"
    assert any("gone.png" in str(p.path) and "missing" in p.message for p in ps.problems)


def test_empty_and_missing_folders(tmp_path):
    with pytest.raises(DataError, match="folder not found"):
        discover(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    assert discover(tmp_path / "empty").layout == "empty"


def test_split_holds_whole_scenes_apart_and_is_seeded(make_gopro):
    ps = discover(make_gopro(scenes=4, per_scene=2))
    train, val = split_train_val(ps, 0.25, seed=1)
    assert len(val) == 2 and len(train) == 6
    assert not {p.scene for p in val} & {p.scene for p in train}
    assert all(p.split == "train" for p in train + val)  # the test split stays for evaluation
    assert split_train_val(ps, 0.25, seed=1) == (train, val)


def test_resize_keeps_aspect_and_crops_are_seeded(make_flat):
    import torch
    t = downscale(torch.rand(3, 720, 1280), 640)
    assert t.shape == (3, 360, 640)  # the report's 1280x720 -> 640x360
    assert downscale(torch.rand(3, 40, 50), 640).shape == (3, 40, 50)  # never enlarged
    ps = discover(make_flat(n=2, size=(80, 96)))
    ds = PairDataset(ps.pairs, DataConfig(crop=32, max_side=None), train=True, seed=3)
    ds.set_epoch(1)
    a = ds[0]
    assert a[0].shape == (3, 32, 32) and torch.equal(ds[0][0], a[0])
    ds.set_epoch(2)
    assert not torch.equal(ds[0][0], a[0])  # a new epoch sees new crops
    val = PairDataset(ps.pairs, DataConfig(max_side=None), train=False)
    assert val[0][0].shape == (3, 80, 96)


def _parent_of_a_pair_set(tmp_path, make_flat):
    """X/levin2009/{blur,sharp}: the parent a user opens by mistake (issue 26)."""
    parent = tmp_path / "X"
    parent.mkdir()
    make_flat(n=3).rename(parent / "levin2009")
    return parent


def test_parent_of_a_pair_set_names_it_and_warns_about_blur_taken_as_sharp(tmp_path, make_flat):
    from core.data.layouts import find_pair_sets

    parent = _parent_of_a_pair_set(tmp_path, make_flat)
    ps = discover(parent)
    assert ps.layout == "sharp-only" and len(ps.pairs) == 6  # still readable, but not silently
    assert ps.nested == [parent / "levin2009"]
    warnings = [p for p in ps.problems if p.warning]
    assert any(p.path == parent and "levin2009" in p.message for p in warnings)
    blur_warning = next(p for p in warnings if p.path == parent / "levin2009" / "blur")
    assert "3 photo(s)" in blur_warning.message and "'blur'" in blur_warning.message
    assert "2 warning(s)" in ps.summary() and "levin2009" in ps.summary()
    assert discover(parent / "levin2009").nested == []  # a pair set itself: nothing to offer


def test_pair_sets_two_levels_down_are_found_once_and_deeper_ones_not(tmp_path, make_gopro):
    from core.data.layouts import find_pair_sets

    root = make_gopro(scenes=2, per_scene=1)
    holder = tmp_path / "home"
    (holder / "downloads").mkdir(parents=True)
    root.rename(holder / "downloads" / "GOPRO_Large")
    # offered once, not once per scene
    assert find_pair_sets(holder) == [holder / "downloads" / "GOPRO_Large"]
    ps = discover(holder)
    assert ps.layout == "sharp-only" and ps.nested == [holder / "downloads" / "GOPRO_Large"]
    (holder / "a" / "b").mkdir(parents=True)
    (holder / "downloads" / "GOPRO_Large").rename(holder / "a" / "b" / "GOPRO_Large")
    assert find_pair_sets(holder) == []  # three levels down: too far to guess


def test_folder_named_like_blurred_photos_is_never_taken_as_sharp_silently(tmp_path):
    for name in ("blur", "Input"):
        d = tmp_path / name
        d.mkdir()
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(d / "a.png")
        ps = discover(d)
        assert ps.layout == "sharp-only"
        assert [p.path for p in ps.problems if p.warning] == [d]
        assert f"'{name}'" in ps.problems[0].message
    plain = tmp_path / "holiday"
    plain.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(plain / "a.png")
    assert discover(plain).problems == []  # ordinary photo folders get no warning


def test_not_a_data_set_says_what_it_holds_and_what_is_accepted(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    ps = discover(empty)
    assert not ps.is_dataset
    assert "empty is not a data set: the folder is empty" in ps.summary()
    texts = tmp_path / "notes"
    texts.mkdir()
    for n in ("a.txt", "b.txt", "c.csv"):
        (texts / n).write_text("x")
    s = discover(texts).summary()
    assert "none of its 3 file(s) is an image (.txt ×2, .csv)" in s
    for layout in ("blur/ and sharp/", "GoPro", "_list.txt", "sharp photos"):
        assert layout in s
    assert "usable pairs" not in s


def test_cli_train_on_the_parent_of_a_pair_set_asks_did_you_mean(tmp_path, make_flat, capsys):
    from core.cli import main

    parent = _parent_of_a_pair_set(tmp_path, make_flat)
    rc = main(["train", "--data", str(parent), "--out", str(tmp_path / "run"), "--epochs", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and f"did you mean {parent / 'levin2009'}?" in err
    assert not (tmp_path / "run").exists()  # refused before any run folder is made
