"""Small helpers shared by tests."""
import shutil

import h5py


def edited_copy(src, tmp_path, edit, name="edited.net"):
    """Copy an HDF5 file and apply ``edit(h5py.File)`` to the copy."""
    path = tmp_path / name
    shutil.copy(src, path)
    with h5py.File(path, "r+") as f:
        edit(f)
    return path
