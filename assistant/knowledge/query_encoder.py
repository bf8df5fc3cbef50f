"""The question path's encoder: MiniLM exported once to ONNX at ingest, run with onnxruntime and the model's own
`tokenizers` tokenizer, so answering a question imports neither torch nor sentence-transformers.

The export lives under `<data dir>/encoders/`, named by the content hash of the model's files, so it is rebuilt only
when the model changes: the graph in `query-encoder-<hash>.onnx`, its weights beside it in `….onnx.data` (ONNX's
external data, which onnxruntime maps into memory instead of copying: a serving process then holds only the pages
of the word-embedding table its questions touch; `serve` held 329 MB after 100 questions against 356 MB, measured).
Both are written in a staging folder and moved into place with `os.replace`, the weights first, and installed only
after they reproduce sentence-transformers' vectors. A missing or damaged export falls back to sentence-transformers
with a one-line warning; the next ingest exports it again."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

from ..settings import Settings, configure_offline
from .embeddings import Embedder, QueryCache, SentenceEmbeddings, resolve_model

log = logging.getLogger(__name__)

OPSET = 17
MIN_COSINE = 0.9999  # an export must reproduce sentence-transformers' vectors at least this closely
_CHECK_TEXTS = ["How long should I hold the child's pose?", "Is the hug from behind risky?",
                "Foam roller: Lie on your back with the roller under your shoulder blades, knees bent, and roll "
                "slowly towards your mid back while you support your head with your hands."]
_exported: dict[str, Path] = {}  # model hash -> an export made by this process (copied, not redone, elsewhere)
_lock = threading.Lock()


def encoder_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "encoders"


# -- which export belongs to the model ---------------------------------------------------------------
def _files(model_dir: Path) -> list[Path]:
    return sorted(p for p in model_dir.rglob("*") if p.is_file())


def _signature(model_dir: Path) -> list:
    return [[str(p.relative_to(model_dir)), p.stat().st_size, p.stat().st_mtime_ns] for p in _files(model_dir)]


def content_hash(model_dir: Path) -> str:
    """sha256 over every file of the model folder (name and bytes): weights, tokenizer, pooling config."""
    total = hashlib.sha256()
    for path in _files(model_dir):
        with open(path, "rb") as f:
            total.update(str(path.relative_to(model_dir)).encode() + b"\0" + hashlib.file_digest(f, "sha256").digest())
    return total.hexdigest()[:16]


def model_hash(settings: Settings, model_dir: Path) -> str:
    """The model's content hash, remembered beside the exports by the files' sizes and times (hashing 90 MB of
    weights costs more than the rest of a cold start's encoder set-up, so it is done once per change)."""
    memo = encoder_dir(settings) / "model-hashes.json"
    signature = _signature(model_dir)
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    entry = known.get(str(model_dir)) if isinstance(known, dict) else None
    if isinstance(entry, dict) and entry.get("signature") == signature and isinstance(entry.get("hash"), str):
        return entry["hash"]
    digest = content_hash(model_dir)
    known = known if isinstance(known, dict) else {}
    known[str(model_dir)] = {"signature": signature, "hash": digest}
    try:
        _atomic_write_text(memo, json.dumps(known, indent=1))
    except OSError as exc:  # a read-only data dir only costs the hashing again next time
        log.debug("could not remember the model hash in %s: %s", memo, exc)
    return digest


def export_path(settings: Settings, model_dir: Path) -> Path:
    return encoder_dir(settings) / f"query-encoder-{model_hash(settings, model_dir)}.onnx"


def weights_path(target: Path) -> Path:
    """The export's weights (ONNX external data), named inside the graph file by this name."""
    return target.with_name(target.name + ".data")


# -- export (ingest side: torch) ---------------------------------------------------------------------
def ensure_exported(settings: Settings, embeddings) -> Path | None:
    """At ingest: make sure an intact ONNX export of the passage model exists (once per model content hash).

    Beside the export, a small JSON file records its sha256 and sentence-transformers' vectors of a few check texts
    (an intact file is kept; a damaged or missing one is exported again). Only sentence-transformers models are
    exported (a stand-in embedder has nothing to export). A failed export is a warning, not a failed ingest:
    questions are then embedded by sentence-transformers."""
    if not isinstance(embeddings, SentenceEmbeddings):
        return None
    model_dir = Path(embeddings.path)
    with _lock:
        try:
            target = export_path(settings, model_dir)
            if _intact(target):
                return target
            digest = target.stem.rsplit("-", 1)[-1]
            target.parent.mkdir(parents=True, exist_ok=True)
            # the graph names its weights file, so both are written under their own names in a staging folder
            staging = target.parent / f".staging-{target.name}.{os.getpid()}.partial"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            staged = staging / target.name
            try:
                earlier = _exported.get(digest)
                if earlier is not None and earlier != target and _intact(earlier):
                    # the export is deterministic: the same model gives the same files
                    _copy(earlier, staged)
                    _copy(weights_path(earlier), weights_path(staged))
                    meta = json.loads(_sidecar(earlier).read_text(encoding="utf-8"))
                else:
                    _export(model_dir, staged)
                    meta = {"model_hash": digest, "reference": _check(staged, model_dir, embeddings),
                            "onnx_sha256": _sha256(staged), "data_sha256": _sha256(weights_path(staged))}
                for path in (weights_path(staged), staged):
                    with open(path, "rb+") as f:
                        os.fsync(f.fileno())
                # readers see the whole export or none: the graph, which names the weights, is moved in last
                os.replace(weights_path(staged), weights_path(target))
                _atomic_write_text(_sidecar(target), json.dumps(meta))
                os.replace(staged, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            _exported[digest] = target
            keep = (target, _sidecar(target), weights_path(target))
            for old in target.parent.glob("query-encoder-*"):  # exports of an earlier model
                if old not in keep and not old.name.endswith(".partial"):
                    old.unlink(missing_ok=True)
            return target
        except Exception as exc:
            log.warning("could not export the ONNX query encoder (%s); questions will be embedded with "
                        "sentence-transformers", _one_line(exc))
            return None


def _sidecar(target: Path) -> Path:
    return target.with_suffix(".json")


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _intact(target: Path) -> bool:
    """The export exists and is byte for byte the graph and weights its sidecar describes."""
    try:
        meta = json.loads(_sidecar(target).read_text(encoding="utf-8"))
        return (target.is_file() and meta["onnx_sha256"] == _sha256(target) and bool(meta["reference"])
                and meta["data_sha256"] == _sha256(weights_path(target)))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _copy(source: Path, dest: Path) -> None:
    # a copy, not a hard link: damage to one data dir's export must not reach another's
    shutil.copyfile(source, dest)


def _export(model_dir: Path, out: Path) -> None:
    """torch's legacy (TorchScript) exporter, opset 17: the encoder's last hidden state for dynamic batch and
    sequence; pooling and normalisation are done by `OnnxQueryEncoder` as the model's config says. The weights are
    then moved out of the graph into `weights_path(out)` (ONNX external data, one file)."""
    configure_offline()
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, bert) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                             return_dict=True).last_hidden_state

    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    ids = torch.randint(1000, 2000, (2, 16), dtype=torch.long)  # batch 2: a size-1 dim could be specialised
    ids[:, 0], ids[:, -1] = 101, 102
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    with torch.inference_mode(), warnings.catch_warnings():
        # the legacy exporter warns that it is deprecated, TracerWarnings for python bools in transformers' masking
        # (constant for this model) and a UserWarning on aten::index at opset 17; none changes the result, which
        # `_check` verifies against sentence-transformers before the file is used
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHiddenState(bert).eval(), (ids, mask, torch.zeros_like(ids)), str(out),
                          input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes,
                          opset_version=OPSET, do_constant_folding=True, dynamo=False)
    import onnx

    graph = onnx.load(str(out))
    out.unlink()
    onnx.save_model(graph, str(out), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=weights_path(out).name, size_threshold=1024)


