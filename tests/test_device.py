"""train --device: auto resolves to what torch sees; cuda without CUDA is a one-line error."""
import pytest
import torch
from typer.testing import CliRunner

from beamnet_lava.cli import app

runner = CliRunner()
def test_train_device_cuda_without_cuda_is_one_line_and_cpu_is_the_default(tmp_path):
    from beamnet_lava.training import device
    assert device.resolve("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the no-CUDA error cannot be shown")
    r = runner.invoke(app, ["train", "--model", "ann", "--device", "cuda", "--out", str(tmp_path / "r")])
    assert r.exit_code == 1 and "torch sees no CUDA device" in r.output and len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()
    r = runner.invoke(app, ["train", "--model", "ann", "--device", "tpu", "--out", str(tmp_path / "r")])
    assert r.exit_code == 1 and "--device 'tpu'" in r.output
