"""Reading DVC files: both hash spellings, directories, and dvc.lock stages with their inputs."""

from datasets.dvc import choose_output, parse_dvc_file

DVC3 = """\
outs:
- md5: 3863d0e317dee0a55c4e59d2ec0eef33.dir
  size: 1900
  nfiles: 2
  hash: md5
  path: images
"""
NAMED_HASH = """\
outs:
- hash: a304afb96060aad90176268345e10355
  path: data.csv
"""


def test_a_directory_output_keeps_its_file_count():
    (output,) = parse_dvc_file(DVC3, filename="images.dvc")
    assert output.entry.path == "images" and output.entry.is_directory and output.entry.nfiles == 2
    assert output.entry.hash == "md5:3863d0e317dee0a55c4e59d2ec0eef33.dir"


def test_a_hash_given_under_hash_is_read_too():
    (output,) = parse_dvc_file(NAMED_HASH, filename="data.csv.dvc")
    assert output.entry.hash == "md5:a304afb96060aad90176268345e10355" and output.entry.size is None


def test_lock_commands_given_as_lists_are_joined():
    lock = "stages:\n  train:\n    cmd:\n    - python a.py\n    - python b.py\n    outs:\n    - path: m.pkl\n      md5: a304afb96060aad90176268345e10355\n"
    output = choose_output(parse_dvc_file(lock, filename="dvc.lock"), filename="dvc.lock", path="m.pkl")
    assert (output.stage, output.command, output.dependencies) == ("train", "python a.py && python b.py", ())
