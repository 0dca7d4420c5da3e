import json
from pathlib import Path

import pytest
import yaml

from beamnet_lava import config
from beamnet_lava.errors import BeamnetError


def test_defaults_are_valid_and_round_trip():
    c = config.SNNConfig()
    assert config.from_dict(c.to_dict()) == c


@pytest.mark.parametrize("overrides, needle", [
    ({"model": "transformer"}, "model"),
    ({"dataset": "imagenet"}, "dataset"),
    ({"current_decay": 1.5}, "current_decay"),
    ({"threshold": 5000.0}, "vThMant"),
    ({"threshold": 0.0}, "vThMant"),
    ({"epochs": 0}, "epochs"),
    ({"hidden": (0,)}, "hidden"),
    ({"split": (0.5, 0.5, 0.5)}, "split"),
    ({"true_rate": 0.01}, "true_rate"),
])
def test_bad_values_are_rejected_with_the_key_named(overrides, needle):
    with pytest.raises(BeamnetError, match=needle):
        config.SNNConfig().replace(**overrides)


def test_yaml_and_json_files(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("epochs: 3\nhidden: [32, 16]\n")
    c = config.load(y)
    assert c.epochs == 3 and c.hidden == (32, 16)
    j = tmp_path / "c.json"
    j.write_text(json.dumps({"epochs": 4, "colour": "red"}))
    with pytest.raises(BeamnetError, match="unknown key.*colour"):
        config.load(j)
    with pytest.raises(BeamnetError, match="does not exist"):
        config.load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("epochs: [1\n")
    with pytest.raises(BeamnetError, match="could not be parsed"):
        config.load(bad)


def test_set_reads_exponent_floats():
    # YAML 1.1 would read "2e-4" as a string; --set must give the number
    assert config.parse_override("lr=2e-4") == ("lr", 2e-4)
    assert config.parse_override("encoding=latency") == ("encoding", "latency")
    assert config.parse_override("train_weights=true") == ("train_weights", True)


def test_shipped_config_presets_load():
    presets = sorted((Path(__file__).parents[1] / "configs").glob("*.yaml"))
    assert len(presets) >= 2
    for path in presets:
        cfg = config.load(path)
        assert isinstance(cfg, config.config_class(cfg.model)), path
        for key, value in yaml.safe_load(path.read_text()).items():   # every value reached the config
            assert cfg.to_dict()[key] == value, (path, key)
