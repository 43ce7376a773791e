#!/usr/bin/python3
"""Time per-epoch wall time of ctgan.CTGAN / ctgan.TVAE (sdv-dev CTGAN) on one table.

Usage: bench_epochs.py TABLE MODEL EPOCHS [MAX_ROWS]
  TABLE: mlc_churn | Chicago     MODEL: ctgan | tvae
Epoch timing: the module-level `tqdm` name used by the synthesizer modules to build
the epoch iterator is replaced (monkeypatch in this script only, no source change)
by a wrapper that records time.perf_counter() each time the next epoch is requested
and when the iterator is exhausted.  Epoch i time = t[i+1] - t[i], i.e. the whole
body of the `for i in epoch_iterator` loop (all steps + per-epoch loss logging).
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

import ctgan
import ctgan.synthesizers.ctgan as ctgan_mod
import ctgan.synthesizers.tvae as tvae_mod
import rdt

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')


class TimedRange:
    def __init__(self, iterable, disable=True, **kw):
        self._it = iterable
        self.stamps = []
        TimedRange.last = self

    def set_description(self, *a, **k):
        pass

    def __iter__(self):
        for x in self._it:
            self.stamps.append(time.perf_counter())
            yield x
        self.stamps.append(time.perf_counter())


ctgan_mod.tqdm = TimedRange
tvae_mod.tqdm = TimedRange


def loadavg():
    with open('/proc/loadavg') as f:
        return f.read().strip()


def main():
    table, model, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    max_rows = int(sys.argv[4]) if len(sys.argv) > 4 else None
    meta = json.load(open(f'{FIX}/{table}.meta.json'))
    types = meta['column_types']
    target = meta['target']
    df = pd.read_csv(f'{FIX}/{meta["file"]}', keep_default_na=False, na_values=[''])
    num_cols = [c for c, t in types.items() if t == 'numerical']
    cat_cols = [c for c, t in types.items() if t == 'categorical']
    assert set(num_cols) | set(cat_cols) == set(df.columns)
    n0 = len(df)
    df = df.dropna(subset=num_cols).reset_index(drop=True)
    for c in cat_cols:
        if df[c].isna().any():
            df[c] = df[c].astype(object).where(df[c].notna(), '__missing__')
    strat = df[target] if types[target] == 'categorical' else None
    train, test = train_test_split(df, test_size=0.3, random_state=42, stratify=strat)
    if max_rows:
        train = train.iloc[:max_rows]
    torch.set_num_threads(2)

    if model == 'ctgan':
        synth = ctgan.CTGAN(epochs=epochs)  # defaults: batch_size=500
    else:
        synth = ctgan.TVAE(epochs=epochs)  # defaults: batch_size=500
    la_before = loadavg()
    t0 = time.perf_counter()
    synth.fit(train, discrete_columns=cat_cols)
    t1 = time.perf_counter()
    la_after = loadavg()
    st = TimedRange.last.stamps
    ep = [b - a for a, b in zip(st[:-1], st[1:])]
    tr = synth._transformer if model == 'ctgan' else synth.transformer
    res = {
        'table': table, 'model': model, 'rows_raw': n0, 'rows_after_dropna': len(df),
        'rows_fitted': len(train), 'n_discrete': len(cat_cols), 'n_continuous': len(num_cols),
        'output_dimensions': tr.output_dimensions,
        'batch_size': synth._batch_size if model == 'ctgan' else synth.batch_size,
        'epochs': len(ep),
        'median_s_per_epoch_excl_first': statistics.median(ep[1:]) if len(ep) > 1 else None,
        'mean_s_per_epoch_excl_first': statistics.mean(ep[1:]) if len(ep) > 1 else None,
        'epoch_times': [round(x, 4) for x in ep],
        'preprocess_s_before_first_epoch': st[0] - t0,
        'fit_total_s': t1 - t0,
        'loadavg_before': la_before, 'loadavg_after': la_after,
        'torch': torch.__version__, 'torch_threads': torch.get_num_threads(),
        'ctgan': ctgan.__version__, 'rdt': rdt.__version__,
        'numpy': np.__version__, 'pandas': pd.__version__,
    }
    print(json.dumps(res, default=lambda o: o.item() if hasattr(o, 'item') else str(o)))


if __name__ == '__main__':
    main()
