"""A Marian model's tokenizer read with sentencepiece alone: the part of transformers' MarianTokenizer the engines use.

It reads the model folder's source.spm, target.spm, vocab.json (target_vocab.json with separate
vocabularies) and tokenizer_config.json, and does what transformers 5's MarianTokenizer (a slow
PreTrainedTokenizer) does with them: split the text on the special tokens, take a leading >>xx<<
language code off each part, encode the rest with the source (or, for text_target, the target)
SentencePiece model, look each piece up in vocab.json (<unk> when absent), cut to max_length and
end with </s>. tests/test_marian_tokenizer.py compares the two on many strings. It lets the
ctranslate2 engine translate with an already-converted model when neither torch nor transformers
is installed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

import sentencepiece

_UNDERLINE = "\u2581"
# MarianTokenizer's defaults, which tokenizer_config.json may override.
_DEFAULTS = {"unk_token": "<unk>", "eos_token": "</s>", "pad_token": "<pad>", "model_max_length": 512}


def _text(token: Any) -> str:
    """A special token's text, whether tokenizer_config.json writes it as a string or as an AddedToken dict."""
    return str(token["content"]) if isinstance(token, dict) else str(token)


def _json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


class MarianSentencePieceTokenizer:
    """The model's pieces and ids, as transformers' MarianTokenizer makes them (the subset the engines call)."""

    def __init__(self, folder: Path) -> None:
        config_path = folder / "tokenizer_config.json"
        config: dict[str, Any] = _json(config_path) if config_path.is_file() else {}
        self.separate_vocabs = bool(config.get("separate_vocabs", False))
        self.encoder: dict[str, int] = _json(folder / "vocab.json")
        self.unk_token = _text(config.get("unk_token") or _DEFAULTS["unk_token"])
        self.eos_token = _text(config.get("eos_token") or _DEFAULTS["eos_token"])
        self.pad_token = _text(config.get("pad_token") or _DEFAULTS["pad_token"])
        if self.unk_token not in self.encoder:
            raise KeyError("<unk> token must be in the vocab")
        if self.separate_vocabs:
            self.target_encoder: dict[str, int] = _json(folder / "target_vocab.json")
            decoder_table = self.target_encoder
        else:
            decoder_table = self.encoder
        self._decoder = {i: piece for piece, i in decoder_table.items()}
        self.spm_source = self._spm(folder / "source.spm")
        self.spm_target = self._spm(folder / "target.spm")
        self._clean_up = bool(config.get("clean_up_tokenization_spaces", False))
        self.model_max_length = int(config.get("model_max_length") or _DEFAULTS["model_max_length"])
        extra = config.get("additional_special_tokens") or config.get("extra_special_tokens") or []
        named = [self.eos_token, self.unk_token, self.pad_token, *(_text(t) for t in extra)]
        self.all_special_tokens: list[str] = list(dict.fromkeys(named))
        # transformers' added tokens: the special ones, numbered as tokenizer_config.json or vocab.json says.
        added = {_text(t): int(i) for i, t in (config.get("added_tokens_decoder") or {}).items()}
        for token in self.all_special_tokens:
            if token not in added:
                added[token] = self.encoder[token] if token in self.encoder else len(self.encoder) + len(added)
        self.added_tokens_encoder = added
        self._added_decoder = {i: token for token, i in added.items()}
        self.all_special_ids = [added[t] for t in self.all_special_tokens]
        self.eos_token_id = added[self.eos_token]
        self.unk_token_id = added[self.unk_token]
        self.pad_token_id = added[self.pad_token]
        # Longest first: the leftmost, longest special token in the text is cut out, as transformers' trie does.
        self._specials = re.compile("|".join(re.escape(t) for t in sorted(added, key=len, reverse=True)))

    @staticmethod
    def _spm(path: Path) -> sentencepiece.SentencePieceProcessor:
        processor = sentencepiece.SentencePieceProcessor()
        processor.Load(str(path))
        return processor

    def __len__(self) -> int:
        return len(self.get_vocab())

    def get_vocab(self) -> dict[str, int]:
        return self.get_src_vocab()

    def get_src_vocab(self) -> dict[str, int]:
        return dict(self.encoder, **self.added_tokens_encoder)

    # --- text to pieces and ids ---

    def tokenize(self, text: str) -> list[str]:
        """The source pieces of text."""
        return self._tokenize(text, self.spm_source)

    def _tokenize(self, text: str, processor: sentencepiece.SentencePieceProcessor) -> list[str]:
        pieces: list[str] = []
        start = 0
        for match in [*self._specials.finditer(text), None]:
            part = text[start: match.start() if match else len(text)]
            if part:
                code: list[str] = []
                if part.startswith(">>") and (end := part.find("<<")) != -1:
                    code, part = [part[: end + 2]], part[end + 2:]
                pieces += code + processor.encode(part, out_type=str)
            if match:
                pieces.append(match.group())
                start = match.end()
        return pieces

    @overload
    def convert_tokens_to_ids(self, tokens: str) -> int: ...

    @overload
    def convert_tokens_to_ids(self, tokens: Sequence[str]) -> list[int]: ...

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]) -> int | list[int]:
        """Ids of source-side pieces (<unk>'s for a piece the vocabulary lacks)."""
        if isinstance(tokens, str):
            return self._id(tokens, self.encoder)
        return [self._id(t, self.encoder) for t in tokens]

    def _id(self, token: str, encoder: dict[str, int]) -> int:
        if token in self.added_tokens_encoder:
            return self.added_tokens_encoder[token]
        return encoder.get(token, encoder[self.unk_token])

    def _encode(
        self, text: str, target: bool, add_special_tokens: bool, truncation: bool, max_length: int | None
    ) -> list[int]:
        processor, encoder = (self.spm_target, self.target_encoder if self.separate_vocabs else self.encoder) \
            if target else (self.spm_source, self.encoder)
        ids = [self._id(p, encoder) for p in self._tokenize(text, processor)]
        if truncation:
            limit = (max_length if max_length is not None else self.model_max_length) - int(add_special_tokens)
            ids = ids[: max(limit, 0)]
        return [*ids, self.eos_token_id] if add_special_tokens else ids

    def __call__(
        self,
        text: str | Sequence[str] | None = None,
        *,
        text_target: str | Sequence[str] | None = None,
        add_special_tokens: bool = True,
        truncation: bool = False,
        max_length: int | None = None,
    ) -> dict[str, Any]:
        """{"input_ids": ids} of text (a string, or a list of them), or of text_target on the target side."""
        target = text is None
        given = text_target if target else text
        if given is None:
            raise ValueError("give text or text_target")

        def encode(one: str) -> list[int]:
            return self._encode(one, target, add_special_tokens, truncation, max_length)

        ids = encode(given) if isinstance(given, str) else [encode(t) for t in given]
        return {"input_ids": ids}

    # --- ids to pieces and text ---

    @overload
    def convert_ids_to_tokens(self, ids: int, skip_special_tokens: bool = False) -> str: ...

    @overload
    def convert_ids_to_tokens(self, ids: Sequence[int], skip_special_tokens: bool = False) -> list[str]: ...

    def convert_ids_to_tokens(self, ids: int | Sequence[int], skip_special_tokens: bool = False) -> str | list[str]:
        """The target-side pieces of ids."""
        if isinstance(ids, int):
            return self._token(ids)
        skipped = set(self.all_special_ids) if skip_special_tokens else set()
        return [self._token(int(i)) for i in ids if int(i) not in skipped]

    def _token(self, index: int) -> str:
        if index in self._added_decoder:
            return self._added_decoder[index]
        if index in self._decoder:
            return self._decoder[index]
        # As MarianTokenizer: an id outside the vocabulary is read as a SentencePiece id.
        return self.spm_target.IdToPiece(index) if 0 <= index < self.spm_target.get_piece_size() else self.unk_token

    def decode(self, ids: int | Sequence[int], skip_special_tokens: bool = False) -> str:
        """The text of ids: runs of ordinary pieces joined by SentencePiece, special tokens written as they are."""
        tokens = self.convert_ids_to_tokens([ids] if isinstance(ids, int) else ids, skip_special_tokens)
        out = self.convert_tokens_to_string(tokens)
        return _clean_up(out) if self._clean_up else out

    def convert_tokens_to_string(self, tokens: Sequence[str]) -> str:
        """The text of target pieces (special tokens written as they are)."""
        # MarianTokenizer decodes with the source model unless the vocabularies are separate (and its
        # convert_tokens_to_string reads the side its last decode used: this one, once it has decoded).
        processor = self.spm_target if self.separate_vocabs else self.spm_source
        special = set(self.all_special_tokens)
        out, run = "", []
        for token in tokens:
            if token in special:
                out += processor.decode_pieces(run) + token + " "
                run = []
            else:
                run.append(token)
        out += processor.decode_pieces(run)
        return out.replace(_UNDERLINE, " ").strip()


# transformers' clean_up_tokenization, for a model whose tokenizer_config.json asks for it.
_CLEAN_UPS = (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"), \
    (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")


def _clean_up(text: str) -> str:
    for old, new in _CLEAN_UPS:
        text = text.replace(old, new)
    return text
