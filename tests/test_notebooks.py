"""The notebooks are stored without outputs (CI executes them: `make test-notebooks`)."""
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_walkthroughs_exist():
    names = [p.stem for p in NOTEBOOKS]
    assert names[:6] == ["01_quickstart", "02_beamnet", "03_energy", "04_event_data", "05_brf",
                         "06_deployment"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs; run nbstripout on it"
            assert cell.execution_count is None, f"{path.name}: execution counts are committed"