def _check(path: Path, model_dir: Path, embeddings: SentenceEmbeddings) -> dict[str, list[float]]:
    """sentence-transformers' vectors of the check texts, once the export is shown to reproduce them."""
    theirs = dict(zip(_CHECK_TEXTS, embeddings.embed_documents(_CHECK_TEXTS), strict=True))
    OnnxQueryEncoder(path, model_dir, embeddings.model_name).verify(theirs)
    return theirs


# -- the question path (onnxruntime + tokenizers, no torch) ------------------------------------------
def _max_seq_length(model_dir: Path) -> int:
    """The sentence-transformers pipeline must be Transformer -> mean Pooling -> Normalize (as MiniLM's is)."""
    types = [m["type"].rsplit(".", 1)[-1] for m in json.loads((model_dir / "modules.json").read_text())]
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if types != ["Transformer", "Pooling", "Normalize"] or modes != ["pooling_mode_mean_tokens"]:
        raise ValueError(f"unsupported sentence-transformers pipeline in {model_dir}: {types}, pooling {modes}")
    return int(json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"])


class OnnxQueryEncoder(QueryCache):
    """The exported encoder with mean pooling over the attention mask and L2 normalisation, as
    `SentenceTransformer.encode(normalize_embeddings=True)` computes them; repeated questions come from a cache."""

    def __init__(self, onnx_path: Path, model_dir: Path, model_name: str, cache_size: int = 2048) -> None:
        super().__init__(cache_size)
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_name = model_name
        self.path = Path(onnx_path)
        self.model_dir = Path(model_dir)
        tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        # tokenizer.json ships truncation and fixed padding at 128; the model's max_seq_length is 256, and
        # sentence-transformers pads to the longest text of a batch
        tokenizer.enable_truncation(max_length=_max_seq_length(self.model_dir))
        pad = tokenizer.token_to_id("[PAD]")
        tokenizer.enable_padding(pad_id=0 if pad is None else pad, pad_token="[PAD]", pad_type_id=0)
        self.tokenizer = tokenizer
        options = ort.SessionOptions()
        options.intra_op_num_threads = min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # ORT's pool threads busy-wait after each run by default: off, so an idle server burns no CPU and
        # concurrent requests do not fight spinning threads for the two cores
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # a memory pattern is planned and kept per input shape, and every question length is a new shape: about
        # 6 MB more over a server's first 140 questions, at no measured gain in speed (MiniLM on 2 cores)
        options.enable_mem_pattern = False
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(self.path), sess_options=options,
                                            providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}

    def sharing_model(self) -> OnnxQueryEncoder:
        """Another instance over the same session with a cache of its own (so two systems never share hits)."""
        other = OnnxQueryEncoder.__new__(OnnxQueryEncoder)
        other.__dict__.update(self.__dict__)
        QueryCache.__init__(other, self._cache_size)
        return other

    def _forward(self, texts: list[str]):
        import numpy as np

        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:  # one sequence: every type id is 0
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None), hidden, encoded

    def _encode(self, texts: list[str]):
        return self._forward(texts)[0]

    def embed_query_with_tokens(self, text: str):
        """The question's vector, its hidden states and each token's character span in `text`, from one pass; the
        vector is left in the query cache (so retrieval embeds nothing again); the special tokens have an
        empty span. For the safety net's clause-by-clause look without a second pass."""
        vectors, hidden, encoded = self._forward([text])
        vector = vectors[0].tolist()
        self.prime(text, vector)
        return vector, hidden[0], list(encoded[0].offsets)

    def encode(self, texts: list[str], batch_size: int = 32):
        """float32 unit vectors [n, dim]; like sentence-transformers, batches are made of similar lengths."""
        import numpy as np

        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: list = [None] * len(texts)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            for i, vector in zip(chunk, self._encode([texts[i] for i in chunk]), strict=True):
                out[i] = vector
        return np.asarray(out, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [v.tolist() for v in self.encode(list(texts))] if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self.cached_query(text, lambda t: self._forward([t])[0][0].tolist())

    def warm(self) -> None:
        """Run once, so the first real question pays no start-up cost."""
        self.encode(["warm up"])

    def verify(self, reference: dict[str, list[float]]) -> None:
        """Raise unless this encoder reproduces the reference vectors (sentence-transformers') to MIN_COSINE."""
        import numpy as np

        texts = list(reference)
        ours = self.encode(texts)
        worst = float(np.min(np.sum(ours * np.asarray([reference[t] for t in texts], dtype=np.float32), axis=1)))
        if not worst >= MIN_COSINE:
            raise ValueError(f"the ONNX export reproduces sentence-transformers only to cosine {worst:.6f}")


def query_encoder(settings: Settings, fallback: SentenceEmbeddings | None = None):
    """The encoder for questions: the ONNX export of the model when ingest made one and it still reproduces the
    reference vectors recorded beside it, else sentence-transformers (`fallback`, or one made for the settings)
    with a one-line warning."""
    model_dir = _model_dir(settings, fallback)
    try:
        return _onnx_encoder(settings, model_dir)
    except Exception as exc:  # missing, damaged, or made for another model: never worse than before
        return _fall_back(settings, fallback, exc)


def query_encoder_ahead(settings: Settings, fallback: SentenceEmbeddings | None = None) -> Callable[[], Embedder]:
    """`query_encoder`, started now on a thread of its own; the function returned waits for it and gives what
    `query_encoder` would have given.

    Opening the export is mostly onnxruntime reading and optimising the graph, which holds no GIL (about 0.3 s
    of a fresh process), so the caller goes on loading meanwhile (the clinical reader, which does hold it). The
    fallback to sentence-transformers is made in the caller's thread, after the wait: its imports (torch) never
    run beside another thread's `lean` imports."""
    model_dir = _model_dir(settings, fallback)
    import onnxruntime  # noqa: F401  (imported here: an import holds the GIL, which the thread is there to avoid)
    import tokenizers  # noqa: F401

    outcome: dict[str, object] = {}

    def open_export() -> None:
        try:
            outcome["encoder"] = _onnx_encoder(settings, model_dir)
        except Exception as exc:  # reported, and fallen back from, by the waiting thread
            outcome["error"] = exc

    thread = threading.Thread(target=open_export, name="backstretch-open-encoder", daemon=True)
    thread.start()

    def result() -> Embedder:
        thread.join()
        if "encoder" in outcome:
            return outcome["encoder"]  # type: ignore[return-value]
        error = outcome.get("error")
        return _fall_back(settings, fallback, error if isinstance(error, Exception) else
                          RuntimeError("the encoder's thread ended without an encoder"))

    return result


def _model_dir(settings: Settings, fallback: SentenceEmbeddings | None) -> Path:
    return Path(fallback.path) if fallback is not None else Path(resolve_model(settings.embedding_model))


def _onnx_encoder(settings: Settings, model_dir: Path) -> OnnxQueryEncoder:
    path = export_path(settings, model_dir)
    if not path.is_file():
        raise FileNotFoundError(f"no export at {path}")
    reference = json.loads(_sidecar(path).read_text(encoding="utf-8"))["reference"]
    encoder = OnnxQueryEncoder(path, model_dir, settings.embedding_model)
    encoder.verify(reference)  # a damaged file that still loads gives other vectors: caught here (~10 ms)
    return encoder


def _fall_back(settings: Settings, fallback: SentenceEmbeddings | None, exc: Exception):
    log.warning("the ONNX query encoder is unusable (%s); embedding questions with sentence-transformers "
                "until the next `backstretch ingest` exports it again", _one_line(exc))
    return fallback if fallback is not None else SentenceEmbeddings(settings.embedding_model)


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
