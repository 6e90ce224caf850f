"""Training data: reading text files into records, tokenizers (all saved as tokenizer.json),
a memory-mapped token cache keyed by content, train/validation streams and batches, and a
dataset inspector for the web app."""

import importlib

# Names are imported on first use: the dataset and packing modules pull in PyTorch, which
# data recipes (ml.data.pipeline) and the feature store never need.
_EXPORTS = {
    "DataConfig": "ml.data.config",
    "IGNORE_INDEX": "ml.data.dataset",
    "BaseTokenizer": "ml.data.dataset",
    "PreparedData": "ml.data.dataset",
    "TokenStream": "ml.data.dataset",
    "load_bin": "ml.data.dataset",
    "prepare_data": "ml.data.dataset",
    "DataFormatError": "ml.data.errors",
    "ExampleStream": "ml.data.packing",
    "Columns": "ml.data.records",
    "Record": "ml.data.records",
    "iter_records": "ml.data.records",
    "DatasetReport": "ml.data.summary",
    "inspect_dataset": "ml.data.summary",
    "records_fit_method": "ml.data.summary",
    "RecordScores": "ml.data.scores",
    "read_scores": "ml.data.scores",
    "write_scores": "ml.data.scores",
    "EOS_TOKEN": "ml.data.tokenizer",
    "build_char_tokenizer": "ml.data.tokenizer",
    "tokenizer_from_json": "ml.data.tokenizer",
    "train_bpe_tokenizer": "ml.data.tokenizer",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ml.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "EOS_TOKEN",
    "IGNORE_INDEX",
    "BaseTokenizer",
    "Columns",
    "DataConfig",
    "DataFormatError",
    "DatasetReport",
    "ExampleStream",
    "PreparedData",
    "Record",
    "RecordScores",
    "TokenStream",
    "build_char_tokenizer",
    "inspect_dataset",
    "iter_records",
    "load_bin",
    "prepare_data",
    "read_scores",
    "records_fit_method",
    "tokenizer_from_json",
    "train_bpe_tokenizer",
    "write_scores",
]
