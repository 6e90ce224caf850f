"""Training data: reading text files into records, tokenizers (all saved as tokenizer.json),
a memory-mapped token cache keyed by content, train/validation streams and batches, and a
dataset inspector for the web app."""

from ml.data.config import DataConfig
from ml.data.dataset import (
    IGNORE_INDEX,
    BaseTokenizer,
    PreparedData,
    TokenStream,
    load_bin,
    prepare_data,
)
from ml.data.errors import DataFormatError
from ml.data.packing import ExampleStream
from ml.data.records import Columns, Record, iter_records
from ml.data.summary import DatasetReport, inspect_dataset, records_fit_method
from ml.data.tokenizer import (
    EOS_TOKEN,
    build_char_tokenizer,
    tokenizer_from_json,
    train_bpe_tokenizer,
)

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
    "TokenStream",
    "build_char_tokenizer",
    "inspect_dataset",
    "iter_records",
    "load_bin",
    "prepare_data",
    "records_fit_method",
    "tokenizer_from_json",
    "train_bpe_tokenizer",
]
