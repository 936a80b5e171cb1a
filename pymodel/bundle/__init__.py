"""Compiled bundles: manifest, $readmemh images and APB programming records (docs/bundle.md)."""

from pymodel.bundle.bundle import (
    MANIFEST,
    SCHEMA,
    Bundle,
    MemorySpec,
    Region,
    RegisterWrite,
    check_records,
    load_bundle,
    read_prog,
    write_prog,
)
from pymodel.bundle.hexio import chunks_to_lanes, lanes_to_chunks, parse_image, words_to_chunks

__all__ = ["Bundle", "MANIFEST", "MemorySpec", "Region", "RegisterWrite", "SCHEMA", "check_records",
           "chunks_to_lanes", "lanes_to_chunks", "load_bundle", "parse_image", "read_prog", "words_to_chunks",
           "write_prog"]
